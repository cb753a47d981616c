//! Cookie fields shared between sessions: each distinct set of fields is kept once, with a count
//! of the sessions using it, and sessions refer to it by a u32 number. A server's sessions use a
//! handful of distinct sets (its cookie options, and `originalMaxAge` a millisecond apart), so a
//! session's cookie costs it four bytes. A set is dropped, and its number reused, when its last
//! session goes. Each set also gets a serial number, never reused by the store, so that a caller
//! holding a number from earlier can tell whether it still names the same fields.

use crate::cookie_form::CookieFields;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

struct Shape {
  fields: CookieFields<Box<str>>,
  sessions: u32,
  serial: u64,
}

#[derive(Default)]
pub struct CookieShapes {
  /// By number; None for a number free for reuse.
  shapes: Vec<Option<Shape>>,
  /// Numbers of the shapes in use, by the hash of their fields.
  table: HashTable<u32>,
  free: Vec<u32>,
  hasher: DefaultHashBuilder,
  /// The serial the next new shape gets.
  next_serial: u64,
}

impl CookieShapes {
  /// The number of `fields`, counting one more session using it.
  pub fn acquire(&mut self, fields: &CookieFields<&str>) -> u32 {
    let hash = self.hasher.hash_one(fields);
    let shapes = &mut self.shapes;
    let found = self.table.find(hash, |&number| {
      shapes[number as usize]
        .as_ref()
        .is_some_and(|shape| shape.fields.view() == *fields)
    });
    if let Some(&number) = found {
      if let Some(shape) = shapes[number as usize].as_mut() {
        shape.sessions += 1;
      }
      return number;
    }
    let shape = Shape {
      fields: fields.to_owned(),
      sessions: 1,
      serial: self.next_serial,
    };
    self.next_serial += 1;
    let number = match self.free.pop() {
      Some(number) => {
        shapes[number as usize] = Some(shape);
        number
      }
      None => {
        shapes.push(Some(shape));
        (shapes.len() - 1) as u32
      }
    };
    let hasher = &self.hasher;
    self.table.insert_unique(hash, number, |&n| {
      hasher.hash_one(
        &shapes[n as usize]
          .as_ref()
          .expect("a shape in the table is in use")
          .fields,
      )
    });
    number
  }

  /// Counts one more session using shape `number` while it is the one with `serial`; false, counting
  /// nothing, when that shape is gone.
  pub fn acquire_checked(&mut self, number: u32, serial: u64) -> bool {
    match self.shapes.get_mut(number as usize) {
      Some(Some(shape)) if shape.serial == serial => {
        shape.sessions += 1;
        true
      }
      _ => false,
    }
  }

  /// One session fewer uses shape `number`.
  pub fn release(&mut self, number: u32) {
    let Some(shape) = self.shapes[number as usize].as_mut() else {
      return;
    };
    shape.sessions -= 1;
    if shape.sessions > 0 {
      return;
    }
    let hash = self.hasher.hash_one(&shape.fields);
    if let Ok(entry) = self.table.find_entry(hash, |&n| n == number) {
      entry.remove();
    }
    self.shapes[number as usize] = None;
    self.free.push(number);
  }

  pub fn get(&self, number: u32) -> &CookieFields<Box<str>> {
    &self.in_use(number).fields
  }

  pub fn serial(&self, number: u32) -> u64 {
    self.in_use(number).serial
  }

  /// The fields of shape `number` while it is the one with `serial`.
  pub fn get_checked(&self, number: u32, serial: u64) -> Option<&CookieFields<Box<str>>> {
    self
      .shapes
      .get(number as usize)?
      .as_ref()
      .filter(|shape| shape.serial == serial)
      .map(|shape| &shape.fields)
  }

  fn in_use(&self, number: u32) -> &Shape {
    self.shapes[number as usize]
      .as_ref()
      .expect("a session's cookie shape is in use")
  }

  /// No shapes, with serials continuing from this one's.
  pub fn emptied(&self) -> CookieShapes {
    CookieShapes {
      next_serial: self.next_serial,
      ..CookieShapes::default()
    }
  }

  /// Shapes in use.
  pub fn len(&self) -> usize {
    self.table.len()
  }

  pub fn is_empty(&self) -> bool {
    self.table.is_empty()
  }

  /// Bytes held for the shapes in use: each one's entry, strings and table bucket.
  pub fn heap_size(&self) -> usize {
    let per_shape = std::mem::size_of::<Option<Shape>>() + std::mem::size_of::<u32>() + 1;
    self
      .shapes
      .iter()
      .flatten()
      .map(|shape| per_shape + shape.fields.heap_size())
      .sum()
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::cookie_form::MaxAge;

  fn with_max_age(ms: i64) -> CookieFields<&'static str> {
    CookieFields {
      original_max_age: Some(MaxAge::Millis(ms)),
      path: Some("\"/\""),
      ..CookieFields::default()
    }
  }

  #[test]
  fn equal_fields_share_one_number() {
    let mut shapes = CookieShapes::default();
    let a = shapes.acquire(&with_max_age(1));
    let b = shapes.acquire(&with_max_age(2));
    assert_ne!(a, b);
    assert_eq!(shapes.acquire(&with_max_age(1)), a);
    assert_eq!(shapes.len(), 2);
    assert_eq!(shapes.get(b).view(), with_max_age(2));
  }

  #[test]
  fn a_shape_goes_with_its_last_session_and_its_number_is_reused() {
    let mut shapes = CookieShapes::default();
    let a = shapes.acquire(&with_max_age(1));
    shapes.acquire(&with_max_age(1));
    shapes.release(a);
    assert_eq!(shapes.len(), 1);
    shapes.release(a);
    assert!(shapes.is_empty());
    assert_eq!(shapes.acquire(&with_max_age(7)), a);
    assert_eq!(shapes.get(a).view(), with_max_age(7));
    // the old fields are not found under the reused number
    let b = shapes.acquire(&with_max_age(1));
    assert_ne!(a, b);
  }

  #[test]
  fn serials_tell_a_reused_number_apart() {
    let mut shapes = CookieShapes::default();
    let a = shapes.acquire(&with_max_age(1));
    let first = shapes.serial(a);
    assert_eq!(
      shapes.get_checked(a, first).unwrap().view(),
      with_max_age(1)
    );
    shapes.release(a);
    assert!(shapes.get_checked(a, first).is_none());
    assert_eq!(shapes.acquire(&with_max_age(2)), a);
    assert_ne!(shapes.serial(a), first);
    assert!(shapes.get_checked(a, first).is_none());
    assert!(shapes.get_checked(99, first).is_none());
  }

  #[test]
  fn many_shapes_survive_table_growth() {
    let mut shapes = CookieShapes::default();
    let numbers: Vec<u32> = (0..1_000)
      .map(|ms| shapes.acquire(&with_max_age(ms)))
      .collect();
    for (ms, &number) in numbers.iter().enumerate() {
      assert_eq!(shapes.acquire(&with_max_age(ms as i64)), number);
    }
    assert_eq!(shapes.len(), 1_000);
  }
}
