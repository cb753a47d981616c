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

mod slab;
mod slot;

use crate::allocator;
use crate::cookie_form::Expires;
use crate::cookie_shapes::CookieShapes;
use crate::iso_time;
use crate::json_object::Malformed;
use crate::session_merge;
use slab::{Inner, NIL};
use slot::{CookieRef, Encoded, Slot};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// The expiry of a session that never expires.
pub const NEVER: i64 = i64::MAX;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
  /// Most sessions held; the least recently used is evicted beyond it.
  pub max: Option<usize>,
  /// Lifetime of sessions saved without an expiry, in milliseconds.
  pub ttl_ms: Option<i64>,
}

/// What [`MemoryStore::touch_fields`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsTouch {
  /// The session's expiry is now the one given.
  Touched,
  /// Nothing changed: the session's cookie is not that shape, or the expiry does not suit it.
  Declined,
  /// Nothing changed: there is no live session under that ID, as after a touch with the JSON.
  NoLiveSession,
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

/// How a session just stored keeps its cookie, when that is as shared fields: what
/// [`Loaded::Fields`] would say of it besides its data, which the caller has (written by
/// JSON.stringify).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
  pub shape: u32,
  pub serial: u64,
  pub expires_at: i64,
  pub touch_changes_nothing: bool,
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
    self.read(id, now, |slot, shapes| match slot.cookie_ref() {
      CookieRef::Shape(shape) => Loaded::Fields {
        data: slot.data().to_owned(),
        shape,
        serial: shapes.serial(shape),
        expires_at: slot.expires_at,
        data_as_stringified: slot.data_as_stringified(),
        touch_changes_nothing: self.touch_changes_nothing(slot.expires_at, shapes, shape),
      },
      _ => Loaded::Whole(slot.json(shapes)),
    })
  }

  /// Whether touching a session of shape `shape` that expires at `expires_at` with those same
  /// fields would change nothing: its cookie has no `expires`, and there is no `ttl` or `max`, so
  /// the expiry stays "never" (and a read has just counted as the session's use).
  fn touch_changes_nothing(&self, expires_at: i64, shapes: &CookieShapes, shape: u32) -> bool {
    self.options.ttl_ms.is_none()
      && self.options.max.is_none()
      && expires_at == NEVER
      && shapes.get(shape).expires != Some(Expires::AtSessionExpiry)
  }

  /// What the session in slot `index` says of its cookie when that is as shared fields.
  fn stored(&self, inner: &Inner, index: u32) -> Option<Stored> {
    let slot = &inner.slots[index as usize];
    let CookieRef::Shape(shape) = slot.cookie_ref() else {
      return None;
    };
    Some(Stored {
      shape,
      serial: inner.shapes.serial(shape),
      expires_at: slot.expires_at,
      touch_changes_nothing: self.touch_changes_nothing(slot.expires_at, &inner.shapes, shape),
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
  /// `expires_at`. Declined, changing nothing, when that does not hold: the session's cookie is
  /// another, or `expires_at` does not suit the shape's `expires` (the caller then touches with
  /// the cookie's JSON). A missing or expired session is left alone, as a touch leaves it.
  pub fn touch_fields(
    &self,
    id: &str,
    shape: u32,
    serial: u64,
    expires_at: Option<i64>,
    now: i64,
  ) -> FieldsTouch {
    let expiry = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let Some(index) = inner.live(id, now) else {
      return FieldsTouch::NoLiveSession;
    };
    if inner.slots[index as usize].cookie_ref() != CookieRef::Shape(shape) {
      return FieldsTouch::Declined;
    }
    let Some(fields) = inner.shapes.get_checked(shape, serial) else {
      return FieldsTouch::Declined;
    };
    if !suits_expiry(fields.expires, expires_at) {
      return FieldsTouch::Declined;
    }
    inner.slots[index as usize].expires_at = expiry;
    inner.mark_used(index);
    FieldsTouch::Touched
  }

  /// Stores a session: its cookie JSON, its data JSON (an object without the cookie) and when it
  /// expires (`None`: the ttl option, or never). Says how the cookie is kept when that is as shared
  /// fields.
  pub fn set(
    &self,
    id: &str,
    cookie: Option<&str>,
    data: &str,
    expires_at: Option<i64>,
    now: i64,
  ) -> Option<Stored> {
    let expires_at = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let session = Encoded::new(id, cookie, data, false, expires_at, &mut inner.shapes);
    self.put(&mut inner, id, session, expires_at)
  }

  /// Stores a session whose cookie has the fields of shape `shape` with `serial` (as `load` or
  /// `set` reported them), its `expires`, when it has one, being `expires_at`: the same as
  /// [`MemoryStore::set`] with that shape's cookie JSON written for `expires_at`, without the JSON.
  /// None, storing nothing, when the shape is gone or `expires_at` does not suit it (the caller
  /// then stores the cookie's JSON).
  pub fn set_fields(
    &self,
    id: &str,
    shape: u32,
    serial: u64,
    data: &str,
    expires_at: Option<i64>,
    now: i64,
  ) -> Option<Stored> {
    let expiry = self.expiry(expires_at, now);
    let mut inner = self.lock();
    let fields = inner.shapes.get_checked(shape, serial)?;
    if !suits_expiry(fields.expires, expires_at) || !inner.shapes.acquire_checked(shape, serial) {
      return None;
    }
    let session = Encoded::with_shape(id, shape, data);
    self.put(&mut inner, id, session, expiry)
  }

  /// Puts `session` under `id`, replacing the session there, and evicts beyond the bound.
  fn put(&self, inner: &mut Inner, id: &str, session: Encoded, expires_at: i64) -> Option<Stored> {
    let index = match inner.find(id) {
      Some(index) => {
        inner.fill(index, session, expires_at);
        inner.mark_used(index);
        index
      }
      None => {
        let index = inner.insert(session, expires_at);
        if let Some(max) = self.options.max {
          while inner.table.len() > max && inner.oldest != NIL {
            let oldest = inner.oldest;
            inner.remove(oldest);
            inner.stats.evictions += 1;
          }
        }
        // a bound of at least one keeps the session just stored, which is the most recent
        index
      }
    };
    self.stored(inner, index)
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

/// Whether a cookie whose `expires` is of kind `expires` can be written for the expiry
/// `expires_at`: a date for a session expiry that ISO time can write, null or absent for none.
fn suits_expiry(expires: Option<Expires>, expires_at: Option<i64>) -> bool {
  match expires {
    Some(Expires::AtSessionExpiry) => expires_at.is_some_and(iso_time::writable),
    Some(Expires::Null) | None => expires_at.is_none(),
  }
}

fn recover<T>(result: Result<T, std::sync::PoisonError<T>>) -> T {
  result.unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
