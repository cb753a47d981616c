//! The MemoryStore storage, driven through its API.

use super::*;
use crate::cookie_form::CookieFields;
use crate::session_key::SessionKey;

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
    Some(r#"{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},"n":70}"#)
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
  assert_eq!(
    by_fields.touch_fields("a", shape, serial, Some(later), 1),
    FieldsTouch::Touched
  );
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
  assert_eq!(
    s.touch_fields("a", iso_shape, iso_serial, None, 0),
    FieldsTouch::Declined
  );
  assert_eq!(
    s.touch_fields("a", iso_shape, iso_serial, Some(iso_time::LAST + 1), 0),
    FieldsTouch::Declined
  );
  assert_eq!(
    s.touch_fields("b", null_shape, null_serial, Some(ISO_EXPIRY), 0),
    FieldsTouch::Declined
  );
  // another session's shape, or a shape that has gone and whose number was reused
  assert_eq!(
    s.touch_fields("a", null_shape, null_serial, None, 0),
    FieldsTouch::Declined
  );
  s.destroy("b");
  s.set("c", Some(r#"{"path":"/c"}"#), "{}", None, 0);
  let (_, reused, ..) = fields_of(s.load("c", 0));
  assert_eq!(reused, null_shape);
  assert_eq!(
    s.touch_fields("c", null_shape, null_serial, None, 0),
    FieldsTouch::Declined
  );
  assert!(s.cookie_fields_json(null_shape, null_serial).is_none());
  // nothing changed by the declines; a missing session is left alone
  assert_eq!(
    s.load("a", 0).map(|l| fields_of(Some(l)).3),
    Some(ISO_EXPIRY)
  );
  assert_eq!(
    s.touch_fields("gone", iso_shape, iso_serial, Some(ISO_EXPIRY), 0),
    FieldsTouch::NoLiveSession
  );
  assert_eq!(s.len(0), 2);
  // nor is an expired one brought back
  assert_eq!(
    s.touch_fields("a", iso_shape, iso_serial, Some(ISO_EXPIRY + 1), ISO_EXPIRY),
    FieldsTouch::NoLiveSession
  );
  assert_eq!(s.len(ISO_EXPIRY), 1);
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

#[test]
fn set_reports_the_shape_it_keeps_the_cookie_as() {
  let s = store();
  let stored = s.set("a", Some(ISO_COOKIE), r#"{"n":1}"#, Some(ISO_EXPIRY), 0);
  let (_, shape, serial, expires_at, ..) = fields_of(s.load("a", 0));
  assert_eq!(
    stored,
    Some(Stored {
      shape,
      serial,
      expires_at,
      touch_changes_nothing: false
    })
  );
  let never = s.set("b", Some(COOKIE), "{}", None, 0).unwrap();
  assert!(never.touch_changes_nothing);
  assert_eq!(never.expires_at, NEVER);
  // a cookie kept as text has no shape to report
  assert_eq!(s.set("c", Some(r#"{"odd":true}"#), "{}", None, 0), None);
}

#[test]
fn setting_by_fields_matches_setting_with_the_cookie() {
  let by_json = store();
  let by_fields = store();
  let first = by_json
    .set("a", Some(ISO_COOKIE), r#"{"n":1}"#, Some(ISO_EXPIRY), 0)
    .unwrap();
  by_fields.set("a", Some(ISO_COOKIE), r#"{"n":1}"#, Some(ISO_EXPIRY), 0);
  let later = ISO_EXPIRY + 60_000;
  let mut cookie = String::new();
  CookieFields::parse(ISO_COOKIE, ISO_EXPIRY)
    .unwrap()
    .write_json(later, &mut cookie);
  // replacing a session, and storing another of the same shape
  for id in ["a", "b"] {
    let by_cookie = by_json.set(id, Some(&cookie), r#"{"n":2}"#, Some(later), 1);
    let stored = by_fields.set_fields(id, first.shape, first.serial, r#"{"n":2}"#, Some(later), 1);
    assert_eq!(stored, by_cookie);
    assert_eq!(by_fields.get(id, 2), by_json.get(id, 2));
  }
  assert_eq!(by_fields.stats().bytes, by_json.stats().bytes);
  // the shape is counted once per session: it outlives the destruction of one of them
  by_fields.destroy("a");
  assert!(by_fields
    .cookie_fields_json(first.shape, first.serial)
    .is_some());
}

#[test]
fn setting_by_fields_declines_what_it_cannot_do_alike() {
  let s = store();
  let iso = s
    .set("a", Some(ISO_COOKIE), "{}", Some(ISO_EXPIRY), 0)
    .unwrap();
  let null = s.set("b", Some(COOKIE), "{}", None, 0).unwrap();
  // an expiry the shape's `expires` cannot carry
  assert_eq!(
    s.set_fields("x", iso.shape, iso.serial, "{}", None, 0),
    None
  );
  assert_eq!(
    s.set_fields("x", null.shape, null.serial, "{}", Some(ISO_EXPIRY), 0),
    None
  );
  // a shape that has gone, whose number was reused
  s.destroy("b");
  s.set("c", Some(r#"{"path":"/c"}"#), "{}", None, 0);
  assert_eq!(
    s.set_fields("x", null.shape, null.serial, "{}", None, 0),
    None
  );
  assert_eq!(s.get("x", 0), None);
  assert_eq!(s.len(0), 2);
}
