//! Storage of the embedded MemoryStore: session JSON by session ID, with expiry, an optional bound
//! with least-recently-used eviction, counters, and named instances shared by every thread of the
//! process (so `worker_threads` see one set of sessions).
//!
//! Each session is one slot in a slab: a single heap string holding its ID, its cookie JSON and its
//! data JSON (the session without the cookie) back to back, its expiry, and u32 links of the LRU
//! list. A hash table of slot numbers finds a slot by ID. Freed slots and their heap blocks are
//! reused by later sessions, so churn does not grow memory. Times are epoch milliseconds passed in
//! by the caller, which keeps this module deterministic under test.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

const NIL: u32 = u32::MAX;
const NO_COOKIE: u32 = u32::MAX;
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
  /// Heap and bookkeeping bytes of the sessions held.
  pub bytes: u64,
  pub hits: u64,
  pub misses: u64,
  pub expirations: u64,
  pub evictions: u64,
}

struct Slot {
  /// ID, cookie JSON and data JSON, concatenated; empty while the slot is free.
  text: Box<str>,
  id_len: u32,
  cookie_len: u32,
  expires_at: i64,
  /// Towards the most recently used end of the list.
  newer: u32,
  /// Towards the least recently used end.
  older: u32,
}

impl Slot {
  fn id(&self) -> &str {
    &self.text[..self.id_len as usize]
  }

  fn cookie(&self) -> Option<&str> {
    (self.cookie_len != NO_COOKIE).then(|| {
      let start = self.id_len as usize;
      &self.text[start..start + self.cookie_len as usize]
    })
  }

  fn data(&self) -> &str {
    let cookie_len = if self.cookie_len == NO_COOKIE {
      0
    } else {
      self.cookie_len as usize
    };
    &self.text[self.id_len as usize + cookie_len..]
  }

  fn fill(&mut self, id: &str, cookie: Option<&str>, data: &str) {
    let mut text = String::with_capacity(id.len() + cookie.map_or(0, str::len) + data.len());
    text.push_str(id);
    text.push_str(cookie.unwrap_or(""));
    text.push_str(data);
    self.text = text.into_boxed_str();
    self.id_len = id.len() as u32;
    self.cookie_len = cookie.map_or(NO_COOKIE, |c| c.len() as u32);
  }

  /// The whole session as JSON: the cookie first, then the data's keys.
  fn json(&self) -> String {
    let data = self.data();
    let Some(cookie) = self.cookie() else {
      return data.to_owned();
    };
    let mut json = String::with_capacity(cookie.len() + data.len() + 11);
    json.push_str("{\"cookie\":");
    json.push_str(cookie);
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
    (self.text.len() + std::mem::size_of::<Slot>() + std::mem::size_of::<u32>()) as u64
  }
}

struct Inner {
  table: HashTable<u32>,
  slots: Vec<Slot>,
  free: Vec<u32>,
  newest: u32,
  oldest: u32,
  hasher: DefaultHashBuilder,
  stats: Stats,
}

impl Inner {
  fn new() -> Self {
    Inner {
      table: HashTable::new(),
      slots: Vec::new(),
      free: Vec::new(),
      newest: NIL,
      oldest: NIL,
      hasher: DefaultHashBuilder::default(),
      stats: Stats::default(),
    }
  }

  fn find(&self, id: &str) -> Option<u32> {
    let hash = self.hasher.hash_one(id);
    let slots = &self.slots;
    self
      .table
      .find(hash, |&index| slots[index as usize].id() == id)
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

  fn remove(&mut self, index: u32) {
    let Inner {
      table,
      slots,
      hasher,
      ..
    } = self;
    let hash = hasher.hash_one(slots[index as usize].id());
    if let Ok(entry) = table.find_entry(hash, |&i| i == index) {
      entry.remove();
    }
    self.unlink(index);
    let slot = &mut self.slots[index as usize];
    self.stats.bytes -= slot.footprint();
    slot.text = Box::from("");
    self.free.push(index);
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

  fn insert(&mut self, id: &str, cookie: Option<&str>, data: &str, expires_at: i64) -> u32 {
    let blank = Slot {
      text: Box::from(""),
      id_len: 0,
      cookie_len: NO_COOKIE,
      expires_at,
      newer: NIL,
      older: NIL,
    };
    let index = match self.free.pop() {
      Some(index) => {
        self.slots[index as usize] = blank;
        index
      }
      None => {
        self.slots.push(blank);
        (self.slots.len() - 1) as u32
      }
    };
    self.slots[index as usize].fill(id, cookie, data);

    let Inner {
      table,
      slots,
      hasher,
      ..
    } = self;
    let hash = hasher.hash_one(id);
    table.insert_unique(hash, index, |&i| hasher.hash_one(slots[i as usize].id()));
    self.push_newest(index);
    index
  }

  fn sweep(&mut self, now: i64) -> usize {
    let expired: Vec<u32> = (0..self.slots.len() as u32)
      .filter(|&i| {
        let slot = &self.slots[i as usize];
        !slot.text.is_empty() && slot.expires_at <= now
      })
      .collect();
    for &index in &expired {
      self.remove(index);
    }
    self.stats.expirations += expired.len() as u64;
    expired.len()
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
    let mut inner = self.lock();
    match inner.live(id, now) {
      Some(index) => {
        inner.mark_used(index);
        inner.stats.hits += 1;
        Some(inner.slots[index as usize].json())
      }
      None => {
        inner.stats.misses += 1;
        None
      }
    }
  }

  /// Stores a session: its cookie JSON, its data JSON (an object without the cookie) and when it
  /// expires (`None`: the ttl option, or never).
  pub fn set(&self, id: &str, cookie: Option<&str>, data: &str, expires_at: Option<i64>, now: i64) {
    let expires_at = self.expiry(expires_at, now);
    let mut inner = self.lock();
    match inner.find(id) {
      Some(index) => {
        let slot = &mut inner.slots[index as usize];
        let before = slot.footprint();
        slot.fill(id, cookie, data);
        slot.expires_at = expires_at;
        let after = slot.footprint();
        inner.stats.bytes = inner.stats.bytes - before + after;
        inner.mark_used(index);
      }
      None => {
        let index = inner.insert(id, cookie, data, expires_at);
        inner.stats.bytes += inner.slots[index as usize].footprint();
        if let Some(max) = self.options.max {
          while inner.table.len() > max && inner.oldest != NIL {
            let oldest = inner.oldest;
            inner.remove(oldest);
            inner.stats.evictions += 1;
          }
        }
      }
    }
  }

  /// Replaces the cookie and expiry of a live session, keeping its data; false when there is none.
  pub fn touch(&self, id: &str, cookie: Option<&str>, expires_at: Option<i64>, now: i64) -> bool {
    let expires_at = self.expiry(expires_at, now);
    let mut inner = self.lock();
    match inner.live(id, now) {
      Some(index) => {
        let slot = &mut inner.slots[index as usize];
        let before = slot.footprint();
        let data = slot.data().to_owned();
        slot.fill(id, cookie, &data);
        slot.expires_at = expires_at;
        let after = slot.footprint();
        inner.stats.bytes = inner.stats.bytes - before + after;
        inner.mark_used(index);
        true
      }
      None => false,
    }
  }

  pub fn destroy(&self, id: &str) {
    let mut inner = self.lock();
    if let Some(index) = inner.find(id) {
      inner.remove(index);
    }
  }

  /// Forgets every session; the counters of hits, misses and so on carry on.
  pub fn clear(&self) {
    let mut inner = self.lock();
    let stats = inner.stats;
    *inner = Inner::new();
    inner.stats = Stats { bytes: 0, ..stats };
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
      entries.push((slot.id().to_owned(), slot.json()));
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
    let s = MemoryStore::new(Options {
      max: Some(3),
      ttl_ms: None,
    });
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
}
