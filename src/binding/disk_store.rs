//! The DiskStore's binding (see `crate::disk_store`). Reads run on the calling thread: they come
//! from the file's memory map. Writes (see `Written`) commit on the calling thread with the default
//! durability, where a commit is a copy into the OS's page cache, and on libuv's thread pool with
//! 'fsync', where a commit waits for the disk. Errors carry the store's error code in brackets at
//! the start of their message, which session/disk.js moves to `code`.

use super::{milliseconds, now, NativeMemoryStoreStats};
use crate::disk_store::{DiskStore, DiskStoreError, Durability, Options, Write};
use napi::bindgen_prelude::{AsyncTask, Either, Utf16String};
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

#[napi]
pub struct NativeDiskStore {
  store: Arc<DiskStore>,
}

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

#[napi]
impl NativeDiskStore {
  /// Opens (creating when missing) the store in the directory `options.path`; session/disk.js
  /// has checked the options.
  #[napi(constructor, catch_unwind)]
  pub fn new(options: NativeDiskStoreOptions) -> Result<Self> {
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
    Ok(NativeDiskStore {
      store: Arc::new(store),
    })
  }

  #[napi(catch_unwind)]
  pub fn get(&self, id: String) -> Result<Option<String>> {
    self.store.get(&id, now()).map_err(store_error)
  }

  #[napi(catch_unwind)]
  pub fn set(
    &self,
    id: String,
    cookie_json: Option<String>,
    data_json: String,
    expires_ms: Option<f64>,
  ) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    self.run(set(id, cookie_json, data_json, expires_ms))
  }

  /// 1 when the session was live and now has the new cookie and expiry, else 0.
  #[napi(catch_unwind)]
  pub fn touch(
    &self,
    id: String,
    cookie_json: Option<String>,
    expires_ms: Option<f64>,
  ) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    self.run(touch(id, cookie_json, expires_ms))
  }

  /// 1 when the session was live and the changes are merged into it, else 0 (nothing written).
  #[napi(catch_unwind)]
  pub fn merge(
    &self,
    id: String,
    changes_json: String,
    removed_keys: Vec<Utf16String>,
    cookie_json: Option<String>,
    expires_ms: Option<f64>,
  ) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    self.run(merge(
      id,
      changes_json,
      removed_keys,
      cookie_json,
      expires_ms,
    ))
  }

  #[napi(catch_unwind)]
  pub fn destroy(&self, id: String) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    self.run(Write::Destroy { id })
  }

  #[napi(catch_unwind)]
  pub fn clear(&self) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    self.run(Write::Clear)
  }

  /// Deletes at most `limit` expired sessions on the thread pool; resolves how many.
  #[napi]
  pub fn sweep(&self, limit: u32) -> AsyncTask<WriteTask> {
    self.later(Write::Sweep {
      limit: limit as usize,
    })
  }

  #[napi(catch_unwind)]
  pub fn length(&self) -> Result<f64> {
    self
      .store
      .len(now())
      .map(|length| length as f64)
      .map_err(store_error)
  }

  /// Every live session as a flat [id, json, id, json, ...].
  #[napi(catch_unwind)]
  pub fn entries(&self) -> Result<Vec<String>> {
    let entries = self.store.entries(now()).map_err(store_error)?;
    Ok(
      entries
        .into_iter()
        .flat_map(|(id, json)| [id, json])
        .collect(),
    )
  }

  #[napi(catch_unwind)]
  pub fn stats(&self) -> Result<NativeMemoryStoreStats> {
    self.store.stats().map(Into::into).map_err(store_error)
  }
}

impl NativeDiskStore {
  /// What a write answers: with the 'process' durability its outcome, committed on this thread;
  /// with 'fsync' a promise of it, committed on the thread pool.
  fn run(&self, write: Write) -> Result<Either<f64, AsyncTask<WriteTask>>> {
    if self.store.durability() == Durability::Fsync {
      return Ok(Either::B(self.later(write)));
    }
    self
      .store
      .write(&write, now())
      .map(|outcome| Either::A(outcome as f64))
      .map_err(store_error)
  }

  fn later(&self, write: Write) -> AsyncTask<WriteTask> {
    AsyncTask::new(WriteTask {
      store: Arc::clone(&self.store),
      write,
    })
  }
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
