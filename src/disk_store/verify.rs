//! Reading every page of a store's file, to find damage before a store is opened on it. The engine
//! keeps no checksums and trusts its pages: a damaged branch page can send a read past the memory
//! map and fault. This walk touches every page a read or write could (every tree, its overflow
//! pages and the free-page list) through the engine's compacting copy, written to the null device,
//! and decodes every session record. It is meant to run in a process of its own (see
//! session/disk-check.js), so that a fault it meets ends that process rather than the server.

use super::error::DiskStoreError;
use super::open::{check_length, check_pages, opening, DATA_FILE, MAX_READERS};
use super::record::Record;
use heed::types::Bytes;
use heed::{CompactionOption, Database, EnvFlags, EnvOpenOptions};
use std::fs::{self, OpenOptions};
use std::path::Path;

#[cfg(unix)]
const NULL_DEVICE: &str = "/dev/null";
#[cfg(windows)]
const NULL_DEVICE: &str = "NUL";

/// What a walk of the store's file found intact.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verified {
  /// Session records read and decoded (expired ones included).
  pub sessions: u64,
  /// Bytes of the data file.
  pub file_bytes: u64,
}

/// Walks the store in `directory` (which another process may be using: the walk reads one
/// snapshot) and reports what it found, or the damage. A directory without a data file, or with
/// an empty one (a store not yet created), is intact and empty.
pub fn verify(directory: &Path) -> Result<Verified, DiskStoreError> {
  let file_bytes = match fs::metadata(directory.join(DATA_FILE)) {
    Ok(metadata) => metadata.len(),
    Err(_) => return Ok(Verified::default()),
  };
  if file_bytes == 0 {
    return Ok(Verified::default());
  }
  check_length(directory)?;
  let mut env_options = EnvOpenOptions::new();
  env_options.max_dbs(3).max_readers(MAX_READERS);
  // SAFETY: READ_ONLY changes how the file is opened (nothing is written), not how it is read.
  unsafe { env_options.flags(EnvFlags::READ_ONLY) };
  // SAFETY: this process opens the directory once, for this walk, and writes nothing.
  let env = unsafe { env_options.open(directory) }.map_err(|err| opening(directory, err))?;
  check_pages(directory, &env)?;

  let mut null_device = OpenOptions::new().write(true).open(NULL_DEVICE)?;
  env
    .copy_to_file(&mut null_device, CompactionOption::Enabled)
    .map_err(|err| damaged(directory, err))?;

  let txn = env.read_txn()?;
  let sessions: Option<Database<Bytes, Bytes>> = env.open_database(&txn, Some("sessions"))?;
  let mut verified = Verified {
    sessions: 0,
    file_bytes,
  };
  if let Some(sessions) = sessions {
    for entry in sessions.iter(&txn).map_err(|err| damaged(directory, err))? {
      let (id, bytes) = entry.map_err(|err| damaged(directory, err))?;
      Record::decode(bytes).map_err(|_| DiskStoreError::damaged_record(id))?;
      verified.sessions += 1;
    }
  }
  Ok(verified)
}

fn damaged(directory: &Path, err: heed::Error) -> DiskStoreError {
  match DiskStoreError::from(err) {
    DiskStoreError::Damaged(message) => DiskStoreError::Damaged(format!(
      "{message}: reading every page of {} found damage; restore it from a copy or move it away",
      directory.join(DATA_FILE).display()
    )),
    other => other,
  }
}
