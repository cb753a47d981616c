//! The MemoryStore's sessions and their order: slots in a slab, found by ID through a hash table
//! of slot numbers, linked from most to least recently used; freed slots are chained through their
//! links and reused, and a slab left mostly empty after a peak is compacted and its memory handed
//! back.

use super::slot::{CookieRef, Encoded, Slot};
use super::Stats;
use crate::allocator;
use crate::cookie_shapes::CookieShapes;
use crate::session_key::SessionKey;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

pub(super) const NIL: u32 = u32::MAX;
/// Slabs smaller than this are never compacted: what they could give back is not worth a pass.
const COMPACT_FROM_SLOTS: usize = 4096;

/// One store's sessions, behind its lock.
pub(super) struct Inner {
  pub(super) table: HashTable<u32>,
  pub(super) slots: Vec<Slot>,
  /// First free slot; free slots are chained through their `older` link, so freeing takes no
  /// memory of its own.
  pub(super) free: u32,
  pub(super) newest: u32,
  pub(super) oldest: u32,
  pub(super) hasher: DefaultHashBuilder,
  pub(super) shapes: CookieShapes,
  /// Footprints of the sessions held.
  pub(super) session_bytes: u64,
  pub(super) stats: Stats,
}

impl Inner {
  pub(super) fn new() -> Self {
    Inner {
      table: HashTable::new(),
      slots: Vec::new(),
      free: NIL,
      newest: NIL,
      oldest: NIL,
      hasher: DefaultHashBuilder::default(),
      shapes: CookieShapes::default(),
      session_bytes: 0,
      stats: Stats::default(),
    }
  }

  pub(super) fn find(&self, id: &str) -> Option<u32> {
    let key = SessionKey::of(id);
    let hash = self.hasher.hash_one(key);
    let slots = &self.slots;
    self
      .table
      .find(hash, |&index| slots[index as usize].key() == key)
      .copied()
  }

  pub(super) fn unlink(&mut self, index: u32) {
    let (newer, older) = {
      let slot = &self.slots[index as usize];
      (slot.newer, slot.older)
    };
    match newer {
      NIL => self.newest = older,
      n => self.slots[n as usize].older = older,
    }
    match older {
      NIL => self.oldest = newer,
      o => self.slots[o as usize].newer = newer,
    }
  }

  pub(super) fn push_newest(&mut self, index: u32) {
    let previous = self.newest;
    {
      let slot = &mut self.slots[index as usize];
      slot.newer = NIL;
      slot.older = previous;
    }
    match previous {
      NIL => self.oldest = index,
      p => self.slots[p as usize].newer = index,
    }
    self.newest = index;
  }

  pub(super) fn mark_used(&mut self, index: u32) {
    if self.newest != index {
      self.unlink(index);
      self.push_newest(index);
    }
  }

  /// Puts `session` into the slot `index`, releasing what it held before.
  pub(super) fn fill(&mut self, index: u32, session: Encoded, expires_at: i64) {
    let slot = &mut self.slots[index as usize];
    let before = if slot.record.is_some() {
      slot.footprint()
    } else {
      0
    };
    // a free slot's cookie is Absent
    let old_cookie = slot.cookie_ref();
    slot.record = Some(session.record);
    slot.cookie = session.cookie.pack();
    slot.key_len = session.key_len;
    slot.expires_at = expires_at;
    let after = slot.footprint();
    self.session_bytes = self.session_bytes - before + after;
    if let CookieRef::Shape(number) = old_cookie {
      self.shapes.release(number);
    }
  }

  pub(super) fn remove(&mut self, index: u32) {
    let Inner {
      table,
      slots,
      hasher,
      ..
    } = self;
    let hash = hasher.hash_one(slots[index as usize].key());
    if let Ok(entry) = table.find_entry(hash, |&i| i == index) {
      entry.remove();
    }
    self.unlink(index);
    let slot = std::mem::replace(
      &mut self.slots[index as usize],
      Slot {
        older: self.free,
        ..Slot::FREE
      },
    );
    self.session_bytes -= slot.footprint();
    if let CookieRef::Shape(number) = slot.cookie_ref() {
      self.shapes.release(number);
    }
    self.free = index;
  }

  /// The slot's index when it holds a live session; an expired one is removed on the way.
  pub(super) fn live(&mut self, id: &str, now: i64) -> Option<u32> {
    let index = self.find(id)?;
    if self.slots[index as usize].expires_at <= now {
      self.remove(index);
      self.stats.expirations += 1;
      return None;
    }
    Some(index)
  }

  pub(super) fn insert(&mut self, session: Encoded, expires_at: i64) -> u32 {
    let index = match self.free {
      NIL => {
        self.slots.push(Slot::FREE);
        (self.slots.len() - 1) as u32
      }
      free => {
        self.free = self.slots[free as usize].older;
        free
      }
    };
    self.fill(index, session, expires_at);

    let Inner {
      table,
      slots,
      hasher,
      ..
    } = self;
    let hash = hasher.hash_one(slots[index as usize].key());
    table.insert_unique(hash, index, |&i| hasher.hash_one(slots[i as usize].key()));
    self.push_newest(index);
    index
  }

  /// Once most of the slots are free (a peak of sessions has expired or been destroyed), moves the
  /// live sessions into a slab and a table sized for them, oldest first, and hands the freed heap
  /// back to the operating system: a store does not keep its peak's memory forever. The live
  /// sessions then number at most a quarter of the slots, so each compaction costs at most a third
  /// of the removals since the slab last grew or shrank.
  pub(super) fn compact_if_sparse(&mut self) {
    let live = self.table.len();
    if self.slots.len() < COMPACT_FROM_SLOTS || live * 4 >= self.slots.len() {
      return;
    }
    let mut slots = Vec::with_capacity(live);
    let mut index = self.oldest;
    while index != NIL {
      let slot = std::mem::replace(&mut self.slots[index as usize], Slot::FREE);
      index = slot.newer;
      let position = slots.len() as u32;
      slots.push(Slot {
        older: position.checked_sub(1).unwrap_or(NIL),
        newer: if index == NIL { NIL } else { position + 1 },
        ..slot
      });
    }
    let mut table = HashTable::with_capacity(live);
    for (position, slot) in slots.iter().enumerate() {
      let hasher = &self.hasher;
      table.insert_unique(hasher.hash_one(slot.key()), position as u32, |&i| {
        hasher.hash_one(slots[i as usize].key())
      });
    }
    self.oldest = if live == 0 { NIL } else { 0 };
    self.newest = if live == 0 { NIL } else { live as u32 - 1 };
    self.free = NIL;
    self.slots = slots;
    self.table = table;
    allocator::release_free_memory();
  }

  pub(super) fn sweep(&mut self, now: i64) -> usize {
    let mut expired = 0;
    // removing a session moves no other, so the slots can be walked while removing
    for index in 0..self.slots.len() as u32 {
      let slot = &self.slots[index as usize];
      if slot.record.is_some() && slot.expires_at <= now {
        self.remove(index);
        expired += 1;
      }
    }
    self.stats.expirations += expired as u64;
    self.compact_if_sparse();
    expired
  }
}
