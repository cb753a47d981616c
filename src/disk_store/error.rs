//! What can go wrong with a DiskStore, each kind with the code JavaScript sees on the error.

use std::fmt;
use std::io;
use std::path::Path;

// below this much free space on its file system, a failed write is put down to a full disk
const NEARLY_FULL_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskStoreError {
  /// The path cannot hold a store: not a directory, or not creatable.
  Path(String),
  /// The file is not a store's, or is damaged or truncated.
  Damaged(String),
  /// The file was written by a newer format version than this one reads.
  Format(String),
  /// The store was created with other options than this open asks for.
  Options(String),
  /// No room left: the store's map size, or the disk.
  Full(String),
  /// Any other failure of the file system (a read-only disk, permissions, ...).
  Io(String),
  /// An argument that is not what the store takes (merge changes that are not a JSON object).
  Argument(String),
}

impl DiskStoreError {
  /// The `code` of the JavaScript error.
  pub fn code(&self) -> &'static str {
    match self {
      DiskStoreError::Path(_) => "ERR_DISK_STORE_PATH",
      DiskStoreError::Damaged(_) => "ERR_DISK_STORE_DAMAGED",
      DiskStoreError::Format(_) => "ERR_DISK_STORE_FORMAT",
      DiskStoreError::Options(_) => "ERR_DISK_STORE_OPTIONS",
      DiskStoreError::Full(_) => "ERR_DISK_STORE_FULL",
      DiskStoreError::Io(_) => "ERR_DISK_STORE_IO",
      DiskStoreError::Argument(_) => "ERR_INVALID_ARG_VALUE",
    }
  }

  pub fn message(&self) -> &str {
    match self {
      DiskStoreError::Path(message)
      | DiskStoreError::Damaged(message)
      | DiskStoreError::Format(message)
      | DiskStoreError::Options(message)
      | DiskStoreError::Full(message)
      | DiskStoreError::Io(message)
      | DiskStoreError::Argument(message) => message,
    }
  }

  /// A failed write as the caller should hear of it: the engine reports a write the disk had no
  /// room for as a short write (EIO), which is told apart here by the space left.
  pub(crate) fn of_write(self, directory: &Path) -> Self {
    match self {
      DiskStoreError::Io(message)
        if free_bytes(directory).is_some_and(|free| free < NEARLY_FULL_BYTES) =>
      {
        DiskStoreError::Full(format!(
          "DiskStore: no space left on the disk of {} ({}); nothing was written",
          directory.display(),
          message.trim_start_matches("DiskStore: ")
        ))
      }
      other => other,
    }
  }

  pub(crate) fn damaged_record(id: &[u8]) -> Self {
    DiskStoreError::Damaged(format!(
      "DiskStore: the stored value of session {} is damaged",
      String::from_utf8_lossy(id)
    ))
  }
}

impl fmt::Display for DiskStoreError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(self.message())
  }
}

impl std::error::Error for DiskStoreError {}

/// An error of the engine or the file system, as one of ours.
impl From<heed::Error> for DiskStoreError {
  fn from(err: heed::Error) -> Self {
    use heed::MdbError;
    match err {
      heed::Error::Mdb(MdbError::MapFull) => DiskStoreError::Full(
        "DiskStore: the store is full (its mapSize); nothing was written".to_owned(),
      ),
      // flags that differ from the ones the store was made with, and trees deeper than the engine
      // allows, come only from damage: this store never changes its databases' flags
      heed::Error::Mdb(
        MdbError::Corrupted
        | MdbError::PageNotFound
        | MdbError::Invalid
        | MdbError::Incompatible
        | MdbError::CursorFull,
      ) => DiskStoreError::Damaged(format!("DiskStore: the store's file is damaged ({err})")),
      heed::Error::Mdb(MdbError::VersionMismatch) => DiskStoreError::Format(format!(
        "DiskStore: the store's file was written by another version of its engine ({err})"
      )),
      heed::Error::Io(io) => io.into(),
      other => DiskStoreError::Io(format!("DiskStore: {other}")),
    }
  }
}

impl From<io::Error> for DiskStoreError {
  fn from(err: io::Error) -> Self {
    if err.kind() == io::ErrorKind::StorageFull || err.raw_os_error() == Some(28) {
      DiskStoreError::Full(format!(
        "DiskStore: no space left on the disk ({err}); nothing was written"
      ))
    } else {
      DiskStoreError::Io(format!("DiskStore: {err}"))
    }
  }
}

/// Bytes available to this process on the file system of `path`, where the OS says.
#[cfg(unix)]
// the two fields are u64 on Linux but narrower on other systems (macOS)
#[allow(clippy::useless_conversion)]
fn free_bytes(path: &Path) -> Option<u64> {
  use std::os::unix::ffi::OsStrExt;
  let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
  let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
  // SAFETY: `path` is a NUL-terminated string and `stats` is written by statvfs before it is read.
  if unsafe { libc::statvfs(path.as_ptr(), stats.as_mut_ptr()) } != 0 {
    return None;
  }
  // SAFETY: statvfs succeeded, so it filled `stats`.
  let stats = unsafe { stats.assume_init() };
  Some(u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize)))
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
  None
}
