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

impl<S> CookieFields<S> {
  /// The same fields with each string-valued one passed through `convert`.
  fn map<'s, T>(&'s self, convert: impl Fn(&'s S) -> T) -> CookieFields<T> {
    CookieFields {
      original_max_age: self.original_max_age,
      partitioned: self.partitioned,
      priority: self.priority.as_ref().map(&convert),
      expires: self.expires,
      secure: self.secure,
      http_only: self.http_only,
      domain: self.domain.as_ref().map(&convert),
      path: self.path.as_ref().map(&convert),
      same_site: self.same_site.as_ref().map(&convert),
    }
  }
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
    // kept only if writing back gives the same bytes (no whitespace between members, say)
    let mut written = String::with_capacity(json.len());
    fields.write_json(expires_at, &mut written);
    (written == json).then_some(fields)
  }

  pub fn to_owned(&self) -> CookieFields<Box<str>> {
    self.map(|&text| Box::from(text))
  }
}

impl<S: AsRef<str>> CookieFields<S> {
  /// Borrows the fields, for comparing kept fields with newly read ones.
  pub fn view(&self) -> CookieFields<&str> {
    self.map(AsRef::as_ref)
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
  // integers only; one JavaScript would write otherwise ("-0") fails the comparison in `parse`
  value.parse().ok().map(MaxAge::Millis)
}

fn boolean(value: &str) -> Option<bool> {
  match value {
    "true" => Some(true),
    "false" => Some(false),
    _ => None,
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
