//! A session store kept in a directory on the local disk, shared by every process and thread on
//! the machine that opens the same directory. The engine is LMDB (through `heed`): a write
//! transaction is exclusive across processes, so each operation below reads and writes a session
//! atomically; reads come from a memory map, without copying the file or taking a lock.
//!
//! Sessions are laid out as `record` describes, beside an index by expiry. Expired sessions are
//! never returned; `sweep` deletes them a batch at a time, so that no transaction holds the write
//! lock for long. With `max`, storing a session beyond that many evicts the sessions closest to
//! their expiry (a session touched on each request moves away from the front), never the one
//! being stored.
//!
//! `now` is passed in (epoch milliseconds), so that expiry can be tested without waiting.

mod error;
mod group;
mod open;
mod record;
mod verify;

pub use error::DiskStoreError;
pub use open::{is_open, FORMAT_VERSION};
pub use record::{Record, NEVER};
pub use verify::{verify, Verified};

use heed::types::{Bytes, Str, Unit};
use heed::{Database, Env, RwTxn};
use record::{expired, expiry_of, index_key, split_index_key};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The MemoryStore's counters, here with `sessions` counting every process's sessions (expired
/// ones not yet swept included), `bytes` the file's bytes in use, and the rest this process's.
pub use crate::memory_store::Stats;

pub type Result<T> = std::result::Result<T, DiskStoreError>;

/// When a commit is on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
  /// Each commit is in the OS's hands when it returns: it survives the process being killed, and
  /// reaches the disk with the OS's write-back (an OS crash or power loss can lose the last ones).
  Process,
  /// Each commit is flushed to the disk (fsync) before it returns: it survives power loss too.
  Fsync,
}

impl Durability {
  pub fn name(self) -> &'static str {
    match self {
      Durability::Process => "process",
      Durability::Fsync => "fsync",
    }
  }
}

#[derive(Debug, Clone)]
pub struct Options {
  /// Most sessions held; storing one more evicts the one closest to its expiry.
  pub max: Option<u64>,
  /// Lifetime of sessions whose cookie has no expiry, restarted by each save or touch.
  pub ttl_ms: Option<i64>,
  pub durability: Durability,
  /// Largest size the file may grow to, in bytes.
  pub map_size: usize,
}

impl Options {
  /// The options every process on one store must share, as the store records them.
  fn recorded(&self) -> String {
    let or_none = |value: Option<String>| value.unwrap_or_else(|| "none".to_owned());
    format!(
      "max={}, ttl={}",
      or_none(self.max.map(|max| max.to_string())),
      or_none(self.ttl_ms.map(|ttl| ttl.to_string()))
    )
  }
}

/// Counters of this process's operations on one store (the store itself keeps no counts, which
/// would make every read a write).
#[derive(Debug, Default)]
pub struct Counters {
  hits: AtomicU64,
  misses: AtomicU64,
  expirations: AtomicU64,
  evictions: AtomicU64,
}

/// One engine handle and its databases, shared by every store of the process on one directory.
pub struct Shared {
  env: Env,
  meta: Database<Str, Bytes>,
  sessions: Database<Bytes, Bytes>,
  expiry: Database<Bytes, Unit>,
  durability: Durability,
  directory: PathBuf,
  counters: Counters,
  group: group::GroupCommit<Write>,
}

/// A write, described so that it can run on another thread than the one that asked for it.
#[derive(Debug, Clone)]
pub enum Write {
  Set {
    id: String,
    cookie: Option<String>,
    data: String,
    expires_at: Option<i64>,
  },
  /// A new cookie and expiry for a live session; changes nothing for one that is gone.
  Touch {
    id: String,
    cookie: Option<String>,
    expires_at: Option<i64>,
  },
  /// Top-level keys set and removed in a live session's data, with a new cookie and expiry; changes
  /// nothing for one that is gone, so a merge never brings back a destroyed or expired session.
  Merge {
    id: String,
    changes: String,
    removed: Vec<Vec<u16>>,
    cookie: Option<String>,
    expires_at: Option<i64>,
  },
  Destroy {
    id: String,
  },
  Clear,
  /// Deletes at most `limit` expired sessions.
  Sweep {
    limit: usize,
  },
}

/// What one transaction expired and evicted, counted once it is committed.
#[derive(Debug, Default)]
struct Tally {
  expirations: u64,
  evictions: u64,
}

impl Tally {
  fn add(&mut self, other: &Tally) {
    self.expirations += other.expirations;
    self.evictions += other.evictions;
  }
}

/// What `load` read: the value made of the live session's record, and the number of the last
/// commit the read saw (see `last_commit`).
#[derive(Debug, PartialEq)]
pub struct Loaded<T> {
  pub found: Option<T>,
  pub as_of: u64,
}

/// What `commit_queued` did: one result per write, in the order they were queued, and the number
/// of the commit (see `last_commit`) when it changed a session, which no other commit has.
#[derive(Debug, PartialEq)]
pub struct QueuedCommit {
  pub results: Vec<Result<u64>>,
  pub number: Option<u64>,
}

/// Whether a write that changes a session when it answers more than 0 did (a save always does).
/// A clear or a sweep is not counted: it may have found nothing to delete.
fn changed_a_session(writes: &[Write], results: &[Result<u64>]) -> bool {
  writes.iter().zip(results).any(|(write, result)| {
    matches!(
      write,
      Write::Set { .. } | Write::Touch { .. } | Write::Merge { .. } | Write::Destroy { .. }
    ) && matches!(result, Ok(outcome) if *outcome > 0)
  })
}

pub struct DiskStore {
  shared: Arc<Shared>,
  options: Options,
  /// Writes waiting for `commit_queued`.
  queued: Mutex<Vec<Write>>,
}

impl DiskStore {
  pub fn open(path: &Path, options: Options) -> Result<Self> {
    let shared = open::open(path, &options)?;
    Ok(DiskStore {
      shared,
      options,
      queued: Mutex::new(Vec::new()),
    })
  }

  pub fn durability(&self) -> Durability {
    self.shared.durability
  }

  /// The session's JSON, or None when there is none or it has expired.
  pub fn get(&self, id: &str, now: i64) -> Result<Option<String>> {
    Ok(self.load(id, now, |record| record.session_json())?.found)
  }

  /// The number of the last commit that changed the store, by any process or thread: LMDB numbers
  /// its commits one after another, and reads the last number from the file's header, without a
  /// transaction. While it stays the same, so does every session.
  pub fn last_commit(&self) -> u64 {
    self.shared.env.info().last_txn_id as u64
  }

  /// What `read` makes of the live session's record, read within the read transaction (so the
  /// record's text is borrowed from the file, not copied), or None when there is none or it has
  /// expired; with the number of the last commit the read saw.
  pub fn load<T>(
    &self,
    id: &str,
    now: i64,
    read: impl FnOnce(&Record<'_>) -> T,
  ) -> Result<Loaded<T>> {
    let shared = &self.shared;
    let txn = shared.env.read_txn()?;
    let as_of = txn.id() as u64;
    let found = match shared.sessions.get(&txn, id.as_bytes())? {
      None => None,
      Some(bytes) => {
        let record =
          Record::decode(bytes).map_err(|_| DiskStoreError::damaged_record(id.as_bytes()))?;
        (!record.expired(now)).then(|| read(&record))
      }
    };
    let counter = if found.is_some() {
      &shared.counters.hits
    } else {
      &shared.counters.misses
    };
    counter.fetch_add(1, Ordering::Relaxed);
    Ok(Loaded { found, as_of })
  }

  /// Runs one write in its own transaction and commits it. Answers whether it wrote a session
  /// (touch and merge: false when the session is gone) or, for a sweep, how many it deleted.
  pub fn write(&self, write: &Write, now: i64) -> Result<u64> {
    self
      .write_in_transaction(write, now)
      .map_err(|err| err.of_write(&self.shared.directory))
  }

  /// Runs `write` in the next group commit (see `group`), for the fsync durability: it answers
  /// once a commit that includes it is on the disk, which it may share with the writes of other
  /// threads of the process.
  pub fn write_grouped(&self, write: Write, now: i64) -> Result<u64> {
    self
      .shared
      .group
      .submit(write, |writes| self.commit_together(&writes, now))
  }

  /// Adds `write` to this store's queue, for the next `commit_queued`.
  pub fn queue(&self, write: Write) {
    self.lock_queue().push(write);
  }

  /// Commits every queued write in one transaction, so that the pages a commit writes (the
  /// trees' upper pages, the free list, the meta page) are written once for all of them. Answers
  /// one result per write, in the order they were queued, and the commit's number.
  pub fn commit_queued(&self, now: i64) -> QueuedCommit {
    let writes = std::mem::take(&mut *self.lock_queue());
    if writes.is_empty() {
      return QueuedCommit {
        results: Vec::new(),
        number: None,
      };
    }
    let (results, number) = self.commit_numbered(&writes, now);
    QueuedCommit { results, number }
  }

  fn lock_queue(&self) -> MutexGuard<'_, Vec<Write>> {
    self
      .queued
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }

  /// Runs `writes` in one transaction and commits it, answering each write's outcome; a write that
  /// fails is undone alone, and a failed commit fails them all. Batches where every write succeeds,
  /// nearly all of them, run in the transaction directly. A nested transaction per write would copy
  /// again each page the batch had already changed and double the transactions begun and committed
  /// (three quarters of the instructions of a batch of eight saves), so only a batch where a write
  /// failed is run again that way, each write in a nested transaction of its own.
  fn commit_together(&self, writes: &[Write], now: i64) -> Vec<Result<u64>> {
    self.commit_numbered(writes, now).0
  }

  /// `commit_together`, answering too the number of the commit when one of the writes changed a
  /// session: the transaction then had changes to commit, and LMDB gave the commit its number.
  /// None when no write changed one (a commit without changes is not numbered) or none was
  /// committed.
  fn commit_numbered(&self, writes: &[Write], now: i64) -> (Vec<Result<u64>>, Option<u64>) {
    let shared = &self.shared;
    let committed = match self.commit_in_one(writes, now) {
      Ok(Some((outcomes, number))) => {
        let results: Vec<Result<u64>> = outcomes.into_iter().map(Ok).collect();
        let number = changed_a_session(writes, &results).then_some(number);
        return (results, number);
      }
      Ok(None) => self.commit_each_nested(writes, now),
      Err(err) => Err(err),
    };
    match committed {
      Ok((results, number)) => {
        let number = changed_a_session(writes, &results).then_some(number);
        let results = results
          .into_iter()
          .map(|result| result.map_err(|err| err.of_write(&shared.directory)))
          .collect();
        (results, number)
      }
      Err(err) => {
        let err = err.of_write(&shared.directory);
        (writes.iter().map(|_| Err(err.clone())).collect(), None)
      }
    }
  }

  /// Every write in one transaction: their outcomes once committed, with the commit's number, or
  /// None, with nothing written, when one of them failed.
  fn commit_in_one(&self, writes: &[Write], now: i64) -> Result<Option<(Vec<u64>, u64)>> {
    let mut txn = self.shared.env.write_txn()?;
    let number = txn.id() as u64;
    let mut tally = Tally::default();
    let mut outcomes = Vec::with_capacity(writes.len());
    for write in writes {
      match self.apply(&mut txn, write, now, &mut tally) {
        Ok(outcome) => outcomes.push(outcome),
        Err(_) => {
          txn.abort();
          return Ok(None);
        }
      }
    }
    txn.commit()?;
    self.count(&tally);
    Ok(Some((outcomes, number)))
  }

  /// Every write in a nested transaction of its own within one transaction, so that a write that
  /// fails is undone alone; with the commit's number.
  fn commit_each_nested(&self, writes: &[Write], now: i64) -> Result<(Vec<Result<u64>>, u64)> {
    let shared = &self.shared;
    let mut txn = shared.env.write_txn()?;
    let number = txn.id() as u64;
    let mut tally = Tally::default();
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
      let mut nested = shared.env.nested_write_txn(&mut txn)?;
      let mut nested_tally = Tally::default();
      match self.apply(&mut nested, write, now, &mut nested_tally) {
        Ok(outcome) => {
          nested.commit()?;
          tally.add(&nested_tally);
          results.push(Ok(outcome));
        }
        Err(err) => {
          nested.abort();
          results.push(Err(err));
        }
      }
    }
    txn.commit()?;
    self.count(&tally);
    Ok((results, number))
  }

  fn write_in_transaction(&self, write: &Write, now: i64) -> Result<u64> {
    let mut txn = self.shared.env.write_txn()?;
    let mut tally = Tally::default();
    let outcome = self.apply(&mut txn, write, now, &mut tally)?;
    txn.commit()?;
    self.count(&tally);
    Ok(outcome)
  }

  /// Adds what a committed transaction expired and evicted to this process's counters.
  fn count(&self, tally: &Tally) {
    let counters = &self.shared.counters;
    counters
      .expirations
      .fetch_add(tally.expirations, Ordering::Relaxed);
    counters
      .evictions
      .fetch_add(tally.evictions, Ordering::Relaxed);
  }

  /// One write, in `txn`; answers whether it wrote a session or how many it swept, and adds the
  /// sessions it swept or evicted to `tally`.
  fn apply(&self, txn: &mut RwTxn, write: &Write, now: i64, tally: &mut Tally) -> Result<u64> {
    let shared = &self.shared;
    let outcome = match write {
      Write::Set {
        id,
        cookie,
        data,
        expires_at,
      } => {
        let expiry = self.expiry(*expires_at, now);
        let record = Record {
          expiry,
          cookie: cookie.as_deref(),
          data,
        };
        self.put(txn, id.as_bytes(), &record)?;
        tally.evictions += self.evict_beyond_max(txn, id.as_bytes())?;
        1
      }
      Write::Touch {
        id,
        cookie,
        expires_at,
      } => {
        let expiry = self.expiry(*expires_at, now);
        self.rewrite(txn, id, now, |stored| {
          Ok(
            Record {
              expiry,
              cookie: cookie.as_deref(),
              data: stored.data,
            }
            .encode(),
          )
        })?
      }
      Write::Merge {
        id,
        changes,
        removed,
        cookie,
        expires_at,
      } => {
        let expiry = self.expiry(*expires_at, now);
        let removed: Vec<&[u16]> = removed.iter().map(Vec::as_slice).collect();
        self.rewrite(txn, id, now, |stored| {
          let data = crate::session_merge::apply(stored.data, changes, &removed)
            .map_err(|err| DiskStoreError::Argument(format!("DiskStore merge: {err}")))?;
          Ok(
            Record {
              expiry,
              cookie: cookie.as_deref(),
              data: &data,
            }
            .encode(),
          )
        })?
      }
      Write::Destroy { id } => u64::from(self.delete(txn, id.as_bytes())?),
      Write::Clear => {
        shared.sessions.clear(txn)?;
        shared.expiry.clear(txn)?;
        1
      }
      Write::Sweep { limit } => {
        let swept = self.sweep(txn, now, *limit)?;
        tally.expirations += swept;
        swept
      }
    };
    Ok(outcome)
  }

  /// Sessions that have not expired.
  pub fn len(&self, now: i64) -> Result<u64> {
    let shared = &self.shared;
    let txn = shared.env.read_txn()?;
    let total = shared.sessions.len(&txn)?;
    let mut expired_count = 0;
    for entry in shared.expiry.iter(&txn)? {
      let (key, ()) = entry?;
      let (expiry, _) = split_index_key(key).map_err(|_| DiskStoreError::damaged_record(key))?;
      if !expired(expiry, now) {
        break;
      }
      expired_count += 1;
    }
    Ok(total.saturating_sub(expired_count))
  }

  pub fn is_empty(&self, now: i64) -> Result<bool> {
    Ok(self.len(now)? == 0)
  }

  /// Every session that has not expired, as (ID, JSON).
  pub fn entries(&self, now: i64) -> Result<Vec<(String, String)>> {
    let shared = &self.shared;
    let txn = shared.env.read_txn()?;
    let mut entries = Vec::new();
    for entry in shared.sessions.iter(&txn)? {
      let (id, bytes) = entry?;
      let record = Record::decode(bytes).map_err(|_| DiskStoreError::damaged_record(id))?;
      if !record.expired(now) {
        let id = String::from_utf8(id.to_vec()).map_err(|_| DiskStoreError::damaged_record(id))?;
        entries.push((id, record.session_json()));
      }
    }
    Ok(entries)
  }

  pub fn stats(&self) -> Result<Stats> {
    let shared = &self.shared;
    let txn = shared.env.read_txn()?;
    let sessions = shared.sessions.len(&txn)?;
    drop(txn);
    let bytes = shared.env.non_free_pages_size()?;
    let counters = &shared.counters;
    Ok(Stats {
      sessions,
      bytes,
      hits: counters.hits.load(Ordering::Relaxed),
      misses: counters.misses.load(Ordering::Relaxed),
      expirations: counters.expirations.load(Ordering::Relaxed),
      evictions: counters.evictions.load(Ordering::Relaxed),
    })
  }

  /// The stored expiry of a session: its cookie's, else `ttl` from now, else never.
  fn expiry(&self, expires_at: Option<i64>, now: i64) -> u64 {
    match (expires_at, self.options.ttl_ms) {
      (Some(at), _) => at.max(0) as u64,
      (None, Some(ttl)) => now.saturating_add(ttl).max(0) as u64,
      (None, None) => NEVER,
    }
  }

  /// Stores `record` under `id`, replacing the session and its index entry. An index entry that
  /// stays the same (a session saved again with the same expiry, as one without an expiry always
  /// is) is not written again: that would copy and write a page of the index for nothing.
  fn put(&self, txn: &mut RwTxn, id: &[u8], record: &Record) -> Result<()> {
    let shared = &self.shared;
    let old_expiry = match shared.sessions.get(txn, id)? {
      Some(old) => Some(expiry_of(old).map_err(|_| DiskStoreError::damaged_record(id))?),
      None => None,
    };
    shared.sessions.put(txn, id, &record.encode())?;
    self.reindex(txn, id, old_expiry, record.expiry)
  }

  /// Moves session `id`'s index entry from `old` (None: a new session) to `new` expiry. Sessions
  /// that never expire have no entry: nothing sweeps them, and each would be a second insert at a
  /// random place (the index orders them by ID) for every new session of an app whose cookies have
  /// no maxAge. Files written before this kept entries for them, which are removed as here.
  fn reindex(&self, txn: &mut RwTxn, id: &[u8], old: Option<u64>, new: u64) -> Result<()> {
    if old == Some(new) {
      return Ok(());
    }
    let index = &self.shared.expiry;
    if let Some(old) = old {
      index.delete(txn, &index_key(old, id))?;
    }
    if new != NEVER {
      index.put(txn, &index_key(new, id), &())?;
    }
    Ok(())
  }

  /// Replaces live session `id` with what `change` makes of it; 0 (writing nothing) when the
  /// session is missing or expired, else 1.
  fn rewrite(
    &self,
    txn: &mut RwTxn,
    id: &str,
    now: i64,
    change: impl FnOnce(Record) -> Result<Vec<u8>>,
  ) -> Result<u64> {
    let shared = &self.shared;
    let Some(bytes) = shared.sessions.get(txn, id.as_bytes())? else {
      return Ok(0);
    };
    let stored =
      Record::decode(bytes).map_err(|_| DiskStoreError::damaged_record(id.as_bytes()))?;
    if stored.expired(now) {
      return Ok(0);
    }
    let old_expiry = stored.expiry;
    let encoded = change(stored)?;
    let new_expiry =
      expiry_of(&encoded).map_err(|_| DiskStoreError::damaged_record(id.as_bytes()))?;
    self.reindex(txn, id.as_bytes(), Some(old_expiry), new_expiry)?;
    shared.sessions.put(txn, id.as_bytes(), &encoded)?;
    Ok(1)
  }

  fn delete(&self, txn: &mut RwTxn, id: &[u8]) -> Result<bool> {
    let shared = &self.shared;
    let Some(old) = shared.sessions.get(txn, id)? else {
      return Ok(false);
    };
    let old_expiry = expiry_of(old).map_err(|_| DiskStoreError::damaged_record(id))?;
    shared.expiry.delete(txn, &index_key(old_expiry, id))?;
    shared.sessions.delete(txn, id)?;
    Ok(true)
  }

  /// With `max`, evicts the sessions closest to their expiry until at most `max` are left,
  /// sparing `kept` (the session just stored); answers how many it evicted. Sessions that never
  /// expire come last, in the order of their IDs: they are found in the sessions themselves, as
  /// the index has no entries for them (see `reindex`).
  fn evict_beyond_max(&self, txn: &mut RwTxn, kept: &[u8]) -> Result<u64> {
    let Some(max) = self.options.max else {
      return Ok(0);
    };
    let shared = &self.shared;
    let total = shared.sessions.len(txn)?;
    if total <= max {
      return Ok(0);
    }
    let excess = (total - max) as usize;
    let mut doomed = Vec::with_capacity(excess);
    for entry in shared.expiry.iter(txn)? {
      let (key, ()) = entry?;
      let (expiry, id) = split_index_key(key).map_err(|_| DiskStoreError::damaged_record(key))?;
      if expiry == NEVER || doomed.len() == excess {
        break;
      }
      if id != kept {
        doomed.push(id.to_vec());
      }
    }
    if doomed.len() < excess {
      for entry in shared.sessions.iter(txn)? {
        let (id, bytes) = entry?;
        let expiry = expiry_of(bytes).map_err(|_| DiskStoreError::damaged_record(id))?;
        if expiry == NEVER && id != kept {
          doomed.push(id.to_vec());
          if doomed.len() == excess {
            break;
          }
        }
      }
    }
    for id in &doomed {
      self.delete(txn, id)?;
    }
    Ok(doomed.len() as u64)
  }

  fn sweep(&self, txn: &mut RwTxn, now: i64, limit: usize) -> Result<u64> {
    let shared = &self.shared;
    let mut doomed = Vec::new();
    for entry in shared.expiry.iter(txn)? {
      let (key, ()) = entry?;
      let (expiry, id) = split_index_key(key).map_err(|_| DiskStoreError::damaged_record(key))?;
      if !expired(expiry, now) || doomed.len() == limit {
        break;
      }
      doomed.push((key.to_vec(), id.to_vec()));
    }
    for (key, id) in &doomed {
      shared.expiry.delete(txn, key)?;
      shared.sessions.delete(txn, id)?;
    }
    Ok(doomed.len() as u64)
  }
}

#[cfg(test)]
mod tests;
