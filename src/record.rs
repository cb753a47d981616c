//! An immutable byte string behind one thin pointer, its length stored in front of the bytes: a
//! slab slot pays 8 bytes for it where a boxed slice would take 16, which adds up over a million
//! sessions.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

const HEADER: usize = std::mem::size_of::<u32>();

pub struct Record(NonNull<u8>);

// A Record owns its allocation exclusively and is never mutated, like a Box<[u8]>.
unsafe impl Send for Record {}
unsafe impl Sync for Record {}

impl Record {
  /// The concatenation of `parts`. Panics when it exceeds 4 GiB, before allocating anything.
  pub fn new(parts: &[&[u8]]) -> Record {
    let length: usize = parts.iter().map(|part| part.len()).sum();
    let stored_length = u32::try_from(length).expect("a session record is limited to 4 GiB");
    let layout = layout(length);
    // SAFETY: the layout is never zero-sized (it has the header); every byte is written below
    // before the record is read.
    unsafe {
      let Some(start) = NonNull::new(alloc::alloc(layout)) else {
        alloc::handle_alloc_error(layout);
      };
      start.cast::<u32>().write(stored_length);
      let mut at = start.add(HEADER);
      for part in parts {
        std::ptr::copy_nonoverlapping(part.as_ptr(), at.as_ptr(), part.len());
        at = at.add(part.len());
      }
      Record(start)
    }
  }

  pub fn bytes(&self) -> &[u8] {
    // SAFETY: `new` wrote the length and that many bytes after the header.
    unsafe {
      let length = self.0.cast::<u32>().read() as usize;
      std::slice::from_raw_parts(self.0.add(HEADER).as_ptr(), length)
    }
  }

  /// Bytes requested from the allocator for this record.
  pub fn heap_size(&self) -> usize {
    HEADER + self.bytes().len()
  }
}

impl Drop for Record {
  fn drop(&mut self) {
    // SAFETY: allocated in `new` with this same layout.
    unsafe { alloc::dealloc(self.0.as_ptr(), layout(self.bytes().len())) }
  }
}

fn layout(length: usize) -> Layout {
  Layout::from_size_align(HEADER + length, std::mem::align_of::<u32>()).expect("record layout")
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn concatenates_its_parts() {
    let record = Record::new(&[b"abc", b"", "名前".as_bytes()]);
    assert_eq!(record.bytes(), "abc名前".as_bytes());
    assert_eq!(record.heap_size(), 4 + 9);
    assert_eq!(Record::new(&[]).bytes(), b"");
  }

  #[test]
  fn is_one_pointer_wide_even_as_an_option() {
    assert_eq!(
      std::mem::size_of::<Option<Record>>(),
      std::mem::size_of::<usize>()
    );
  }

  #[test]
  fn moves_between_threads() {
    let record = Record::new(&[b"sent"]);
    let back = std::thread::spawn(move || record).join().unwrap();
    assert_eq!(back.bytes(), b"sent");
  }
}
