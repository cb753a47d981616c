//! Opening a store's directory: creating it owner-only, refusing files that are damaged, truncated,
//! of a newer format or made with other options, and sharing one engine handle per directory
//! within the process (LMDB allows one per process; every thread's store on the directory uses it).

use super::error::DiskStoreError;
use super::{Durability, Options, Shared};
use heed::types::{Bytes, Str};
use heed::{Database, EnvFlags, EnvOpenOptions};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The layout this version writes; files of a later one are refused rather than misread.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_KEY: &str = "format";
const OPTIONS_KEY: &str = "options";
pub(super) const DATA_FILE: &str = "data.mdb";
// one slot per thread that reads, in every process on the directory
pub(super) const MAX_READERS: u32 = 1024;

/// The handles opened by this process, by canonical directory. They stay open until the process
/// exits: the engine must not open a directory twice in one process, and handing a later store the
/// same handle is what lets the worker threads of a process share it.
fn opened() -> &'static Mutex<HashMap<PathBuf, Arc<Shared>>> {
  static OPENED: OnceLock<Mutex<HashMap<PathBuf, Arc<Shared>>>> = OnceLock::new();
  OPENED.get_or_init(Default::default)
}

/// Whether this process holds the store in the directory at `path` open already.
pub fn is_open(path: &Path) -> bool {
  let Ok(directory) = fs::canonicalize(path) else {
    return false;
  };
  opened()
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner())
    .contains_key(&directory)
}

pub fn open(path: &Path, options: &Options) -> Result<Arc<Shared>, DiskStoreError> {
  let directory = prepare_directory(path)?;
  let mut opened = opened()
    .lock()
    .unwrap_or_else(|poisoned| poisoned.into_inner());
  if let Some(shared) = opened.get(&directory) {
    if shared.durability != options.durability {
      return Err(DiskStoreError::Options(format!(
        "DiskStore: {} is already open in this process with durability '{}', not '{}'",
        directory.display(),
        shared.durability.name(),
        options.durability.name()
      )));
    }
    check_meta(shared, options)?;
    return Ok(Arc::clone(shared));
  }

  check_length(&directory)?;
  let mut env_options = EnvOpenOptions::new();
  env_options
    .map_size(options.map_size)
    .max_dbs(3)
    .max_readers(MAX_READERS);
  if options.durability == Durability::Process {
    // commits reach the OS (its page cache) before they return, which a killed process cannot undo;
    // only the OS's own write-back puts them on the disk
    // SAFETY: NO_SYNC changes when data is flushed, not how the file is accessed.
    unsafe { env_options.flags(EnvFlags::NO_SYNC) };
  }
  // SAFETY: the handle is opened once per process (the map above) and the file is only written
  // through the engine.
  let env = unsafe { env_options.open(&directory) }.map_err(|err| opening(&directory, err))?;
  check_pages(&directory, &env)?;
  // slots of readers that died (a killed process) would keep old pages from being reused
  env
    .clear_stale_readers()
    .map_err(|err| opening(&directory, err))?;

  let mut txn = env.write_txn()?;
  let meta: Database<Str, Bytes> = env.create_database(&mut txn, Some("meta"))?;
  let sessions = env.create_database(&mut txn, Some("sessions"))?;
  let expiry = env.create_database(&mut txn, Some("expiry"))?;
  if meta.get(&txn, FORMAT_KEY)?.is_none() {
    meta.put(&mut txn, FORMAT_KEY, FORMAT_VERSION.to_string().as_bytes())?;
    meta.put(&mut txn, OPTIONS_KEY, options.recorded().as_bytes())?;
  }
  txn.commit()?;

  let shared = Arc::new(Shared {
    env,
    meta,
    sessions,
    expiry,
    durability: options.durability,
    directory: directory.clone(),
    counters: Default::default(),
    group: Default::default(),
  });
  check_meta(&shared, options)?;
  opened.insert(directory, Arc::clone(&shared));
  Ok(shared)
}

/// The canonical directory at `path`, created (owner-only) when missing.
fn prepare_directory(path: &Path) -> Result<PathBuf, DiskStoreError> {
  match fs::metadata(path) {
    Ok(metadata) if metadata.is_dir() => {}
    Ok(_) => {
      return Err(DiskStoreError::Path(format!(
        "DiskStore: {} exists and is not a directory; the store keeps its files in a directory",
        path.display()
      )))
    }
    Err(_) => {
      let mut builder = fs::DirBuilder::new();
      builder.recursive(true);
      #[cfg(unix)]
      std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
      builder.create(path).map_err(|err| {
        DiskStoreError::Path(format!(
          "DiskStore: cannot create the directory {}: {err}",
          path.display()
        ))
      })?;
    }
  }
  fs::canonicalize(path).map_err(|err| {
    DiskStoreError::Path(format!(
      "DiskStore: cannot resolve {}: {err}",
      path.display()
    ))
  })
}

/// A data file shorter than its first two pages cannot be opened safely: refused as truncated.
/// An empty one is a store whose creation was interrupted before its first commit.
pub(super) fn check_length(directory: &Path) -> Result<(), DiskStoreError> {
  let Ok(metadata) = fs::metadata(directory.join(DATA_FILE)) else {
    return Ok(());
  };
  if metadata.len() != 0 && metadata.len() < 2 * 4096 {
    return Err(truncated(directory, metadata.len()));
  }
  Ok(())
}

/// The pages the file's header says are in use must all be in the file: reading past its end
/// would fault instead of failing.
pub(super) fn check_pages(directory: &Path, env: &heed::Env) -> Result<(), DiskStoreError> {
  let length = fs::metadata(directory.join(DATA_FILE))?.len();
  let page_size = u64::from(env.stat().page_size);
  let pages = env.info().last_page_number as u64 + 1;
  if length != 0 && length < pages * page_size {
    return Err(truncated(directory, length));
  }
  Ok(())
}

fn truncated(directory: &Path, length: u64) -> DiskStoreError {
  DiskStoreError::Damaged(format!(
    "DiskStore: {} is truncated ({length} bytes, shorter than the pages it records); \
     restore it from a copy or move it away",
    directory.join(DATA_FILE).display()
  ))
}

pub(super) fn opening(directory: &Path, err: heed::Error) -> DiskStoreError {
  match DiskStoreError::from(err) {
    DiskStoreError::Damaged(_) => DiskStoreError::Damaged(format!(
      "DiskStore: {} is not a store's file or is damaged; restore it from a copy or move it away",
      directory.join(DATA_FILE).display()
    )),
    DiskStoreError::Io(message) => DiskStoreError::Io(format!(
      "{message} (opening the store at {})",
      directory.display()
    )),
    other => other,
  }
}

/// The file's format must be one this version reads, and every process on a directory must bound
/// and expire its sessions alike: the options recorded when the store was created must be the ones
/// asked for now. Checked at every open, before anything is read or written.
fn check_meta(shared: &Shared, options: &Options) -> Result<(), DiskStoreError> {
  let directory = shared.directory.display();
  let txn = shared.env.read_txn()?;
  let version = shared
    .meta
    .get(&txn, FORMAT_KEY)?
    .and_then(|bytes| std::str::from_utf8(bytes).ok()?.parse::<u32>().ok())
    .ok_or_else(|| {
      DiskStoreError::Damaged(format!(
        "DiskStore: {directory} has no readable format version; it is not a store's or is damaged"
      ))
    })?;
  if version > FORMAT_VERSION {
    return Err(DiskStoreError::Format(format!(
      "DiskStore: {directory} was written in format {version} by a newer version of this package, \
       which this one (format {FORMAT_VERSION}) does not read; upgrade, or give this one another path"
    )));
  }
  let recorded = shared
    .meta
    .get(&txn, OPTIONS_KEY)?
    .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    .unwrap_or_default();
  let asked = options.recorded();
  if recorded != asked {
    return Err(DiskStoreError::Options(format!(
      "DiskStore: the store at {directory} was created with {recorded}, and this one asks for \
       {asked}; give every process the same max and ttl, or another path"
    )));
  }
  Ok(())
}
