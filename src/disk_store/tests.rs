use super::*;
use std::fs;
use std::sync::atomic::AtomicUsize;

const NOW: i64 = 1_800_000_000_000;

/// A new directory under the system's temporary one (each test its own, as a process opens each
/// directory once), removed when dropped: a store opened on it keeps working on its unlinked files.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
  type Target = Path;

  fn deref(&self) -> &Path {
    &self.0
  }
}

impl AsRef<Path> for TempDir {
  fn as_ref(&self) -> &Path {
    &self.0
  }
}

impl Drop for TempDir {
  fn drop(&mut self) {
    let _ = fs::remove_dir_all(&self.0);
    let _ = fs::remove_file(&self.0);
  }
}

fn directory() -> TempDir {
  static NEXT: AtomicUsize = AtomicUsize::new(0);
  let dir = std::env::temp_dir().join(format!(
    "disk-store-test-{}-{}",
    std::process::id(),
    NEXT.fetch_add(1, Ordering::Relaxed)
  ));
  let _ = fs::remove_dir_all(&dir);
  TempDir(dir)
}

fn options() -> Options {
  Options {
    max: None,
    ttl_ms: None,
    durability: Durability::Process,
    map_size: 16 << 20,
  }
}

fn with_max(max: u64) -> Options {
  Options {
    max: Some(max),
    ..options()
  }
}

fn set(id: &str, data: &str, expires_at: Option<i64>) -> Write {
  Write::Set {
    id: id.to_owned(),
    cookie: Some(r#"{"path":"/"}"#.to_owned()),
    data: data.to_owned(),
    expires_at,
  }
}

fn open(dir: &Path, options: Options) -> DiskStore {
  DiskStore::open(dir, options).expect("opens")
}

#[test]
fn stores_and_reads_sessions_as_express_session_json() {
  let store = open(&directory(), options());
  assert_eq!(store.get("a", NOW), Ok(None));
  store.write(&set("a", r#"{"n":1}"#, None), NOW).unwrap();
  assert_eq!(
    store.get("a", NOW).unwrap().as_deref(),
    Some(r#"{"cookie":{"path":"/"},"n":1}"#)
  );
  assert_eq!(store.len(NOW), Ok(1));
  assert_eq!(
    store.entries(NOW).unwrap(),
    vec![(
      "a".to_owned(),
      r#"{"cookie":{"path":"/"},"n":1}"#.to_owned()
    )]
  );
  assert_eq!(
    store
      .write(&Write::Destroy { id: "a".into() }, NOW)
      .unwrap(),
    1
  );
  assert_eq!(store.get("a", NOW), Ok(None));
  assert_eq!(store.is_empty(NOW), Ok(true));
}

#[test]
fn lends_a_live_sessions_record_to_a_load() {
  let store = open(&directory(), options());
  store
    .write(&set("a", r#"{"n":1}"#, Some(NOW + 1000)), NOW)
    .unwrap();
  let parts = |record: &Record<'_>| (record.cookie.map(str::to_owned), record.data.to_owned());
  assert_eq!(
    store.load("a", NOW, parts).unwrap().found,
    Some((Some(r#"{"path":"/"}"#.to_owned()), r#"{"n":1}"#.to_owned()))
  );
  // neither a missing nor an expired session is lent
  assert_eq!(store.load("b", NOW, parts).unwrap().found, None);
  assert_eq!(store.load("a", NOW + 1000, parts).unwrap().found, None);
  let stats = store.stats().unwrap();
  assert_eq!((stats.hits, stats.misses), (1, 2));
}

#[test]
fn creates_the_directory_owner_only() {
  let dir = directory();
  let _store = open(&dir, options());
  #[cfg(unix)]
  {
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
      fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
      0o700
    );
    let data = fs::metadata(dir.join("data.mdb")).unwrap();
    assert_eq!(data.permissions().mode() & 0o777, 0o600);
  }
}

#[test]
fn expired_sessions_are_not_returned_touched_merged_or_counted_and_are_swept() {
  let store = open(&directory(), options());
  store.write(&set("old", "{}", Some(NOW + 10)), NOW).unwrap();
  store
    .write(&set("new", "{}", Some(NOW + 1000)), NOW)
    .unwrap();
  let later = NOW + 10;
  assert_eq!(store.get("old", later), Ok(None));
  assert_eq!(store.len(later), Ok(1));
  let touch = Write::Touch {
    id: "old".into(),
    cookie: None,
    expires_at: Some(NOW + 5000),
  };
  assert_eq!(store.write(&touch, later), Ok(0));
  let merge = Write::Merge {
    id: "old".into(),
    changes: r#"{"x":1}"#.into(),
    removed: vec![],
    cookie: None,
    expires_at: Some(NOW + 5000),
  };
  assert_eq!(store.write(&merge, later), Ok(0));
  assert_eq!(store.stats().unwrap().sessions, 2);
  assert_eq!(store.write(&Write::Sweep { limit: 100 }, later), Ok(1));
  assert_eq!(store.stats().unwrap().sessions, 1);
  assert_eq!(store.stats().unwrap().expirations, 1);
  assert!(store.get("new", later).unwrap().is_some());
}

#[test]
fn sweeps_in_batches_of_the_limit() {
  let store = open(&directory(), options());
  for i in 0..5 {
    store
      .write(&set(&format!("s{i}"), "{}", Some(NOW + i)), NOW)
      .unwrap();
  }
  let later = NOW + 100;
  assert_eq!(store.write(&Write::Sweep { limit: 2 }, later), Ok(2));
  assert_eq!(store.write(&Write::Sweep { limit: 2 }, later), Ok(2));
  assert_eq!(store.write(&Write::Sweep { limit: 2 }, later), Ok(1));
  assert_eq!(store.write(&Write::Sweep { limit: 2 }, later), Ok(0));
}

#[test]
fn ttl_applies_to_sessions_without_a_cookie_expiry() {
  let store = open(
    &directory(),
    Options {
      ttl_ms: Some(50),
      ..options()
    },
  );
  store.write(&set("a", "{}", None), NOW).unwrap();
  store.write(&set("b", "{}", Some(NOW + 1000)), NOW).unwrap();
  assert!(store.get("a", NOW + 49).unwrap().is_some());
  assert_eq!(store.get("a", NOW + 50), Ok(None));
  assert!(store.get("b", NOW + 50).unwrap().is_some());
}

#[test]
fn touch_replaces_the_cookie_and_keeps_the_data() {
  let store = open(&directory(), options());
  store
    .write(&set("a", r#"{"n":1}"#, Some(NOW + 10)), NOW)
    .unwrap();
  let touch = Write::Touch {
    id: "a".into(),
    cookie: Some(r#"{"path":"/x"}"#.into()),
    expires_at: Some(NOW + 100),
  };
  assert_eq!(store.write(&touch, NOW), Ok(1));
  assert_eq!(
    store.get("a", NOW + 50).unwrap().as_deref(),
    Some(r#"{"cookie":{"path":"/x"},"n":1}"#)
  );
  // the index follows the new expiry: nothing is swept before it
  assert_eq!(store.write(&Write::Sweep { limit: 10 }, NOW + 50), Ok(0));
  assert_eq!(store.write(&Write::Sweep { limit: 10 }, NOW + 100), Ok(1));
}

#[test]
fn merge_sets_and_removes_top_level_keys_of_a_live_session_only() {
  let store = open(&directory(), options());
  store
    .write(&set("a", r#"{"keep":1,"gone":2,"change":3}"#, None), NOW)
    .unwrap();
  let merge = |id: &str| Write::Merge {
    id: id.into(),
    changes: r#"{"change":30,"added":4}"#.into(),
    removed: vec!["gone".encode_utf16().collect()],
    cookie: Some(r#"{"path":"/"}"#.into()),
    expires_at: None,
  };
  assert_eq!(store.write(&merge("a"), NOW), Ok(1));
  assert_eq!(
    store.get("a", NOW).unwrap().as_deref(),
    Some(r#"{"cookie":{"path":"/"},"keep":1,"change":30,"added":4}"#)
  );
  assert_eq!(store.write(&merge("missing"), NOW), Ok(0));
  assert_eq!(store.get("missing", NOW), Ok(None));
  let bad = Write::Merge {
    id: "a".into(),
    changes: "[1]".into(),
    removed: vec![],
    cookie: None,
    expires_at: None,
  };
  assert_eq!(
    store.write(&bad, NOW).map_err(|err| err.code()),
    Err("ERR_INVALID_ARG_VALUE")
  );
}

#[test]
fn max_evicts_the_sessions_closest_to_expiry_but_never_the_one_stored() {
  let store = open(&directory(), with_max(2));
  store
    .write(&set("soon", "{}", Some(NOW + 10)), NOW)
    .unwrap();
  store
    .write(&set("late", "{}", Some(NOW + 1000)), NOW)
    .unwrap();
  store
    .write(&set("sooner", "{}", Some(NOW + 5)), NOW)
    .unwrap();
  assert_eq!(store.get("soon", NOW), Ok(None));
  assert!(store.get("late", NOW).unwrap().is_some());
  assert!(store.get("sooner", NOW).unwrap().is_some());
  assert_eq!(store.stats().unwrap().evictions, 1);
  assert_eq!(store.stats().unwrap().sessions, 2);
}

/// The IDs in the expiry index, in its order.
fn indexed(store: &DiskStore) -> Vec<String> {
  let txn = store.shared.env.read_txn().unwrap();
  store
    .shared
    .expiry
    .iter(&txn)
    .unwrap()
    .map(|entry| {
      let (key, ()) = entry.unwrap();
      String::from_utf8(split_index_key(key).unwrap().1.to_vec()).unwrap()
    })
    .collect()
}

#[test]
fn only_sessions_that_expire_are_in_the_expiry_index() {
  let store = open(&directory(), options());
  store.write(&set("never", "{}", None), NOW).unwrap();
  store
    .write(&set("soon", "{}", Some(NOW + 10)), NOW)
    .unwrap();
  assert_eq!(indexed(&store), ["soon"]);
  // an expiry given and taken away again moves the session in and out of the index
  store
    .write(&set("never", "{}", Some(NOW + 5)), NOW)
    .unwrap();
  store.write(&set("soon", "{}", None), NOW).unwrap();
  assert_eq!(indexed(&store), ["never"]);
}

#[test]
fn max_evicts_sessions_that_never_expire_last_in_the_order_of_their_ids() {
  let store = open(&directory(), with_max(2));
  store.write(&set("b", "{}", None), NOW).unwrap();
  store.write(&set("a", "{}", None), NOW).unwrap();
  // the one stored is spared although it expires first: "a" goes, then "b"
  store.write(&set("c", "{}", Some(NOW + 10)), NOW).unwrap();
  assert_eq!(store.get("a", NOW), Ok(None));
  store.write(&set("d", "{}", None), NOW).unwrap();
  // "c" expires, so it goes before "b", which never does
  assert_eq!(store.get("c", NOW), Ok(None));
  assert!(store.get("b", NOW).unwrap().is_some());
  assert!(store.get("d", NOW).unwrap().is_some());
  assert_eq!(store.stats().unwrap().evictions, 2);
}

#[test]
fn index_entries_of_never_expiring_sessions_from_earlier_files_are_kept_in_step() {
  let store = open(&directory(), with_max(2));
  store.write(&set("a", "{}", None), NOW).unwrap();
  store.write(&set("b", "{}", None), NOW).unwrap();
  // as an earlier version of this store wrote it, for "b" alone
  let mut txn = store.shared.env.write_txn().unwrap();
  let key = index_key(NEVER, b"b");
  store.shared.expiry.put(&mut txn, &key, &()).unwrap();
  txn.commit().unwrap();
  // eviction takes "a", first by ID, not "b" for its entry
  store.write(&set("c", "{}", None), NOW).unwrap();
  assert_eq!(store.get("a", NOW), Ok(None));
  assert_eq!(store.stats().unwrap().evictions, 1);
  assert_eq!(indexed(&store), ["b"]);
  // an expiry replaces the old entry
  store.write(&set("b", "{}", Some(NOW + 10)), NOW).unwrap();
  assert_eq!(indexed(&store), ["b"]);
  store.write(&Write::Sweep { limit: 10 }, NOW + 20).unwrap();
  assert_eq!(indexed(&store), Vec::<String>::new());
  assert_eq!(store.len(NOW + 20), Ok(1));
}

#[test]
fn clear_deletes_everything() {
  let store = open(&directory(), options());
  store.write(&set("a", "{}", None), NOW).unwrap();
  store.write(&Write::Clear, NOW).unwrap();
  assert_eq!(store.len(NOW), Ok(0));
  assert_eq!(store.stats().unwrap().sessions, 0);
}

#[test]
fn a_second_open_in_the_process_shares_the_sessions() {
  let dir = directory();
  let first = open(&dir, options());
  let second = open(&dir, options());
  first.write(&set("a", "{}", None), NOW).unwrap();
  assert!(second.get("a", NOW).unwrap().is_some());
}

#[test]
fn refuses_other_options_than_the_store_was_created_with() {
  let dir = directory();
  let _first = open(&dir, with_max(10));
  let other = DiskStore::open(&dir, options()).err().expect("refused");
  assert_eq!(other.code(), "ERR_DISK_STORE_OPTIONS");
  assert!(other.message().contains("max=10"), "{}", other.message());
  let durability = DiskStore::open(
    &dir,
    Options {
      durability: Durability::Fsync,
      ..with_max(10)
    },
  )
  .err()
  .expect("refused");
  assert_eq!(durability.code(), "ERR_DISK_STORE_OPTIONS");
}

#[test]
fn refuses_a_newer_format_and_keeps_its_sessions() {
  let dir = directory();
  let store = open(&dir, options());
  store.write(&set("a", "{}", None), NOW).unwrap();
  let shared = &store.shared;
  let mut txn = shared.env.write_txn().unwrap();
  shared.meta.put(&mut txn, "format", b"2").unwrap();
  txn.commit().unwrap();
  let refused = DiskStore::open(&dir, options()).err().expect("refused");
  assert_eq!(refused.code(), "ERR_DISK_STORE_FORMAT");
  assert!(store.get("a", NOW).unwrap().is_some());
}

#[test]
fn refuses_a_path_that_is_a_file() {
  let dir = directory();
  fs::write(&dir, b"not a directory").unwrap();
  let refused = DiskStore::open(&dir, options()).err().expect("refused");
  assert_eq!(refused.code(), "ERR_DISK_STORE_PATH");
  fs::remove_file(&dir).unwrap();
}

#[test]
fn refuses_a_file_that_is_not_a_store_or_is_truncated() {
  let garbage = directory();
  fs::create_dir_all(&garbage).unwrap();
  fs::write(garbage.join("data.mdb"), vec![0x5a; 64 * 1024]).unwrap();
  let refused = DiskStore::open(&garbage, options()).err().expect("refused");
  assert_eq!(refused.code(), "ERR_DISK_STORE_DAMAGED", "{refused}");

  let short = directory();
  fs::create_dir_all(&short).unwrap();
  fs::write(short.join("data.mdb"), vec![0; 100]).unwrap();
  let refused = DiskStore::open(&short, options()).err().expect("refused");
  assert_eq!(refused.code(), "ERR_DISK_STORE_DAMAGED", "{refused}");
}

#[test]
fn a_walk_of_every_page_counts_the_sessions_of_an_intact_store() {
  let dir = directory();
  assert_eq!(verify(&dir).unwrap(), Verified::default(), "no file yet");
  let store = open(&dir, options());
  let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(10_000));
  for i in 0..500 {
    let data = if i % 50 == 0 {
      big.as_str()
    } else {
      r#"{"n":1}"#
    };
    store
      .write(&set(&format!("session-{i}"), data, Some(NOW + 1)), NOW)
      .unwrap();
  }
  store
    .write(
      &Write::Destroy {
        id: "session-7".into(),
      },
      NOW,
    )
    .unwrap();
  // the engine opens a directory once per process, and this one is open: the walk reads a copy
  let copy = directory();
  fs::create_dir_all(&copy).unwrap();
  fs::copy(dir.join("data.mdb"), copy.join("data.mdb")).unwrap();
  let verified = verify(&copy).unwrap();
  assert_eq!(verified.sessions, 499);
  assert!(verified.file_bytes > 50 * 4096, "{verified:?}");
}

#[test]
fn a_walk_of_every_page_reports_damage_as_damage() {
  let dir = directory();
  let store = open(&dir, options());
  for i in 0..300 {
    store
      .write(&set(&format!("session-{i}"), r#"{"n":1}"#, None), NOW)
      .unwrap();
  }
  let data = fs::read(dir.join("data.mdb")).unwrap();
  let damaged = directory();
  fs::create_dir_all(&damaged).unwrap();
  let mut copy = data.clone();
  // every page after the meta pages no longer says what kind of page it is (other damage can
  // fault, which is why the walk runs in a process of its own)
  for page in (2..copy.len() / 4096).map(|page| page * 4096) {
    copy[page + 10..page + 12].fill(0);
  }
  fs::write(damaged.join("data.mdb"), &copy).unwrap();
  let err = verify(&damaged).expect_err("damage found");
  assert_eq!(err.code(), "ERR_DISK_STORE_DAMAGED", "{err}");

  let garbage = directory();
  fs::create_dir_all(&garbage).unwrap();
  fs::write(garbage.join("data.mdb"), vec![0x5a; 64 * 1024]).unwrap();
  assert_eq!(
    verify(&garbage).expect_err("refused").code(),
    "ERR_DISK_STORE_DAMAGED"
  );
}

#[test]
fn a_full_map_is_an_error_that_loses_nothing_stored() {
  let store = open(
    &directory(),
    Options {
      map_size: 256 * 1024,
      ..options()
    },
  );
  store.write(&set("first", "{}", None), NOW).unwrap();
  let big = format!(r#"{{"blob":"{}"}}"#, "x".repeat(4000));
  let mut failure = None;
  for i in 0..200 {
    if let Err(err) = store.write(&set(&format!("s{i}"), &big, None), NOW) {
      failure = Some(err);
      break;
    }
  }
  assert_eq!(
    failure.expect("the map fills up").code(),
    "ERR_DISK_STORE_FULL"
  );
  assert!(store.get("first", NOW).unwrap().is_some());
  assert!(store.get("s0", NOW).unwrap().is_some());
}

#[test]
fn a_group_commit_writes_each_write_and_undoes_only_the_one_that_fails() {
  let store = open(
    &directory(),
    Options {
      durability: Durability::Fsync,
      ..options()
    },
  );
  store
    .write_grouped(set("a", r#"{"n":1}"#, None), NOW)
    .unwrap();
  let bad = Write::Merge {
    id: "a".into(),
    changes: "not json".into(),
    removed: vec![],
    cookie: None,
    expires_at: None,
  };
  let results = store.commit_together(&[set("b", "{}", None), bad, set("c", "{}", None)], NOW);
  assert_eq!(results[0], Ok(1));
  assert_eq!(
    results[1].as_ref().map_err(DiskStoreError::code),
    Err("ERR_INVALID_ARG_VALUE")
  );
  assert_eq!(results[2], Ok(1));
  assert_eq!(store.len(NOW), Ok(3));
  assert_eq!(
    store.get("a", NOW).unwrap().as_deref(),
    Some(r#"{"cookie":{"path":"/"},"n":1}"#)
  );
}

#[test]
fn a_batch_run_again_after_a_failed_write_counts_its_evictions_once() {
  let store = open(&directory(), with_max(1));
  let bad = Write::Merge {
    id: "b".into(),
    changes: "not json".into(),
    removed: vec![],
    cookie: None,
    expires_at: None,
  };
  // the failed merge has the batch run again, each write nested; "b" evicts "a" once
  let results = store.commit_together(&[set("a", "{}", None), set("b", "{}", None), bad], NOW);
  assert_eq!(results[0], Ok(1));
  assert_eq!(results[1], Ok(1));
  assert!(results[2].is_err());
  assert_eq!(store.len(NOW), Ok(1));
  assert_eq!(store.stats().unwrap().evictions, 1);
}

#[test]
fn queued_writes_are_invisible_until_committed_together_in_order() {
  let store = open(&directory(), options());
  store.write(&set("kept", "{}", None), NOW).unwrap();
  store.queue(set("a", r#"{"n":1}"#, None));
  store.queue(Write::Destroy { id: "kept".into() });
  store.queue(Write::Merge {
    id: "a".into(),
    changes: r#"{"m":2}"#.into(),
    removed: vec![],
    cookie: Some(r#"{"path":"/"}"#.into()),
    expires_at: None,
  });
  store.queue(Write::Merge {
    id: "a".into(),
    changes: "not json".into(),
    removed: vec![],
    cookie: None,
    expires_at: None,
  });
  assert_eq!(store.get("a", NOW), Ok(None));
  assert!(store.get("kept", NOW).unwrap().is_some());

  let results = store.commit_queued(NOW).results;
  assert_eq!(results.len(), 4);
  assert_eq!(results[0], Ok(1));
  assert_eq!(results[1], Ok(1));
  // the merge sees the set queued before it
  assert_eq!(results[2], Ok(1));
  assert_eq!(
    results[3].as_ref().map_err(DiskStoreError::code),
    Err("ERR_INVALID_ARG_VALUE")
  );
  assert_eq!(
    store.get("a", NOW).unwrap().as_deref(),
    Some(r#"{"cookie":{"path":"/"},"n":1,"m":2}"#)
  );
  assert_eq!(store.get("kept", NOW), Ok(None));
  assert_eq!(
    store.commit_queued(NOW),
    QueuedCommit {
      results: vec![],
      number: None
    }
  );
}

#[test]
fn numbers_the_commits_that_change_a_session_for_every_handle_on_the_store() {
  let dir = directory();
  let store = open(&dir, options());
  let other = open(&dir, options());
  let first = store.last_commit();
  assert_eq!(other.last_commit(), first);

  store.queue(set("a", "{}", None));
  let committed = store.commit_queued(NOW);
  assert_eq!(committed.number, Some(first + 1));
  // every handle reads the same number, and a read says what it saw
  assert_eq!(other.last_commit(), first + 1);
  assert_eq!(other.load("a", NOW, |_| ()).unwrap().as_of, first + 1);

  // a write made another way moves the number too
  other.write(&set("b", "{}", None), NOW).unwrap();
  assert_eq!(store.last_commit(), first + 2);

  // a commit that changes no session takes no number, and the last one stays
  store.queue(Write::Destroy {
    id: "missing".into(),
  });
  store.queue(Write::Touch {
    id: "missing".into(),
    cookie: None,
    expires_at: None,
  });
  assert_eq!(store.commit_queued(NOW).number, None);
  assert_eq!(store.last_commit(), first + 2);

  // one that changes a session beside a write that fails is numbered
  store.queue(set("c", "{}", None));
  store.queue(Write::Merge {
    id: "c".into(),
    changes: "not json".into(),
    removed: vec![],
    cookie: None,
    expires_at: None,
  });
  let committed = store.commit_queued(NOW);
  assert!(committed.results[1].is_err());
  assert_eq!(committed.number, Some(first + 3));
  assert_eq!(other.last_commit(), first + 3);
}
