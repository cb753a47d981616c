//! The DiskStore's binding (see `crate::disk_store`). Reads run on the calling thread: they come
//! from the file's memory map. Writes (see `run`) commit on the calling thread with the default
//! durability, where a commit is a copy into the OS's page cache, and on libuv's thread pool with
//! 'fsync', where a commit waits for the disk. With the default durability writes can also be
//! queued and committed together, on the calling thread (`disk_store_commit_queued`). Errors carry
//! the store's error code in brackets at the start of their message, which session/disk-errors.js
//! moves to `code`.

use super::{invalid_arg, milliseconds, now, NativeMemoryStoreStats};
use crate::disk_store::{self, DiskStore, DiskStoreError, Durability, Options, Write, NEVER};
use napi::bindgen_prelude::{AsyncTask, Either, External, Float64ArraySlice, Utf16String};
use napi::{Env, Error, Result, Status, Task};
use napi_derive::napi;
use std::path::Path;
use std::sync::Arc;

#[napi(object)]
pub struct NativeDiskStoreOptions {
  pub path: String,
  pub max: Option<f64>,
  pub ttl: Option<f64>,
  /// 'process' or 'fsync'
  pub durability: String,
  pub map_size: f64,
}

/// The DiskStore's storage, handed to JavaScript as an External and used through plain functions
/// (see `addon.js`), as the MemoryStore's is: a class method costs more per call.
type DiskHandle = External<Arc<DiskStore>>;

/// A write committed on the thread pool.
pub struct WriteTask {
  store: Arc<DiskStore>,
  write: Write,
}

impl Task for WriteTask {
  type Output = f64;
  type JsValue = f64;

  fn compute(&mut self) -> Result<f64> {
    let store = Arc::clone(&self.store);
    let write = self.write.clone();
    std::panic::catch_unwind(move || match store.durability() {
      Durability::Fsync => store.write_grouped(write, now()),
      Durability::Process => store.write(&write, now()),
    })
    .map_err(|_| Error::new(Status::GenericFailure, "DiskStore: a write panicked"))?
    .map(|outcome| outcome as f64)
    .map_err(store_error)
  }

  fn resolve(&mut self, _env: Env, output: f64) -> Result<f64> {
    Ok(output)
  }
}

/// Opens (creating when missing) the store in the directory `options.path`; session/disk.js has
/// checked the options, and had the file's pages read by another process (see `disk_store_verify`).
#[napi(catch_unwind)]
pub fn disk_store_open(options: NativeDiskStoreOptions) -> Result<DiskHandle> {
  let durability = match options.durability.as_str() {
    "process" => Durability::Process,
    "fsync" => Durability::Fsync,
    other => {
      return Err(Error::new(
        Status::InvalidArg,
        format!("unknown durability {other:?}"),
      ))
    }
  };
  let settings = Options {
    max: options.max.map(|max| max as u64),
    ttl_ms: options.ttl.and_then(milliseconds),
    durability,
    map_size: options.map_size as usize,
  };
  let store = DiskStore::open(Path::new(&options.path), settings).map_err(store_error)?;
  Ok(External::new(Arc::new(store)))
}

/// Whether this process has the store at `path` open already (its file was checked then).
#[napi(catch_unwind)]
pub fn disk_store_is_open(path: String) -> bool {
  disk_store::is_open(Path::new(&path))
}

/// Reads every page of the store's file at `path` and decodes every session, answering how many
/// there are; an error names the damage. A damaged page can fault instead, which is why
/// session/disk-check.js calls this in a process of its own.
#[napi(catch_unwind)]
pub fn disk_store_verify(path: String) -> Result<f64> {
  disk_store::verify(Path::new(&path))
    .map(|verified| verified.sessions as f64)
    .map_err(store_error)
}

#[napi(catch_unwind)]
pub fn disk_store_get(store: &DiskHandle, id: String) -> Result<Option<String>> {
  store.get(&id, now()).map_err(store_error)
}

/// The middleware's read of a live session (null when there is none): its cookie's JSON followed
/// by its data JSON, as stored, so that JavaScript parses each part apart without the session's
/// whole JSON being assembled here and taken apart there. Written into `parts`: the cookie's
/// length in UTF-16 code units (-1 when it was stored without a cookie), the session's expiry in
/// epoch milliseconds (Infinity for none), and the number of the last commit the read saw.
#[napi(catch_unwind)]
pub fn disk_store_load(
  store: &DiskHandle,
  id: String,
  mut parts: Float64ArraySlice,
) -> Result<Option<String>> {
  // SAFETY: the slice is only written here, during this synchronous call.
  let Some([cookie_length, expiry, as_of]) = unsafe { parts.as_mut() }.first_chunk_mut() else {
    return Err(invalid_arg(
      "a session's loaded parts need a Float64Array of 3",
    ));
  };
  let loaded = store.load(&id, now(), |record| {
    let cookie = record.cookie.unwrap_or("");
    let mut parts = String::with_capacity(cookie.len() + record.data.len());
    parts.push_str(cookie);
    parts.push_str(record.data);
    let length = match record.cookie {
      None => -1.0,
      Some(cookie) if cookie.is_ascii() => cookie.len() as f64,
      Some(cookie) => cookie.encode_utf16().count() as f64,
    };
    let expires = match record.expiry {
      NEVER => f64::INFINITY,
      at => at as f64,
    };
    (parts, length, expires)
  });
  let loaded = loaded.map_err(store_error)?;
  *as_of = loaded.as_of as f64;
  Ok(loaded.found.map(|(json, length, expires)| {
    *cookie_length = length;
    *expiry = expires;
    json
  }))
}

/// The number of the last commit that changed the store (see `DiskStore::last_commit`).
#[napi(catch_unwind)]
pub fn disk_store_last_commit(store: &DiskHandle) -> f64 {
  store.last_commit() as f64
}

#[napi(catch_unwind)]
pub fn disk_store_set(
  store: &DiskHandle,
  id: String,
  cookie_json: Option<String>,
  data_json: String,
  expires_ms: Option<f64>,
) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  run(store, set(id, cookie_json, data_json, expires_ms))
}

/// 1 when the session was live and now has the new cookie and expiry, else 0.
#[napi(catch_unwind)]
pub fn disk_store_touch(
  store: &DiskHandle,
  id: String,
  cookie_json: Option<String>,
  expires_ms: Option<f64>,
) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  run(store, touch(id, cookie_json, expires_ms))
}

/// 1 when the session was live and the changes are merged into it, else 0 (nothing written).
#[napi(catch_unwind)]
pub fn disk_store_merge(
  store: &DiskHandle,
  id: String,
  changes_json: String,
  removed_keys: Vec<Utf16String>,
  cookie_json: Option<String>,
  expires_ms: Option<f64>,
) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  run(
    store,
    merge(id, changes_json, removed_keys, cookie_json, expires_ms),
  )
}

#[napi(catch_unwind)]
pub fn disk_store_destroy(
  store: &DiskHandle,
  id: String,
) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  run(store, Write::Destroy { id })
}

/// Queues a save, for the next `disk_store_commit_queued` (the 'process' durability only).
#[napi(catch_unwind)]
pub fn disk_store_queue_set(
  store: &DiskHandle,
  id: String,
  cookie_json: Option<String>,
  data_json: String,
  expires_ms: Option<f64>,
) {
  store.queue(set(id, cookie_json, data_json, expires_ms));
}

#[napi(catch_unwind)]
pub fn disk_store_queue_touch(
  store: &DiskHandle,
  id: String,
  cookie_json: Option<String>,
  expires_ms: Option<f64>,
) {
  store.queue(touch(id, cookie_json, expires_ms));
}

#[napi(catch_unwind)]
pub fn disk_store_queue_destroy(store: &DiskHandle, id: String) {
  store.queue(Write::Destroy { id });
}

/// Commits the queued writes in one transaction, on this thread; one result per write, in order:
/// its outcome, or its error's message (with the code in brackets, as the other errors have it).
/// The commit's number is written at `number[0]` when it changed a session, -1 otherwise.
#[napi(catch_unwind)]
pub fn disk_store_commit_queued(
  store: &DiskHandle,
  mut number: Float64ArraySlice,
) -> Result<Vec<Either<f64, String>>> {
  // SAFETY: the slice is only written here, during this synchronous call.
  let Some(out) = unsafe { number.as_mut() }.first_mut() else {
    return Err(invalid_arg("a commit's number needs a Float64Array of 1"));
  };
  let committed = store.commit_queued(now());
  *out = committed.number.map_or(-1.0, |number| number as f64);
  Ok(
    committed
      .results
      .into_iter()
      .map(|result| match result {
        Ok(outcome) => Either::A(outcome as f64),
        Err(err) => Either::B(store_error(err).reason),
      })
      .collect(),
  )
}

#[napi(catch_unwind)]
pub fn disk_store_clear(store: &DiskHandle) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  run(store, Write::Clear)
}

/// Deletes at most `limit` expired sessions on the thread pool; resolves how many.
#[napi]
pub fn disk_store_sweep(store: &DiskHandle, limit: u32) -> AsyncTask<WriteTask> {
  later(
    store,
    Write::Sweep {
      limit: limit as usize,
    },
  )
}

#[napi(catch_unwind)]
pub fn disk_store_length(store: &DiskHandle) -> Result<f64> {
  store
    .len(now())
    .map(|length| length as f64)
    .map_err(store_error)
}

/// Every live session as a flat [id, json, id, json, ...].
#[napi(catch_unwind)]
pub fn disk_store_entries(store: &DiskHandle) -> Result<Vec<String>> {
  let entries = store.entries(now()).map_err(store_error)?;
  Ok(
    entries
      .into_iter()
      .flat_map(|(id, json)| [id, json])
      .collect(),
  )
}

#[napi(catch_unwind)]
pub fn disk_store_stats(store: &DiskHandle) -> Result<NativeMemoryStoreStats> {
  store.stats().map(Into::into).map_err(store_error)
}

/// What a write answers: with the 'process' durability its outcome, committed on this thread;
/// with 'fsync' a promise of it, committed on the thread pool.
fn run(store: &DiskHandle, write: Write) -> Result<Either<f64, AsyncTask<WriteTask>>> {
  if store.durability() == Durability::Fsync {
    return Ok(Either::B(later(store, write)));
  }
  store
    .write(&write, now())
    .map(|outcome| Either::A(outcome as f64))
    .map_err(store_error)
}

fn later(store: &DiskHandle, write: Write) -> AsyncTask<WriteTask> {
  AsyncTask::new(WriteTask {
    store: Arc::clone(store),
    write,
  })
}

fn set(id: String, cookie: Option<String>, data: String, expires_ms: Option<f64>) -> Write {
  Write::Set {
    id,
    cookie,
    data,
    expires_at: expires_ms.and_then(milliseconds),
  }
}

fn touch(id: String, cookie: Option<String>, expires_ms: Option<f64>) -> Write {
  Write::Touch {
    id,
    cookie,
    expires_at: expires_ms.and_then(milliseconds),
  }
}

fn merge(
  id: String,
  changes: String,
  removed_keys: Vec<Utf16String>,
  cookie: Option<String>,
  expires_ms: Option<f64>,
) -> Write {
  Write::Merge {
    id,
    changes,
    removed: removed_keys.iter().map(|key| key.to_vec()).collect(),
    cookie,
    expires_at: expires_ms.and_then(milliseconds),
  }
}

fn store_error(err: DiskStoreError) -> Error {
  Error::new(
    Status::GenericFailure,
    format!("[{}] {}", err.code(), err.message()),
  )
}
