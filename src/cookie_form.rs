//! A session cookie's JSON, as `Cookie#toJSON` writes it, held as fields instead of text:
//!
//! `{"originalMaxAge":3600000,"expires":"2024-01-31T12:00:00.000Z","httpOnly":true,"path":"/"}`
//!
//! The expiry instant is the session's own (the store keeps it anyway), so the fields left are the
//! same for nearly every session of a server and are shared between them (see `cookie_shapes`).
//! Writing the fields back yields the original text byte for byte. Text that the fields cannot
//! reproduce exactly (keys other than `Cookie#toJSON`'s or in another order, values of other
//! types, an expiry that is not the session's, a number written unusually) is not a cookie form:
//! [`CookieFields::parse`] answers None and the store keeps that text as it is.

use crate::iso_time;
use crate::json_object::{self, push_key};
use std::fmt::Write;

/// `Cookie#toJSON`'s keys in the order it writes them.
const KEYS: [&str; 9] = [
  "originalMaxAge",
  "partitioned",
  "priority",
  "expires",
  "secure",
  "httpOnly",
  "domain",
  "path",
  "sameSite",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxAge {
  Null,
  /// An integer number of milliseconds, as JavaScript writes integers.
  Millis(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expires {
  /// A browser-session cookie.
  Null,
  /// The session's expiry instant, written as `Date#toISOString` does.
  AtSessionExpiry,
}

/// The cookie's members, `None` for a key that is absent (a property that was undefined).
/// String-valued members hold their JSON string literal, quotes and escapes included; `S` is
/// `&str` while reading and `Box<str>` once kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CookieFields<S> {
  pub original_max_age: Option<MaxAge>,
  pub partitioned: Option<bool>,
  pub priority: Option<S>,
  pub expires: Option<Expires>,
  pub secure: Option<bool>,
  pub http_only: Option<bool>,
  pub domain: Option<S>,
  pub path: Option<S>,
  /// A string literal, `true` or `false` (`sameSite: true` means strict).
  pub same_site: Option<S>,
}

impl<'a> CookieFields<&'a str> {
  /// The fields of `json` when writing them back for a session expiring at `expires_at` (epoch
  /// milliseconds) reproduces `json` exactly.
  pub fn parse(json: &'a str, expires_at: i64) -> Option<Self> {
    let mut fields = CookieFields::default();
    let mut next_key = 0;
    for member in json_object::members(json).ok()? {
      let position = next_key
        + KEYS[next_key..]
          .iter()
          .position(|&key| key == member.raw_key)?;
      next_key = position + 1;
      let value = member.value;
      match position {
        0 => fields.original_max_age = Some(max_age(value)?),
        1 => fields.partitioned = Some(boolean(value)?),
        2 => fields.priority = Some(string(value)?),
        3 => fields.expires = Some(expires(value, expires_at)?),
        4 => fields.secure = Some(boolean(value)?),
        5 => fields.http_only = Some(boolean(value)?),
        6 => fields.domain = Some(string(value)?),
        7 => fields.path = Some(string(value)?),
        _ => {
          fields.same_site = Some(if boolean(value).is_some() {
            value
          } else {
            string(value)?
          })
        }
      }
    }
    // writing back must give the same bytes: no whitespace, no escaped key names
    (fields.json_length() == json.len()).then_some(fields)
  }

  pub fn to_owned(&self) -> CookieFields<Box<str>> {
    let own = |text: Option<&str>| text.map(Box::from);
    CookieFields {
      original_max_age: self.original_max_age,
      partitioned: self.partitioned,
      priority: own(self.priority),
      expires: self.expires,
      secure: self.secure,
      http_only: self.http_only,
      domain: own(self.domain),
      path: own(self.path),
      same_site: own(self.same_site),
    }
  }

  /// Bytes that `write_json` produces, without producing them.
  fn json_length(&self) -> usize {
    let mut length = 2; // braces
    let mut member = |present: bool, key: &str, value_length: usize| {
      if present {
        length += usize::from(length > 2) + key.len() + 3 + value_length;
      }
    };
    member(
      self.original_max_age.is_some(),
      KEYS[0],
      self.original_max_age.map_or(0, max_age_length),
    );
    member(
      self.partitioned.is_some(),
      KEYS[1],
      self.partitioned.map_or(0, boolean_length),
    );
    member(
      self.priority.is_some(),
      KEYS[2],
      self.priority.map_or(0, str::len),
    );
    member(
      self.expires.is_some(),
      KEYS[3],
      self.expires.map_or(0, expires_length),
    );
    member(
      self.secure.is_some(),
      KEYS[4],
      self.secure.map_or(0, boolean_length),
    );
    member(
      self.http_only.is_some(),
      KEYS[5],
      self.http_only.map_or(0, boolean_length),
    );
    member(
      self.domain.is_some(),
      KEYS[6],
      self.domain.map_or(0, str::len),
    );
    member(self.path.is_some(), KEYS[7], self.path.map_or(0, str::len));
    member(
      self.same_site.is_some(),
      KEYS[8],
      self.same_site.map_or(0, str::len),
    );
    length
  }
}

impl<S: AsRef<str>> CookieFields<S> {
  /// Borrows the fields, for comparing kept fields with newly read ones.
  pub fn view(&self) -> CookieFields<&str> {
    fn text<S: AsRef<str>>(value: &Option<S>) -> Option<&str> {
      value.as_ref().map(AsRef::as_ref)
    }
    CookieFields {
      original_max_age: self.original_max_age,
      partitioned: self.partitioned,
      priority: text(&self.priority),
      expires: self.expires,
      secure: self.secure,
      http_only: self.http_only,
      domain: text(&self.domain),
      path: text(&self.path),
      same_site: text(&self.same_site),
    }
  }

  /// Appends the cookie's JSON for a session expiring at `expires_at`.
  pub fn write_json(&self, expires_at: i64, out: &mut String) {
    out.push('{');
    if let Some(max_age) = self.original_max_age {
      push_key(out, KEYS[0]);
      match max_age {
        MaxAge::Null => out.push_str("null"),
        MaxAge::Millis(ms) => {
          let _ = write!(out, "{ms}");
        }
      }
    }
    push_boolean(out, KEYS[1], self.partitioned);
    push_text(out, KEYS[2], &self.priority);
    if let Some(expires) = self.expires {
      push_key(out, KEYS[3]);
      match expires {
        Expires::Null => out.push_str("null"),
        Expires::AtSessionExpiry => {
          out.push('"');
          iso_time::write(expires_at, out);
          out.push('"');
        }
      }
    }
    push_boolean(out, KEYS[4], self.secure);
    push_boolean(out, KEYS[5], self.http_only);
    push_text(out, KEYS[6], &self.domain);
    push_text(out, KEYS[7], &self.path);
    push_text(out, KEYS[8], &self.same_site);
    out.push('}');
  }

  /// Heap bytes of the kept strings.
  pub fn heap_size(&self) -> usize {
    [&self.priority, &self.domain, &self.path, &self.same_site]
      .into_iter()
      .flatten()
      .map(|text| text.as_ref().len())
      .sum()
  }
}

fn push_boolean(out: &mut String, key: &str, value: Option<bool>) {
  if let Some(value) = value {
    push_key(out, key);
    out.push_str(if value { "true" } else { "false" });
  }
}

fn push_text<S: AsRef<str>>(out: &mut String, key: &str, value: &Option<S>) {
  if let Some(value) = value {
    push_key(out, key);
    out.push_str(value.as_ref());
  }
}

fn max_age(value: &str) -> Option<MaxAge> {
  if value == "null" {
    return Some(MaxAge::Null);
  }
  // only the digits JavaScript writes for an integer: no fraction, exponent or "-0"
  let ms: i64 = value.parse().ok()?;
  (max_age_length(MaxAge::Millis(ms)) == value.len()).then_some(MaxAge::Millis(ms))
}

fn max_age_length(max_age: MaxAge) -> usize {
  match max_age {
    MaxAge::Null => 4,
    MaxAge::Millis(ms) => {
      let digits = ms
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1);
      digits + usize::from(ms < 0)
    }
  }
}

fn boolean(value: &str) -> Option<bool> {
  match value {
    "true" => Some(true),
    "false" => Some(false),
    _ => None,
  }
}

fn boolean_length(value: bool) -> usize {
  if value {
    4
  } else {
    5
  }
}

fn string(value: &str) -> Option<&str> {
  value.starts_with('"').then_some(value)
}

fn expires(value: &str, expires_at: i64) -> Option<Expires> {
  if value == "null" {
    return Some(Expires::Null);
  }
  let instant = value
    .strip_prefix('"')?
    .strip_suffix('"')
    .and_then(iso_time::parse)?;
  (instant == expires_at).then_some(Expires::AtSessionExpiry)
}

fn expires_length(expires: Expires) -> usize {
  match expires {
    Expires::Null => 4,
    Expires::AtSessionExpiry => iso_time::LENGTH + 2,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const AT: i64 = 1_700_000_000_123;
  const ISO: &str = "2023-11-14T22:13:20.123Z";

  fn round_trip(json: &str) -> Option<String> {
    let fields = CookieFields::parse(json, AT)?;
    let mut kept = String::new();
    fields.to_owned().write_json(AT, &mut kept);
    Some(kept)
  }

  #[test]
  fn a_default_cookie_becomes_fields() {
    let json =
      format!(r#"{{"originalMaxAge":3600000,"expires":"{ISO}","httpOnly":true,"path":"/"}}"#);
    let fields = CookieFields::parse(&json, AT).unwrap();
    assert_eq!(
      fields,
      CookieFields {
        original_max_age: Some(MaxAge::Millis(3_600_000)),
        expires: Some(Expires::AtSessionExpiry),
        http_only: Some(true),
        path: Some("\"/\""),
        ..CookieFields::default()
      }
    );
    assert_eq!(round_trip(&json).unwrap(), json);
  }

  #[test]
  fn every_attribute_round_trips() {
    for json in [
      format!(
        r#"{{"originalMaxAge":-5,"partitioned":true,"priority":"high","expires":"{ISO}","secure":false,"httpOnly":false,"domain":"example.com","path":"/app","sameSite":"lax"}}"#
      ),
      r#"{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}"#.to_owned(),
      r#"{"originalMaxAge":0,"sameSite":true}"#.to_owned(),
      r#"{"sameSite":false}"#.to_owned(),
      r#"{"path":"/caf\u00e9\"\\"}"#.to_owned(),
      r#"{"domain":"名前.example"}"#.to_owned(),
      "{}".to_owned(),
    ] {
      assert_eq!(round_trip(&json).as_deref(), Some(json.as_str()));
    }
  }

  #[test]
  fn odd_cookies_are_not_fields() {
    for json in [
      // a key Cookie#toJSON does not write, or its keys out of order or repeated
      r#"{"originalMaxAge":1,"extra":1}"#.to_owned(),
      r#"{"path":"/","httpOnly":true}"#.to_owned(),
      r#"{"path":"/","path":"/"}"#.to_owned(),
      // values of other types or written unusually
      r#"{"originalMaxAge":1.5}"#.to_owned(),
      r#"{"originalMaxAge":1e21}"#.to_owned(),
      r#"{"originalMaxAge":-0}"#.to_owned(),
      r#"{"originalMaxAge":"3600000"}"#.to_owned(),
      r#"{"originalMaxAge":99999999999999999999}"#.to_owned(),
      r#"{"httpOnly":1}"#.to_owned(),
      r#"{"secure":null}"#.to_owned(),
      r#"{"path":null}"#.to_owned(),
      r#"{"domain":{"a":1}}"#.to_owned(),
      r#"{"sameSite":1}"#.to_owned(),
      // an expiry other than the session's, or in another form
      r#"{"expires":"2023-11-14T22:13:20.124Z"}"#.to_owned(),
      r#"{"expires":"2023-11-14T22:13:20Z"}"#.to_owned(),
      r#"{"expires":1700000000123}"#.to_owned(),
      r#"{"expires":"+275760-09-13T00:00:00.000Z"}"#.to_owned(),
      // whitespace or escapes in key names would not be written back
      r#"{ "path":"/"}"#.to_owned(),
      r#"{"p\u0061th":"/"}"#.to_owned(),
      // not an object
      r#"[]"#.to_owned(),
      r#"{"path":"/""#.to_owned(),
    ] {
      assert_eq!(CookieFields::parse(&json, AT), None, "{json}");
    }
  }

  #[test]
  fn owned_fields_compare_and_hash_like_borrowed_ones() {
    use std::hash::BuildHasher;
    let json = format!(r#"{{"originalMaxAge":1,"expires":"{ISO}","domain":"a.example"}}"#);
    let read = CookieFields::parse(&json, AT).unwrap();
    let kept = read.to_owned();
    assert_eq!(kept.view(), read);
    let hasher = hashbrown::DefaultHashBuilder::default();
    assert_eq!(hasher.hash_one(&kept), hasher.hash_one(&read));
    assert_eq!(kept.heap_size(), "\"a.example\"".len());
  }
}
