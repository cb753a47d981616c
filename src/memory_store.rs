//! Storage of the embedded MemoryStore: sessions by session ID, with expiry, an optional bound
//! with least-recently-used eviction, counters, and named instances shared by every thread of the
//! process (so `worker_threads` see one set of sessions).
//!
//! Each session is one 32-byte slot in a slab: a thin pointer to a single heap record holding its
//! ID (a generated one packed into 24 bytes, see `session_key`) and its data JSON (the session
//! without the cookie), its expiry, u32 links of the LRU list, and its cookie. A cookie as
//! `Cookie#toJSON` writes it is kept as fields shared with the other sessions that have the same
//! ones (see `cookie_form` and `cookie_shapes`), its expiry being the session's own, and is written
//! back as the same JSON when the session is read; any other cookie JSON is kept as text in the
//! record. A hash table of slot numbers finds a slot by ID. Freed slots are chained through their
//! links and reused by later sessions, so churn does not grow memory. Times are epoch milliseconds
//! passed in by the caller, which keeps this module deterministic under test.

use crate::allocator;
use crate::cookie_form::{CookieFields, Expires};
use crate::cookie_shapes::CookieShapes;
use crate::iso_time;
use crate::json_object::Malformed;
use crate::record::Record;
use crate::session_key::SessionKey;
use crate::session_merge;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

const NIL: u32 = u32::MAX;
/// Slabs smaller than this are never compacted: what they could give back is not worth a pass.
const COMPACT_FROM_SLOTS: usize = 4096;
/// The expiry of a session that never expires.
pub const NEVER: i64 = i64::MAX;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
  /// Most sessions held; the least recently used is evicted beyond it.
  pub max: Option<usize>,
  /// Lifetime of sessions saved without an expiry, in milliseconds.
  pub ttl_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
  pub sessions: u64,
  /// Heap and bookkeeping bytes of the sessions held and their shared cookie fields.
  pub bytes: u64,
  pub hits: u64,
  pub misses: u64,
  pub expirations: u64,
  pub evictions: u64,
}

/// How a slot holds its cookie, packed into 32 bits: a shared set of fields by number, or the
/// length of the cookie's JSON text kept in the record, or no cookie at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CookieRef {
  Absent,
  Shape(u32),
  Text(u32),
}

const TEXT_FLAG: u32 = 1 << 31;
const ABSENT: u32 = u32::MAX;
/// Set in `Slot::key_len` when the key is a packed ID (see `session_key`).
const PACKED_KEY: u32 = 1 << 31;
/// Set in `Slot::key_len` when the data JSON was assembled by a merge: unlike text JSON.stringify
/// wrote, it may not be what JSON.stringify gives back for JSON.parse of it (a new key such as "7"
/// is appended where an object would list it first).
const MERGED_DATA: u32 = 1 << 30;
const KEY_LENGTH: u32 = !(PACKED_KEY | MERGED_DATA);

/// A live session as [`MemoryStore::load`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
  /// A session whose cookie is kept as shared fields: its data JSON alone, the fields' number and
  /// serial (see `cookie_shapes`), its expiry, whether the data JSON is as JSON.stringify wrote
  /// it, and whether touching it with these same fields would change nothing (a cookie without
  /// `expires`, in a store without `ttl` or `max`: the expiry stays "never", and this read has
  /// just counted as its use).
  Fields {
    data: String,
    shape: u32,
    serial: u64,
    expires_at: i64,
    data_as_stringified: bool,
    touch_changes_nothing: bool,
  },
  /// Any other session, as the whole JSON [`MemoryStore::get`] gives.
  Whole(String),
}

impl CookieRef {
  fn pack(self) -> u32 {
    match self {
      CookieRef::Absent => ABSENT,
      CookieRef::Shape(number) => number,
      CookieRef::Text(length) => TEXT_FLAG | length,
    }
  }

  fn unpack(packed: u32) -> Self {
    match packed {
      ABSENT => CookieRef::Absent,
      text if text & TEXT_FLAG != 0 => CookieRef::Text(text & !TEXT_FLAG),
      number => CookieRef::Shape(number),
    }
  }

  fn text_length(self) -> usize {
    match self {
      CookieRef::Text(length) => length as usize,
      _ => 0,
    }
  }
}

struct Slot {
  /// Key, cookie JSON when kept as text, and data JSON, back to back; None while the slot is free.
  record: Option<Record>,
  expires_at: i64,
  /// Towards the most recently used end of the list.
  newer: u32,
  /// Towards the least recently used end; in a free slot, the next free one.
  older: u32,
  /// A packed [`CookieRef`].
  cookie: u32,
  /// Bytes of the key, with PACKED_KEY set for a packed ID and MERGED_DATA for merged data.
  key_len: u32,
}

impl Slot {
  const FREE: Slot = Slot {
    record: None,
    expires_at: 0,
    newer: NIL,
    older: NIL,
    cookie: ABSENT,
    key_len: 0,
  };

  fn bytes(&self) -> &[u8] {
    self.record.as_ref().map_or(&[][..], Record::bytes)
  }

  fn key_end(&self) -> usize {
    (self.key_len & KEY_LENGTH) as usize
  }

  fn data_as_stringified(&self) -> bool {
    self.key_len & MERGED_DATA == 0
  }

  fn key(&self) -> SessionKey<'_> {
    SessionKey::from_stored(
      self.key_len & PACKED_KEY != 0,
      &self.bytes()[..self.key_end()],
    )
  }

  /// The cookie text and data JSON.
  fn text(&self) -> &str {
    // SAFETY: `Encoded::new` makes records of a key then whole `str`s, so the bytes after the
    // key are UTF-8.
    unsafe { std::str::from_utf8_unchecked(&self.bytes()[self.key_end()..]) }
  }

  fn cookie_ref(&self) -> CookieRef {
    CookieRef::unpack(self.cookie)
  }

  fn cookie_text(&self) -> &str {
    &self.text()[..self.cookie_ref().text_length()]
  }

  fn data(&self) -> &str {
    &self.text()[self.cookie_ref().text_length()..]
  }

  /// The whole session as JSON: the cookie first, then the data's keys.
  fn json(&self, shapes: &CookieShapes) -> String {
    let data = self.data();
    let cookie = self.cookie_ref();
    if cookie == CookieRef::Absent {
      return data.to_owned();
    }
    let mut json = String::with_capacity(data.len() + 128);
    json.push_str("{\"cookie\":");
    match cookie {
      CookieRef::Absent => {}
      CookieRef::Shape(number) => shapes.get(number).write_json(self.expires_at, &mut json),
      CookieRef::Text(_) => json.push_str(self.cookie_text()),
    }
    match data.strip_prefix('{') {
      Some(rest) if rest != "}" && !rest.is_empty() => {
        json.push(',');
        json.push_str(rest);
      }
      _ => json.push('}'),
    }
    json
  }

  fn footprint(&self) -> u64 {
    let record = self.record.as_ref().map_or(0, Record::heap_size);
    (record + std::mem::size_of::<Slot>() + std::mem::size_of::<u32>()) as u64
  }
}

/// A session ready to go into a slot: its record and how it holds its cookie.
struct Encoded {
  record: Record,
  cookie: CookieRef,
  key_len: u32,
}

impl Encoded {
  /// Reads the cookie's fields, if it has that form, without touching the store, so that a
  /// session too large for a record fails before anything changes. `merged`: the data was
  /// assembled by a merge rather than written by JSON.stringify.
  fn new(
    id: &str,
    cookie: Option<&str>,
    data: &str,
    merged: bool,
    expires_at: i64,
    shapes: &mut CookieShapes,
  ) -> Self {
    let fields = cookie.and_then(|json| CookieFields::parse(json, expires_at));
    let text = if fields.is_none() {
      cookie.unwrap_or("")
    } else {
      ""
    };
    // JavaScript strings are far shorter than the 2 GiB this leaves a cookie's text
    let text_length = u32::try_from(text.len())
      .ok()
      .filter(|length| length & TEXT_FLAG == 0)
      .expect("cookie JSON under 2 GiB");
    let key = SessionKey::of(id);
    let record = Record::new(&[key.bytes(), text.as_bytes(), data.as_bytes()]);
    let cookie = match (cookie, fields) {
      (None, _) => CookieRef::Absent,
      (Some(_), Some(fields)) => CookieRef::Shape(shapes.acquire(&fields)),
      (Some(_), None) => CookieRef::Text(text_length),
    };
    Encoded {
      record,
      cookie,
      // keys of 2 GiB and more would not fit JavaScript strings
      key_len: key.bytes().len() as u32
        | if key.is_packed() { PACKED_KEY } else { 0 }
        | if merged { MERGED_DATA } else { 0 },
    }
  }
}

struct Inner {
  table: HashTable<u32>,
  slots: Vec<Slot>,
  /// First free slot; free slots are chained through their `older` link, so freeing takes no
  /// memory of its own.
  free: u32,
  newest: u32,
  oldest: u32,
  hasher: DefaultHashBuilder,
  shapes: CookieShapes,
  /// Footprints of the sessions held.
  session_bytes: u64,
  stats: Stats,
}

impl Inner {
  fn new() -> Self {
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

  fn find(&self, id: &str) -> Option<u32> {
    let key = SessionKey::of(id);
    let hash = self.hasher.hash_one(key);
    let slots = &self.slots;
    self
      .table
      .find(hash, |&index| slots[index as usize].key() == key)
      .copied()
  }

  fn unlink(&mut self, index: u32) {
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

  fn push_newest(&mut self, index: u32) {
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

  fn mark_used(&mut self, index: u32) {
    if self.newest != index {
      self.unlink(index);
      self.push_newest(index);
    }
  }

  /// Puts `session` into the slot `index`, releasing what it held before.
  fn fill(&mut self, index: u32, session: Encoded, expires_at: i64) {
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

  fn remove(&mut self, index: u32) {
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
  fn live(&mut self, id: &str, now: i64) -> Option<u32> {
    let index = self.find(id)?;
    if self.slots[index as usize].expires_at <= now {
      self.remove(index);
      self.stats.expirations += 1;
      return None;
    }
    Some(index)
  }

  fn insert(&mut self, session: Encoded, expires_at: i64) -> u32 {
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
  fn compact_if_sparse(&mut self) {
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

  fn sweep(&mut self, now: i64) -> usize {
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

/// One store's sessions; share it between threads through an `Arc`.
pub struct MemoryStore {
  options: Options,
  inner: Mutex<Inner>,
}

impl MemoryStore {
  pub fn new(options: Options) -> Self {
    MemoryStore {
      options,
      inner: Mutex::new(Inner::new()),
    }
  }

  /// The store called `name` in this process, created with `options` if none is alive; a store
  /// without a name is private to the caller.
  pub fn open(name: Option<&str>, options: Options) -> Arc<MemoryStore> {
    let Some(name) = name else {
      return Arc::new(MemoryStore::new(options));
    };
    static NAMED: OnceLock<Mutex<HashMap<String, Weak<MemoryStore>>>> = OnceLock::new();
    let mut named = recover(NAMED.get_or_init(Default::default).lock());
    if let Some(store) = named.get(name).and_then(Weak::upgrade) {
      return store;
    }
    named.retain(|_, store| store.strong_count() > 0);
    let store = Arc::new(MemoryStore::new(options));
    named.insert(name.to_owned(), Arc::downgrade(&store));
    store
  }

  fn lock(&self) -> MutexGuard<'_, Inner> {
    // no operation leaves the storage half-changed, so a panic elsewhere does not poison it
    recover(self.inner.lock())
  }

  fn expiry(&self, expires_at: Option<i64>, now: i64) -> i64 {
    expires_at.unwrap_or_else(|| {
      self
        .options
        .ttl_ms
        .map_or(NEVER, |ttl| now.saturating_add(ttl))
    })
  }

  /// The session's JSON, unless it is missing or expired.
  pub fn get(&self, id: &str, now: i64) -> Option<String> {
    self.read(id, now, |slot, shapes| slot.json(shapes))
  }

  /// The session, unless it is missing or expired, in the form that costs least to hand over: a
  /// cookie kept as fields is left for the caller to rebuild from the fields it has seen before.
  pub fn load(&self, id: &str, now: i64) -> Option<Loaded> {
    let no_expiry_policy = self.options.ttl_ms.is_none() && self.options.max.is_none();
    self.read(id, now, |slot, shapes| match slot.cookie_ref() {
      CookieRef::Shape(shape) => Loaded::Fields {
        data: slot.data().to_owned(),
        shape,
        serial: shapes.serial(shape),
        expires_at: slot.expires_at,
        data_as_stringified: slot.data_as_stringified(),
        touch_changes_nothing: no_expiry_policy
          && slot.expires_at == NEVER
          && shapes.get(shape).expires != Some(Expires::AtSessionExpiry),
      },
      _ => Loaded::Whole(slot.json(shapes)),
    })
  }

  /// Reads a live session as a use of it.
  fn read<T>(&self, id: &str, now: i64, read: impl FnOnce(&Slot, &CookieShapes) -> T) -> Option<T> {
    let mut inner = self.lock();
    match inner.live(id, now) {
      Some(index) => {
        inner.mark_used(index);
        inner.stats.hits += 1;
        Some(read(&inner.slots[index as usize], &inner.shapes))
      }
      None => {
        inner.stats.misses += 1;
        None
      }
    }
  }

  /// The cookie JSON of shape `shape` while it has `serial`, written for a session expiring at
  /// the epoch (a caller rebuilding a cookie puts its session's own expiry in).
  pub fn cookie_fields_json(&self, shape: u32, serial: u64) -> Option<String> {
    let inner = self.lock();
    let fields = inner.shapes.get_checked(shape, serial)?;
    let mut json = String::new();
    fields.write_json(0, &mut json);
    Some(json)
  }

  /// Touches a live session whose cookie is still shape `shape` with `serial`: only its expiry
  /// changes (the cookie's `expires`, when it has one, is that expiry), and it counts as used.
  /// Gives the same result as [`MemoryStore::touch`] with that shape's cookie JSON written for
  /// `expires_at`. False, changing nothing, when that does not hold: the session's cookie is
  /// another, or `expires_at` does not suit the shape's `expires` (the caller then touches with
  /// the cookie's JSON). True also when there is no live session, which a touch leaves alone.
  pub fn touch_fields(
    &self,
    id: &str,
    shape: u32,
    serial: u64,
    expires_at: Option<i64>,
    now: i64,
  ) -> bool {
    let expiry = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let Some(index) = inner.live(id, now) else {
      return true;
    };
    if inner.slots[index as usize].cookie_ref() != CookieRef::Shape(shape) {
      return false;
    }
    let Some(fields) = inner.shapes.get_checked(shape, serial) else {
      return false;
    };
    let suits = match fields.expires {
      Some(Expires::AtSessionExpiry) => expires_at.is_some_and(iso_time::writable),
      Some(Expires::Null) | None => expires_at.is_none(),
    };
    if !suits {
      return false;
    }
    inner.slots[index as usize].expires_at = expiry;
    inner.mark_used(index);
    true
  }

  /// Stores a session: its cookie JSON, its data JSON (an object without the cookie) and when it
  /// expires (`None`: the ttl option, or never).
  pub fn set(&self, id: &str, cookie: Option<&str>, data: &str, expires_at: Option<i64>, now: i64) {
    let expires_at = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let session = Encoded::new(id, cookie, data, false, expires_at, &mut inner.shapes);
    if let Some(index) = inner.find(id) {
      inner.fill(index, session, expires_at);
      inner.mark_used(index);
      return;
    }
    inner.insert(session, expires_at);
    if let Some(max) = self.options.max {
      while inner.table.len() > max && inner.oldest != NIL {
        let oldest = inner.oldest;
        inner.remove(oldest);
        inner.stats.evictions += 1;
      }
    }
  }

  /// Replaces the cookie and expiry of a live session, keeping its data; false when there is none.
  pub fn touch(&self, id: &str, cookie: Option<&str>, expires_at: Option<i64>, now: i64) -> bool {
    self.rewrite(id, cookie, expires_at, now, false, |data| {
      Ok(data.to_owned())
    }) == Ok(true)
  }

  /// Merges one request's changes into a live session, all under the lock so that concurrent
  /// merges into one session each keep the others' keys: sets each top-level member of the JSON
  /// object `changes` in the data (in place, or appended when new), deletes the keys `removed`
  /// (JavaScript strings as UTF-16) and replaces the cookie and expiry. False, changing nothing,
  /// when there is no live session `id`: a merge never brings back a destroyed or expired session.
  /// See `session_merge::apply`.
  pub fn merge(
    &self,
    id: &str,
    changes: &str,
    removed: &[&[u16]],
    cookie: Option<&str>,
    expires_at: Option<i64>,
    now: i64,
  ) -> Result<bool, Malformed> {
    self.rewrite(id, cookie, expires_at, now, true, |data| {
      session_merge::apply(data, changes, removed)
    })
  }

  /// Gives a live session the data `new_data` makes from its current data (`merging` it: see
  /// MERGED_DATA), and a new cookie and expiry, and counts it as used. False when there is no
  /// live session `id`.
  fn rewrite(
    &self,
    id: &str,
    cookie: Option<&str>,
    expires_at: Option<i64>,
    now: i64,
    merging: bool,
    new_data: impl FnOnce(&str) -> Result<String, Malformed>,
  ) -> Result<bool, Malformed> {
    let expires_at = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let Some(index) = inner.live(id, now) else {
      return Ok(false);
    };
    let slot = &inner.slots[index as usize];
    let merged = merging || !slot.data_as_stringified();
    let data = new_data(slot.data())?;
    let session = Encoded::new(id, cookie, &data, merged, expires_at, &mut inner.shapes);
    inner.fill(index, session, expires_at);
    inner.mark_used(index);
    Ok(true)
  }

  pub fn destroy(&self, id: &str) {
    let mut inner = self.lock();
    if let Some(index) = inner.find(id) {
      inner.remove(index);
      inner.compact_if_sparse();
    }
  }

  /// Forgets every session; the counters of hits, misses and so on carry on, and so do the cookie
  /// shapes' serials, which callers may have remembered.
  pub fn clear(&self) {
    let mut inner = self.lock();
    let stats = inner.stats;
    let shapes = inner.shapes.emptied();
    *inner = Inner::new();
    inner.stats = stats;
    inner.shapes = shapes;
    drop(inner);
    allocator::release_free_memory();
  }

  /// Live sessions, after removing the expired ones.
  pub fn len(&self, now: i64) -> usize {
    let mut inner = self.lock();
    inner.sweep(now);
    inner.table.len()
  }

  pub fn is_empty(&self, now: i64) -> bool {
    self.len(now) == 0
  }

  /// Every live session as (ID, JSON), least recently used first.
  pub fn entries(&self, now: i64) -> Vec<(String, String)> {
    let mut inner = self.lock();
    inner.sweep(now);
    let mut entries = Vec::with_capacity(inner.table.len());
    let mut index = inner.oldest;
    while index != NIL {
      let slot = &inner.slots[index as usize];
      entries.push((slot.key().id().into_owned(), slot.json(&inner.shapes)));
      index = slot.newer;
    }
    entries
  }

  /// Removes every expired session; returns how many.
  pub fn sweep(&self, now: i64) -> usize {
    self.lock().sweep(now)
  }

  pub fn stats(&self) -> Stats {
    let inner = self.lock();
    Stats {
      sessions: inner.table.len() as u64,
      bytes: inner.session_bytes + inner.shapes.heap_size() as u64,
      ..inner.stats
    }
  }
}

fn recover<T>(result: Result<T, std::sync::PoisonError<T>>) -> T {
  result.unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
  use super::*;

  const COOKIE: &str = r#"{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}"#;

  fn store() -> MemoryStore {
    MemoryStore::new(Options::default())
  }

  fn bounded(max: usize) -> MemoryStore {
    MemoryStore::new(Options {
      max: Some(max),
      ttl_ms: None,
    })
  }

  #[test]
  fn stores_and_assembles_session_json() {
    let s = store();
    s.set("a", Some(COOKIE), r#"{"views":1}"#, None, 0);
    s.set("b", Some(COOKIE), "{}", None, 0);
    s.set("c", None, r#"{"foo":"bar"}"#, None, 0);
    assert_eq!(
      s.get("a", 0).unwrap(),
      format!(r#"{{"cookie":{COOKIE},"views":1}}"#)
    );
    assert_eq!(s.get("b", 0).unwrap(), format!(r#"{{"cookie":{COOKIE}}}"#));
    assert_eq!(s.get("c", 0).unwrap(), r#"{"foo":"bar"}"#);
    assert_eq!(s.get("d", 0), None);
  }

  #[test]
  fn set_replaces_and_destroy_removes() {
    let s = store();
    s.set("a", Some(COOKIE), r#"{"n":1}"#, None, 0);
    s.set("a", Some(COOKIE), r#"{"n":2}"#, None, 0);
    assert!(s.get("a", 0).unwrap().ends_with(r#""n":2}"#));
    assert_eq!(s.len(0), 1);
    s.destroy("a");
    assert_eq!(s.get("a", 0), None);
    assert_eq!(s.len(0), 0);
    assert_eq!(s.stats().bytes, 0);
  }

  #[test]
  fn expired_sessions_are_never_returned() {
    let s = store();
    s.set("a", Some(COOKIE), "{}", Some(1_000), 0);
    assert!(s.get("a", 999).is_some());
    assert_eq!(s.get("a", 1_000), None);
    let stats = s.stats();
    assert_eq!((stats.expirations, stats.sessions), (1, 0));
  }

  #[test]
  fn ttl_applies_to_sessions_without_expiry() {
    let s = MemoryStore::new(Options {
      max: None,
      ttl_ms: Some(500),
    });
    s.set("a", Some(COOKIE), "{}", None, 100);
    s.set("b", Some(COOKIE), "{}", Some(10_000), 100);
    assert!(s.get("a", 599).is_some());
    assert_eq!(s.get("a", 600), None);
    assert!(s.get("b", 600).is_some());
  }

  #[test]
  fn touch_moves_expiry_and_keeps_data() {
    let s = store();
    s.set("a", Some(COOKIE), r#"{"user":"x"}"#, Some(100), 0);
    assert!(s.touch("a", Some(r#"{"expires":"later"}"#), Some(1_000), 50));
    assert_eq!(
      s.get("a", 500).unwrap(),
      r#"{"cookie":{"expires":"later"},"user":"x"}"#
    );
    assert!(!s.touch("missing", Some(COOKIE), None, 0));
    assert!(!s.touch("a", Some(COOKIE), None, 1_000));
  }

  #[test]
  fn sweep_removes_only_expired_sessions() {
    let s = store();
    for (id, expires) in [("a", 10), ("b", 20), ("c", 30)] {
      s.set(id, Some(COOKIE), "{}", Some(expires), 0);
    }
    s.set("forever", Some(COOKIE), "{}", None, 0);
    assert_eq!(s.sweep(20), 2);
    let ids: Vec<String> = s.entries(20).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, vec!["c", "forever"]);
    assert_eq!(s.stats().expirations, 2);
  }

  #[test]
  fn evicts_the_least_recently_used() {
    let s = bounded(3);
    for id in ["a", "b", "c"] {
      s.set(id, None, "{}", None, 0);
    }
    s.get("a", 0); // b is now the least recently used
    s.set("d", None, "{}", None, 0);
    assert_eq!(s.get("b", 0), None);
    s.touch("c", None, None, 0); // a is now the least recently used
    s.set("e", None, "{}", None, 0);
    assert_eq!(s.get("a", 0), None);
    let ids: Vec<String> = s.entries(0).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, vec!["d", "c", "e"]);
    assert_eq!(s.stats().evictions, 2);
  }

  #[test]
  fn counts_hits_and_misses() {
    let s = store();
    s.set("a", None, "{}", None, 0);
    s.get("a", 0);
    s.get("a", 0);
    s.get("b", 0);
    let stats = s.stats();
    assert_eq!((stats.hits, stats.misses, stats.sessions), (2, 1, 1));
    assert!(stats.bytes > 0);
  }

  #[test]
  fn churn_reuses_slots() {
    let s = store();
    for round in 0..5i64 {
      for i in 0..1_000 {
        s.set(
          &format!("{round}-{i}"),
          Some(COOKIE),
          "{}",
          Some(round * 10 + 5),
          round * 10,
        );
      }
      s.sweep(round * 10 + 5);
    }
    let inner = s.lock();
    assert_eq!(inner.slots.len(), 1_000);
    assert_eq!(inner.table.len(), 0);
  }

  #[test]
  fn a_store_shrinks_back_once_its_peak_has_gone() {
    let s = bounded(100_000);
    for i in 0..20_000i64 {
      // every tenth session outlives the others
      let expires_at = if i % 10 == 0 { 1_000 } else { 10 };
      s.set(
        &format!("s{i}"),
        Some(COOKIE),
        &format!("{{\"n\":{i}}}"),
        Some(expires_at),
        0,
      );
    }
    // the survivors, in least recently used order: 0, 10, ..., with 5000 used last
    s.get("s5000", 1);
    assert_eq!(s.sweep(20), 18_000);
    {
      let inner = s.lock();
      assert_eq!(inner.slots.len(), 2_000);
      assert_eq!(inner.table.len(), 2_000);
      assert_eq!(inner.free, NIL);
    }
    let ids: Vec<String> = s.entries(20).into_iter().map(|(id, _)| id).collect();
    let mut expected: Vec<String> = (0..20_000)
      .step_by(10)
      .filter(|&i| i != 5000)
      .map(|i| format!("s{i}"))
      .collect();
    expected.push("s5000".into());
    assert_eq!(ids, expected);
    assert_eq!(
      s.get("s70", 20).as_deref(),
      Some(
        r#"{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},"n":70}"#
      )
    );
    // the bound still evicts in the same order, and new sessions take new slots
    s.set("new", None, "{}", None, 20);
    assert_eq!(s.len(20), 2_001);
    s.destroy("s0");
    assert_eq!(s.get("s0", 20), None);
    assert!(s.stats().bytes > 0);
  }

  #[test]
  fn destroying_most_sessions_shrinks_the_store() {
    let s = store();
    for i in 0..10_000 {
      s.set(&format!("s{i}"), None, "{}", None, 0);
    }
    for i in 0..9_000 {
      s.destroy(&format!("s{i}"));
    }
    let inner = s.lock();
    assert!(
      inner.slots.len() < 4_000,
      "{} slots for 1,000 sessions",
      inner.slots.len()
    );
    assert_eq!(inner.table.len(), 1_000);
  }

  #[test]
  fn clear_forgets_sessions_but_keeps_counters() {
    let s = store();
    s.set("a", None, "{}", None, 0);
    s.get("a", 0);
    s.clear();
    assert_eq!(s.get("a", 0), None);
    let stats = s.stats();
    assert_eq!(
      (stats.sessions, stats.bytes, stats.hits, stats.misses),
      (0, 0, 1, 1)
    );
  }

  #[test]
  fn named_stores_are_shared_across_threads() {
    let here = MemoryStore::open(Some("memory_store::tests::shared"), Options::default());
    std::thread::spawn(|| {
      let there = MemoryStore::open(Some("memory_store::tests::shared"), Options::default());
      there.set("from-thread", None, r#"{"n":1}"#, None, 0);
    })
    .join()
    .unwrap();
    assert_eq!(here.get("from-thread", 0).unwrap(), r#"{"n":1}"#);
    let private = MemoryStore::open(None, Options::default());
    assert_eq!(private.get("from-thread", 0), None);
  }

  #[test]
  fn unicode_ids_and_data_survive() {
    let s = store();
    s.set("ключ", Some(COOKIE), r#"{"name":"名前"}"#, None, 0);
    assert!(s.get("ключ", 0).unwrap().contains("名前"));
  }

  const ISO_COOKIE: &str =
    r#"{"originalMaxAge":3600000,"expires":"2023-11-14T22:13:20.123Z","httpOnly":true,"path":"/"}"#;
  const ISO_EXPIRY: i64 = 1_700_000_000_123;

  fn units(keys: &[&str]) -> Vec<Vec<u16>> {
    keys
      .iter()
      .map(|key| key.encode_utf16().collect())
      .collect()
  }

  fn merge(s: &MemoryStore, id: &str, changes: &str, removed: &[&str], now: i64) -> bool {
    let removed = units(removed);
    let removed: Vec<&[u16]> = removed.iter().map(Vec::as_slice).collect();
    s.merge(
      id,
      changes,
      &removed,
      Some(ISO_COOKIE),
      Some(ISO_EXPIRY),
      now,
    )
    .unwrap()
  }

  #[test]
  fn generated_and_other_ids_live_side_by_side() {
    let s = store();
    let generated = "abcdefghijklmnopqrstuvwxyz-_0123";
    let similar = "abcdefghijklmnopqrstuvwxyz-_012=";
    s.set(generated, None, r#"{"n":1}"#, None, 0);
    s.set(similar, None, r#"{"n":2}"#, None, 0);
    assert!(matches!(s.lock().slots[0].key(), SessionKey::Packed(_)));
    assert_eq!(s.get(generated, 0).unwrap(), r#"{"n":1}"#);
    assert_eq!(s.get(similar, 0).unwrap(), r#"{"n":2}"#);
    let ids: Vec<String> = s.entries(0).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, vec![generated, similar]);
    s.destroy(generated);
    assert_eq!(s.get(generated, 0), None);
    assert!(s.get(similar, 0).is_some());
  }

  #[test]
  fn slots_stay_small() {
    assert_eq!(std::mem::size_of::<Slot>(), 32);
  }

  #[test]
  fn cookies_come_back_as_they_went_in() {
    let odd = r#"{"path":"/","originalMaxAge":1,"custom":{"a":[1]}}"#;
    let unusual_expiry = r#"{"expires":"2023-11-14T22:13:20Z"}"#;
    // (cookie JSON, expiry, kept as fields)
    let cases = [
      (ISO_COOKIE, Some(ISO_EXPIRY), true),
      (COOKIE, None, true),
      (odd, None, false),
      (ISO_COOKIE, Some(ISO_EXPIRY + 1), false),
      (unusual_expiry, Some(ISO_EXPIRY), false),
    ];
    let s = store();
    for (n, &(cookie, expiry, _)) in cases.iter().enumerate() {
      s.set(
        &format!("s{n}"),
        Some(cookie),
        &format!(r#"{{"n":{n}}}"#),
        expiry,
        0,
      );
    }
    for (n, &(cookie, _, as_fields)) in cases.iter().enumerate() {
      let id = format!("s{n}");
      let expected = format!(r#"{{"cookie":{cookie},"n":{n}}}"#);
      assert_eq!(s.get(&id, 0).unwrap(), expected);
      let inner = s.lock();
      let kept = inner.slots[inner.find(&id).unwrap() as usize].cookie_ref();
      if as_fields {
        assert!(matches!(kept, CookieRef::Shape(_)), "{cookie}");
      } else {
        assert_eq!(kept, CookieRef::Text(cookie.len() as u32));
      }
    }
  }

  #[test]
  fn sessions_share_cookie_fields_until_the_last_goes() {
    let s = store();
    for i in 0..100 {
      let expiry = ISO_EXPIRY + i;
      let mut cookie = String::new();
      CookieFields::parse(ISO_COOKIE, ISO_EXPIRY)
        .unwrap()
        .write_json(expiry, &mut cookie);
      s.set(&format!("s{i}"), Some(&cookie), "{}", Some(expiry), 0);
    }
    assert_eq!(s.lock().shapes.len(), 1);
    assert!(s
      .get("s42", 0)
      .unwrap()
      .contains("2023-11-14T22:13:20.165Z"));
    s.touch("s1", Some(COOKIE), None, 0);
    assert_eq!(s.lock().shapes.len(), 2);
    for i in 0..100 {
      s.destroy(&format!("s{i}"));
    }
    assert!(s.lock().shapes.is_empty());
    assert_eq!(s.stats().bytes, 0);
  }

  #[test]
  fn merge_sets_removes_and_keeps_other_writes() {
    let s = store();
    s.set(
      "a",
      Some(COOKIE),
      r#"{"cart":[],"visits":5,"old":true}"#,
      None,
      0,
    );
    assert!(merge(
      &s,
      "a",
      r#"{"cart":["book"],"seen":1}"#,
      &["old"],
      10
    ));
    assert_eq!(
      s.get("a", 10).unwrap(),
      format!(r#"{{"cookie":{ISO_COOKIE},"cart":["book"],"visits":5,"seen":1}}"#)
    );
    let stats = s.stats();
    assert_eq!((stats.sessions, stats.hits), (1, 1));
  }

  #[test]
  fn merge_never_brings_back_a_missing_or_expired_session() {
    let s = store();
    assert!(!merge(&s, "missing", r#"{"a":1}"#, &[], 0));
    s.set("expired", Some(COOKIE), r#"{"a":1}"#, Some(100), 0);
    assert!(!merge(&s, "expired", r#"{"a":2}"#, &[], 100));
    s.set("destroyed", Some(COOKIE), r#"{"a":1}"#, None, 0);
    s.destroy("destroyed");
    assert!(!merge(&s, "destroyed", r#"{"a":2}"#, &[], 0));
    assert_eq!(s.len(0), 0);
    assert_eq!(s.stats().expirations, 1);
  }

  #[test]
  fn merge_counts_as_a_use_and_moves_the_expiry() {
    let s = bounded(2);
    s.set("a", None, "{}", Some(1_000), 0);
    s.set("b", None, "{}", None, 0);
    assert!(merge(&s, "a", "{}", &[], 0)); // b is now the least recently used
    s.set("c", None, "{}", None, 0);
    assert_eq!(s.get("b", 0), None);
    assert!(s.get("a", ISO_EXPIRY - 1).is_some());
  }

  #[test]
  fn a_malformed_merge_changes_nothing() {
    let s = store();
    s.set("a", Some(COOKIE), r#"{"n":1}"#, None, 0);
    assert!(s.merge("a", "{oops", &[], None, Some(5), 0).is_err());
    assert_eq!(
      s.get("a", 10).unwrap(),
      format!(r#"{{"cookie":{COOKIE},"n":1}}"#)
    );
  }

  #[test]
  fn concurrent_merges_keep_every_key() {
    let s = Arc::new(store());
    s.set("shared", Some(COOKIE), "{}", None, 0);
    let threads: Vec<_> = (0..8)
      .map(|t| {
        let s = Arc::clone(&s);
        std::thread::spawn(move || {
          for i in 0..100 {
            assert!(s
              .merge(
                "shared",
                &format!(r#"{{"t{t}_{i}":{i}}}"#),
                &[],
                Some(COOKIE),
                None,
                0
              )
              .unwrap());
          }
        })
      })
      .collect();
    for thread in threads {
      thread.join().unwrap();
    }
    let json = s.get("shared", 0).unwrap();
    for t in 0..8 {
      for i in 0..100 {
        assert!(
          json.contains(&format!(r#""t{t}_{i}":{i}"#)),
          "lost t{t}_{i}"
        );
      }
    }
  }

  fn fields_of(loaded: Option<Loaded>) -> (String, u32, u64, i64, bool) {
    match loaded {
      Some(Loaded::Fields {
        data,
        shape,
        serial,
        expires_at,
        data_as_stringified,
        ..
      }) => (data, shape, serial, expires_at, data_as_stringified),
      other => panic!("not loaded as fields: {other:?}"),
    }
  }

  #[test]
  fn load_hands_over_data_and_cookie_fields() {
    let s = store();
    s.set("a", Some(ISO_COOKIE), r#"{"n":1}"#, Some(ISO_EXPIRY), 0);
    let (data, shape, serial, expires_at, as_stringified) = fields_of(s.load("a", 0));
    assert_eq!(data, r#"{"n":1}"#);
    assert_eq!((expires_at, as_stringified), (ISO_EXPIRY, true));
    // the fields, written for the session's expiry, are the cookie that went in
    let written = s.cookie_fields_json(shape, serial).unwrap();
    let fields = CookieFields::parse(&written, 0).unwrap();
    let mut cookie = String::new();
    fields.write_json(expires_at, &mut cookie);
    assert_eq!(cookie, ISO_COOKIE);
    // other cookies come whole, and a load counts as a read
    s.set("b", Some(r#"{"custom":1}"#), r#"{"n":2}"#, None, 0);
    s.set("c", None, r#"{"n":3}"#, None, 0);
    assert_eq!(s.load("b", 0), s.get("b", 0).map(Loaded::Whole));
    assert_eq!(s.load("c", 0), Some(Loaded::Whole(r#"{"n":3}"#.to_owned())));
    assert_eq!(s.load("d", 0), None);
    assert_eq!((s.stats().hits, s.stats().misses), (4, 1));
  }

  #[test]
  fn merged_data_is_marked_until_written_whole() {
    let s = store();
    s.set("a", Some(COOKIE), r#"{"b":1}"#, None, 0);
    assert!(merge(&s, "a", r#"{"7":2}"#, &[], 0));
    let (data, .., as_stringified) = fields_of(s.load("a", 0));
    assert_eq!((data.as_str(), as_stringified), (r#"{"b":1,"7":2}"#, false));
    // a touch keeps the data, and the mark
    s.touch("a", Some(COOKIE), None, 0);
    assert!(!fields_of(s.load("a", 0)).4);
    s.set("a", Some(COOKIE), r#"{"7":2,"b":1}"#, None, 0);
    assert!(fields_of(s.load("a", 0)).4);
    // the mark is not part of the key
    assert_eq!(s.entries(0)[0].0, "a");
  }

  #[test]
  fn touching_by_fields_matches_touching_with_the_cookie() {
    let by_json = store();
    let by_fields = store();
    for s in [&by_json, &by_fields] {
      s.set("a", Some(ISO_COOKIE), r#"{"n":1}"#, Some(ISO_EXPIRY), 0);
    }
    let later = ISO_EXPIRY + 60_000;
    let mut cookie = String::new();
    CookieFields::parse(ISO_COOKIE, ISO_EXPIRY)
      .unwrap()
      .write_json(later, &mut cookie);
    assert!(by_json.touch("a", Some(&cookie), Some(later), 1));
    let (_, shape, serial, ..) = fields_of(by_fields.load("a", 0));
    assert!(by_fields.touch_fields("a", shape, serial, Some(later), 1));
    assert_eq!(by_fields.get("a", 2), by_json.get("a", 2));
    assert_eq!(by_fields.stats().bytes, by_json.stats().bytes);
  }

  #[test]
  fn touching_by_fields_declines_what_it_cannot_do_alike() {
    let s = store();
    s.set("a", Some(ISO_COOKIE), "{}", Some(ISO_EXPIRY), 0);
    s.set("b", Some(COOKIE), "{}", None, 0);
    let (_, iso_shape, iso_serial, ..) = fields_of(s.load("a", 0));
    let (_, null_shape, null_serial, ..) = fields_of(s.load("b", 0));
    // an expiry the shape's `expires` cannot carry
    assert!(!s.touch_fields("a", iso_shape, iso_serial, None, 0));
    assert!(!s.touch_fields("a", iso_shape, iso_serial, Some(iso_time::LAST + 1), 0));
    assert!(!s.touch_fields("b", null_shape, null_serial, Some(ISO_EXPIRY), 0));
    // another session's shape, or a shape that has gone and whose number was reused
    assert!(!s.touch_fields("a", null_shape, null_serial, None, 0));
    s.destroy("b");
    s.set("c", Some(r#"{"path":"/c"}"#), "{}", None, 0);
    let (_, reused, ..) = fields_of(s.load("c", 0));
    assert_eq!(reused, null_shape);
    assert!(!s.touch_fields("c", null_shape, null_serial, None, 0));
    assert!(s.cookie_fields_json(null_shape, null_serial).is_none());
    // nothing changed by the declines; a missing session is left alone
    assert_eq!(
      s.load("a", 0).map(|l| fields_of(Some(l)).3),
      Some(ISO_EXPIRY)
    );
    assert!(s.touch_fields("gone", iso_shape, iso_serial, Some(ISO_EXPIRY), 0));
    assert_eq!(s.len(0), 2);
  }

  #[test]
  fn touches_that_change_nothing_are_told_apart() {
    let changes_nothing = |s: &MemoryStore, id: &str| match s.load(id, 0) {
      Some(Loaded::Fields {
        touch_changes_nothing,
        ..
      }) => touch_changes_nothing,
      other => panic!("not loaded as fields: {other:?}"),
    };
    let s = store();
    s.set("browser", Some(COOKIE), "{}", None, 0);
    s.set("dated", Some(ISO_COOKIE), "{}", Some(ISO_EXPIRY), 0);
    s.set("odd", Some(COOKIE), "{}", Some(ISO_EXPIRY), 0);
    assert!(changes_nothing(&s, "browser"));
    assert!(!changes_nothing(&s, "dated"));
    // an expiry the cookie does not show still moves on a touch
    assert!(!changes_nothing(&s, "odd"));
    // with ttl a touch moves the expiry; with max it reorders the sessions for eviction
    for options in [
      Options {
        ttl_ms: Some(1_000),
        max: None,
      },
      Options {
        ttl_ms: None,
        max: Some(10),
      },
    ] {
      let s = MemoryStore::new(options);
      s.set("browser", Some(COOKIE), "{}", None, 0);
      assert!(!changes_nothing(&s, "browser"));
    }
  }

  #[test]
  fn serials_are_not_reused_after_clear() {
    let s = store();
    s.set("a", Some(COOKIE), "{}", None, 0);
    let (_, shape, serial, ..) = fields_of(s.load("a", 0));
    s.clear();
    s.set("b", Some(ISO_COOKIE), "{}", Some(ISO_EXPIRY), 0);
    let (_, new_shape, new_serial, ..) = fields_of(s.load("b", 0));
    assert_eq!(new_shape, shape);
    assert_ne!(new_serial, serial);
    assert!(s.cookie_fields_json(shape, serial).is_none());
  }
}
