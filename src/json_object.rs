//! The top level of a JSON object's text, read without building anything below it: its members as
//! slices of the text (the key as written between its quotes, the value's whole JSON text).
//!
//! Nested values are checked for well-formedness but kept as they are, so a caller can compare or
//! copy them byte for byte. Keys are compared as JavaScript compares property names, by UTF-16
//! code units after undoing escapes: `"\u0061"` and `"a"` are the same key, and a lone surrogate
//! such as `"\ud800"` (which `JSON.stringify` writes for such a key) is a key like any other.

use std::fmt;

/// One member of an object: `"raw_key": value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
  /// The key as written between its quotes, escapes included.
  pub raw_key: &'a str,
  /// The value's JSON text, without surrounding whitespace.
  pub value: &'a str,
}

/// The text is not a well-formed JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
  /// Byte offset where reading stopped.
  pub at: usize,
}

impl fmt::Display for Malformed {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "malformed JSON object at byte {}", self.at)
  }
}

impl std::error::Error for Malformed {}

/// The members of the JSON object `json`, in the order they are written.
pub fn members(json: &str) -> Result<Vec<Member<'_>>, Malformed> {
  let mut reader = Reader { text: json, at: 0 };
  let mut found = Vec::new();
  reader.expect(b'{')?;
  if !reader.eat(b'}') {
    loop {
      reader.skip_whitespace();
      let raw_key = reader.string()?;
      reader.expect(b':')?;
      reader.skip_whitespace();
      let start = reader.at;
      reader.value()?;
      found.push(Member {
        raw_key,
        value: &json[start..reader.at],
      });
      if reader.eat(b'}') {
        break;
      }
      reader.expect(b',')?;
    }
  }
  reader.skip_whitespace();
  if reader.at != json.len() {
    return Err(reader.malformed());
  }
  Ok(found)
}

/// Whether two raw keys name the same property.
pub fn same_key(a: &str, b: &str) -> bool {
  if a == b {
    return true;
  }
  // without escapes the raw text is the key itself, so different text is a different key
  if !a.contains('\\') && !b.contains('\\') {
    return false;
  }
  key_units(a) == key_units(b)
}

/// Whether the raw key `raw_key` is the JavaScript string `units`.
pub fn key_is(raw_key: &str, units: &[u16]) -> bool {
  if raw_key.contains('\\') {
    key_units(raw_key) == units
  } else {
    raw_key.encode_utf16().eq(units.iter().copied())
  }
}

/// The JavaScript string a raw key stands for, as UTF-16 code units. `raw_key` must come from
/// [`members`], which has checked its escapes.
pub fn key_units(raw_key: &str) -> Vec<u16> {
  let mut units = Vec::with_capacity(raw_key.len());
  let mut chars = raw_key.chars();
  while let Some(c) = chars.next() {
    if c != '\\' {
      let mut buffer = [0u16; 2];
      units.extend_from_slice(c.encode_utf16(&mut buffer));
      continue;
    }
    let unit = match chars.next() {
      Some('b') => 0x08,
      Some('f') => 0x0c,
      Some('n') => 0x0a,
      Some('r') => 0x0d,
      Some('t') => 0x09,
      Some('u') => {
        let hex: String = chars.by_ref().take(4).collect();
        u16::from_str_radix(&hex, 16).unwrap_or(0xfffd)
      }
      // \" \\ \/
      Some(other) => other as u16,
      None => break,
    };
    units.push(unit);
  }
  units
}

/// Appends `"raw_key":value` to an object being written, with a comma unless it is the first.
pub fn push_member(out: &mut String, raw_key: &str, value: &str) {
  push_key(out, raw_key);
  out.push_str(value);
}

/// Appends `"raw_key":` to an object being written, with a comma unless it is the first member;
/// the value is the caller's to write.
pub fn push_key(out: &mut String, raw_key: &str) {
  if !out.ends_with('{') {
    out.push(',');
  }
  out.push('"');
  out.push_str(raw_key);
  out.push_str("\":");
}

struct Reader<'a> {
  text: &'a str,
  at: usize,
}

impl<'a> Reader<'a> {
  fn malformed(&self) -> Malformed {
    Malformed { at: self.at }
  }

  fn peek(&self) -> Option<u8> {
    self.text.as_bytes().get(self.at).copied()
  }

  fn skip_whitespace(&mut self) {
    while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
      self.at += 1;
    }
  }

  /// Skips whitespace, then consumes `byte` if it comes next.
  fn eat(&mut self, byte: u8) -> bool {
    self.skip_whitespace();
    let found = self.peek() == Some(byte);
    if found {
      self.at += 1;
    }
    found
  }

  fn expect(&mut self, byte: u8) -> Result<(), Malformed> {
    if self.eat(byte) {
      Ok(())
    } else {
      Err(self.malformed())
    }
  }

  /// A string literal starting here; returns its text between the quotes.
  fn string(&mut self) -> Result<&'a str, Malformed> {
    if self.peek() != Some(b'"') {
      return Err(self.malformed());
    }
    self.at += 1;
    let start = self.at;
    loop {
      match self.peek() {
        Some(b'"') => {
          self.at += 1;
          return Ok(&self.text[start..self.at - 1]);
        }
        Some(b'\\') => {
          self.at += 1;
          match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
            Some(b'u') => {
              let hex = self.text.as_bytes().get(self.at + 1..self.at + 5);
              if !hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return Err(self.malformed());
              }
              self.at += 5;
            }
            _ => return Err(self.malformed()),
          }
        }
        Some(0x00..=0x1f) | None => return Err(self.malformed()),
        Some(_) => self.at += 1,
      }
    }
  }

  /// One JSON value starting here, nested containers included (without recursion, so depth
  /// cannot exhaust the stack).
  fn value(&mut self) -> Result<(), Malformed> {
    let mut closers: Vec<u8> = Vec::new();
    loop {
      self.skip_whitespace();
      match self.peek() {
        Some(b'{') => {
          self.at += 1;
          if !self.eat(b'}') {
            closers.push(b'}');
            self.skip_whitespace();
            self.string()?;
            self.expect(b':')?;
            continue;
          }
        }
        Some(b'[') => {
          self.at += 1;
          if !self.eat(b']') {
            closers.push(b']');
            continue;
          }
        }
        Some(b'"') => {
          self.string()?;
        }
        _ => self.scalar()?,
      }
      // a value has ended: close containers until one continues with another element
      loop {
        let Some(&closer) = closers.last() else {
          return Ok(());
        };
        if self.eat(b',') {
          if closer == b'}' {
            self.skip_whitespace();
            self.string()?;
            self.expect(b':')?;
          }
          break;
        }
        self.expect(closer)?;
        closers.pop();
      }
    }
  }

  /// `true`, `false`, `null` or a number.
  fn scalar(&mut self) -> Result<(), Malformed> {
    let rest = &self.text.as_bytes()[self.at..];
    for literal in [&b"true"[..], b"false", b"null"] {
      if rest.starts_with(literal) {
        self.at += literal.len();
        return Ok(());
      }
    }
    let length = number_length(rest).ok_or_else(|| self.malformed())?;
    self.at += length;
    Ok(())
  }
}

/// Length of the JSON number at the start of `bytes`: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number_length(bytes: &[u8]) -> Option<usize> {
  let digits_from = |at: usize| {
    bytes[at.min(bytes.len())..]
      .iter()
      .take_while(|b| b.is_ascii_digit())
      .count()
  };
  let mut at = usize::from(bytes.first() == Some(&b'-'));
  match bytes.get(at) {
    Some(b'0') => at += 1,
    Some(b'1'..=b'9') => at += digits_from(at),
    _ => return None,
  }
  if bytes.get(at) == Some(&b'.') {
    let fraction = digits_from(at + 1);
    if fraction == 0 {
      return None;
    }
    at += 1 + fraction;
  }
  if matches!(bytes.get(at), Some(b'e' | b'E')) {
    at += 1;
    if matches!(bytes.get(at), Some(b'+' | b'-')) {
      at += 1;
    }
    let exponent = digits_from(at);
    if exponent == 0 {
      return None;
    }
    at += exponent;
  }
  Some(at)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn pairs(json: &str) -> Vec<(&str, &str)> {
    members(json)
      .unwrap()
      .into_iter()
      .map(|m| (m.raw_key, m.value))
      .collect()
  }

  #[test]
  fn reads_top_level_members_and_keeps_values_as_text() {
    assert_eq!(
      pairs(r#"{"a":1,"b":{"c":[1,{"d":"}"}]},"e":"x\"y","f":null,"g":-0.5e+3,"h":[]}"#),
      vec![
        ("a", "1"),
        ("b", r#"{"c":[1,{"d":"}"}]}"#),
        ("e", r#""x\"y""#),
        ("f", "null"),
        ("g", "-0.5e+3"),
        ("h", "[]"),
      ]
    );
  }

  #[test]
  fn tolerates_whitespace_and_empty_objects() {
    assert_eq!(pairs("{}"), vec![]);
    assert_eq!(pairs(" { } "), vec![]);
    assert_eq!(
      pairs("{ \"a\" : [ 1 , 2 ] ,\n\"b\":{ } }"),
      vec![("a", "[ 1 , 2 ]"), ("b", "{ }")]
    );
  }

  #[test]
  fn rejects_malformed_text() {
    for bad in [
      "",
      "[]",
      "{",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\":1,}",
      "{\"a\":1 \"b\":2}",
      "{\"a\":[1}",
      "{\"a\":{\"b\":1]}",
      "{\"a\":01}",
      "{\"a\":1.}",
      "{\"a\":tru}",
      "{\"a\":\"\\x\"}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\n\"}",
      "{a:1}",
      "{} {}",
    ] {
      assert!(members(bad).is_err(), "accepted {bad:?}");
    }
  }

  #[test]
  fn deep_nesting_does_not_recurse() {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(members(&deep).unwrap().len(), 1);
  }

  #[test]
  fn keys_compare_after_escapes() {
    assert!(same_key("a", "a"));
    assert!(!same_key("a", "b"));
    assert!(same_key(r"\u0061", "a"));
    assert!(same_key(r#"q\"uote"#, r#"q\u0022uote"#));
    assert!(same_key("é", r"\u00e9"));
    assert!(same_key("😀", r"\ud83d\ude00"));
    assert!(!same_key(r"\ud800", r"\ud801"));
    assert!(key_is(r"\ud800", &[0xd800]));
    assert!(key_is("名前", &"名前".encode_utf16().collect::<Vec<_>>()));
    assert!(key_is(
      r"tab\there",
      &"tab\there".encode_utf16().collect::<Vec<_>>()
    ));
    assert!(!key_is("ab", &[0x61]));
  }
}
