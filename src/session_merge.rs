//! Merging one request's changes into a session that other requests may have changed meanwhile,
//! on the data JSON (the session without its cookie), top-level key by top-level key.
//!
//! [`changed_keys`] finds what a request changed: the keys whose value's JSON text differs between
//! the data it loaded and the data it ends with, and the keys it deleted. [`apply`] writes such
//! changes into the data as stored now: a changed key keeps its place if the stored data has it
//! and is appended otherwise (as assigning a JavaScript property does), a removed key goes, and
//! every other key keeps the stored value, which another request may have written. Values below
//! the top level are never looked into: a changed value replaces the stored one whole.

use crate::json_object::{key_is, members, push_member, same_key, Malformed, Member};

/// What a request changed in its session's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChanges<'a> {
  /// Keys added or given a different value, with the value now, in the order of the current data.
  pub changed: Vec<Member<'a>>,
  /// Raw keys of the loaded data that the current data lacks, in the loaded order.
  pub removed: Vec<&'a str>,
}

impl KeyChanges<'_> {
  /// The changed keys and values as one JSON object, the form [`apply`] takes.
  pub fn changes_json(&self) -> String {
    let mut json = String::with_capacity(
      2 + self
        .changed
        .iter()
        .map(|m| m.raw_key.len() + m.value.len() + 4)
        .sum::<usize>(),
    );
    json.push('{');
    for member in &self.changed {
      push_member(&mut json, member.raw_key, member.value);
    }
    json.push('}');
    json
  }
}

/// What changed from the data JSON `loaded` (None when the request started without a stored
/// session: then every key is new) to the data JSON `current`.
pub fn changed_keys<'a>(
  loaded: Option<&'a str>,
  current: &'a str,
) -> Result<KeyChanges<'a>, Malformed> {
  let before = loaded.map(members).transpose()?.unwrap_or_default();
  let after = members(current)?;
  let changed = after
    .iter()
    .enumerate()
    .filter(|&(position, member)| {
      find(&before, position, member.raw_key).is_none_or(|old| old.value != member.value)
    })
    .map(|(_, member)| *member)
    .collect();
  let removed = before
    .iter()
    .enumerate()
    .filter(|&(position, member)| find(&after, position, member.raw_key).is_none())
    .map(|(_, member)| member.raw_key)
    .collect();
  Ok(KeyChanges { changed, removed })
}

/// The data JSON `stored` with the members of the JSON object `changes` set and the keys
/// `removed` (JavaScript strings as UTF-16) deleted. A key both changed and removed is removed; a
/// key repeated in `changes` takes its last value, as `JSON.parse` would.
pub fn apply(stored: &str, changes: &str, removed: &[&[u16]]) -> Result<String, Malformed> {
  let stored = members(stored)?;
  let changes = members(changes)?;
  let is_removed = |raw_key: &str| removed.iter().any(|units| key_is(raw_key, units));
  let last_change = |raw_key: &str| {
    changes
      .iter()
      .rev()
      .find(|change| same_key(change.raw_key, raw_key))
  };

  let mut merged = String::with_capacity(
    stored
      .iter()
      .chain(&changes)
      .map(|m| m.raw_key.len() + m.value.len() + 4)
      .sum::<usize>()
      + 2,
  );
  merged.push('{');
  for member in stored.iter().filter(|member| !is_removed(member.raw_key)) {
    let value = last_change(member.raw_key).map_or(member.value, |change| change.value);
    push_member(&mut merged, member.raw_key, value);
  }
  for (position, change) in changes.iter().enumerate() {
    let is_new = find(&stored, usize::MAX, change.raw_key).is_none();
    let is_last = !changes[position + 1..]
      .iter()
      .any(|later| same_key(later.raw_key, change.raw_key));
    if is_new && is_last && !is_removed(change.raw_key) {
      push_member(&mut merged, change.raw_key, change.value);
    }
  }
  merged.push('}');
  Ok(merged)
}

/// The member of `members` with key `raw_key`, looked for first at `position` (where it usually
/// is, since a request rarely reorders its session's keys).
fn find<'m, 'a>(
  members: &'m [Member<'a>],
  position: usize,
  raw_key: &str,
) -> Option<&'m Member<'a>> {
  match members.get(position) {
    Some(member) if member.raw_key == raw_key => Some(member),
    _ => members
      .iter()
      .find(|member| same_key(member.raw_key, raw_key)),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn units(key: &str) -> Vec<u16> {
    key.encode_utf16().collect()
  }

  fn merged(stored: &str, changes: &str, removed: &[&str]) -> String {
    let removed: Vec<Vec<u16>> = removed.iter().map(|key| units(key)).collect();
    let removed: Vec<&[u16]> = removed.iter().map(Vec::as_slice).collect();
    apply(stored, changes, &removed).unwrap()
  }

  fn summary<'a>(
    loaded: Option<&'a str>,
    current: &'a str,
  ) -> (Vec<(&'a str, &'a str)>, Vec<&'a str>) {
    let changes = changed_keys(loaded, current).unwrap();
    (
      changes
        .changed
        .iter()
        .map(|m| (m.raw_key, m.value))
        .collect(),
      changes.removed,
    )
  }

  #[test]
  fn finds_changed_added_and_removed_keys() {
    let (changed, removed) = summary(
      Some(r#"{"a":1,"b":{"x":[1,2]},"c":"same","gone":true}"#),
      r#"{"a":2,"b":{"x":[1,2,3]},"c":"same","new":null}"#,
    );
    assert_eq!(
      changed,
      vec![("a", "2"), ("b", r#"{"x":[1,2,3]}"#), ("new", "null")]
    );
    assert_eq!(removed, vec!["gone"]);
  }

  #[test]
  fn without_loaded_data_every_key_is_changed() {
    let (changed, removed) = summary(None, r#"{"a":1,"b":2}"#);
    assert_eq!(changed, vec![("a", "1"), ("b", "2")]);
    assert!(removed.is_empty());
    assert_eq!(summary(Some("{}"), "{}"), (vec![], vec![]));
    assert_eq!(summary(Some(r#"{"a":1}"#), "{}"), (vec![], vec!["a"]));
  }

  #[test]
  fn reordered_keys_are_not_changes() {
    let (changed, removed) = summary(Some(r#"{"a":1,"b":2,"c":3}"#), r#"{"c":3,"a":1,"b":2}"#);
    assert!(changed.is_empty() && removed.is_empty());
  }

  #[test]
  fn a_nested_change_reports_its_top_level_key() {
    let (changed, _) = summary(
      Some(r#"{"user":{"name":"a","roles":["x"]}}"#),
      r#"{"user":{"name":"a","roles":["x","y"]}}"#,
    );
    assert_eq!(changed, vec![("user", r#"{"name":"a","roles":["x","y"]}"#)]);
  }

  #[test]
  fn escaped_unicode_and_prototype_keys() {
    let (changed, removed) = summary(
      Some(r#"{"__proto__":1,"名前":"a","q\"k":1,"\ud800":1}"#),
      r#"{"__proto__":2,"名前":"b","q\u0022k":1,"\ud800":1,"😀":0}"#,
    );
    assert_eq!(
      changed,
      vec![("__proto__", "2"), ("名前", r#""b""#), ("😀", "0")]
    );
    assert!(removed.is_empty());
    let changes = changed_keys(Some("{}"), r#"{"__proto__":{"polluted":true}}"#).unwrap();
    assert_eq!(changes.changes_json(), r#"{"__proto__":{"polluted":true}}"#);
  }

  #[test]
  fn changes_json_holds_the_changed_members() {
    let changes = changed_keys(Some(r#"{"a":1,"b":2}"#), r#"{"a":1,"b":3,"c":[4]}"#).unwrap();
    assert_eq!(changes.changes_json(), r#"{"b":3,"c":[4]}"#);
    assert_eq!(changed_keys(Some("{}"), "{}").unwrap().changes_json(), "{}");
  }

  #[test]
  fn malformed_data_is_an_error() {
    assert!(changed_keys(Some("{"), "{}").is_err());
    assert!(changed_keys(None, "[]").is_err());
    assert!(apply("{}", "{", &[]).is_err());
    assert!(apply("nope", "{}", &[]).is_err());
  }

  #[test]
  fn sets_in_place_appends_new_keys_and_removes() {
    assert_eq!(
      merged(
        r#"{"a":1,"b":2,"c":3}"#,
        r#"{"b":20,"d":40,"a":10}"#,
        &["c"]
      ),
      r#"{"a":10,"b":20,"d":40}"#
    );
  }

  #[test]
  fn keeps_what_other_requests_wrote() {
    // loaded {"cart":[]}; meanwhile another request stored "visits"; this request changed "cart"
    assert_eq!(
      merged(r#"{"cart":[],"visits":5}"#, r#"{"cart":["book"]}"#, &[]),
      r#"{"cart":["book"],"visits":5}"#
    );
  }

  #[test]
  fn nested_values_are_replaced_whole() {
    assert_eq!(
      merged(
        r#"{"user":{"id":1,"name":"a","extra":true}}"#,
        r#"{"user":{"id":1,"name":"b"}}"#,
        &[]
      ),
      r#"{"user":{"id":1,"name":"b"}}"#
    );
  }

  #[test]
  fn removal_wins_and_the_last_repeated_change_counts() {
    assert_eq!(merged(r#"{"a":1}"#, r#"{"a":2,"b":3}"#, &["a", "b"]), "{}");
    assert_eq!(
      merged(r#"{"a":1}"#, r#"{"b":1,"b":2,"a":3,"a":4}"#, &[]),
      r#"{"a":4,"b":2}"#
    );
    assert_eq!(merged(r#"{"a":1}"#, "{}", &["missing"]), r#"{"a":1}"#);
  }

  #[test]
  fn merges_into_and_out_of_empty_objects() {
    assert_eq!(merged("{}", r#"{"a":1}"#, &[]), r#"{"a":1}"#);
    assert_eq!(merged(r#"{"a":1}"#, "{}", &["a"]), "{}");
    assert_eq!(merged("{}", "{}", &[]), "{}");
    assert_eq!(merged(" { } ", r#"{"a":{}}"#, &[]), r#"{"a":{}}"#);
  }

  #[test]
  fn keys_match_across_escapes_unicode_and_prototype_names() {
    assert_eq!(
      merged(
        r#"{"__proto__":1,"caf\u00e9":1,"名前":"a","\ud800":1,"tab\t":1}"#,
        r#"{"café":2,"__proto__":2,"\u540d\u524d":"b"}"#,
        &["\u{1F600}", "tab\t"]
      ),
      r#"{"__proto__":2,"caf\u00e9":2,"名前":"b","\ud800":1}"#
    );
    let lone: Vec<u16> = vec![0xd800];
    assert_eq!(
      apply(r#"{"\ud800":1,"b":2}"#, "{}", &[&lone]).unwrap(),
      r#"{"b":2}"#
    );
  }
}
