//! Reading a `Cookie` request header with the results of the npm `cookie` package (0.7) `parse()`.
//!
//! The header is a list of `name=value` pairs separated by `;`. Segments without `=` are skipped,
//! names and values are trimmed of spaces and tabs only, the first occurrence of a name wins, a
//! value wrapped in double quotes loses them, and a value containing `%` is percent-decoded the way
//! `decodeURIComponent` does, keeping the raw text when that would throw.

use std::borrow::Cow;

/// The value of the first cookie called `name`, decoded; `None` when the header has no such cookie.
pub fn find<'a>(header: &'a str, name: &str) -> Option<Cow<'a, str>> {
  let mut found = None;
  for_each_pair(header, |key, raw_value| {
    if key == name {
      found = Some(decode(raw_value));
      false
    } else {
      true
    }
  });
  found
}

/// Every cookie in the header, in order, the first occurrence of each name only.
pub fn parse(header: &str) -> Vec<(String, String)> {
  let mut pairs: Vec<(String, String)> = Vec::new();
  for_each_pair(header, |key, raw_value| {
    if !pairs.iter().any(|(seen, _)| seen == key) {
      pairs.push((key.to_owned(), decode(raw_value).into_owned()));
    }
    true
  });
  pairs
}

/// Calls `visit(name, raw value)` for each pair until it returns false.
fn for_each_pair<'a>(header: &'a str, mut visit: impl FnMut(&'a str, &'a str) -> bool) {
  let bytes = header.as_bytes();
  let len = bytes.len();
  if len < 2 {
    return;
  }

  let mut index = 0;
  while index < len {
    let Some(eq) = position(bytes, b'=', index) else {
      break;
    };
    let end = match position(bytes, b';', index) {
      None => len,
      Some(semicolon) if eq > semicolon => {
        // this segment has no `=`: resume after the last `;` before the `=`
        index = bytes[..eq]
          .iter()
          .rposition(|&b| b == b';')
          .map_or(0, |i| i + 1);
        continue;
      }
      Some(semicolon) => semicolon,
    };

    let key_start = skip_blanks_forward(bytes, index, eq);
    let key_end = skip_blanks_backward(bytes, eq, key_start);
    let mut value_start = skip_blanks_forward(bytes, eq + 1, end);
    let mut value_end = skip_blanks_backward(bytes, end, value_start);

    if value_end > value_start && bytes[value_start] == b'"' && bytes[value_end - 1] == b'"' {
      value_start += 1;
      value_end -= 1;
    }
    // a lone `"` leaves start past end: an empty value, as String#slice gives
    let value = if value_start < value_end {
      &header[value_start..value_end]
    } else {
      ""
    };

    if !visit(&header[key_start..key_end], value) {
      return;
    }
    index = end + 1;
  }
}

fn position(bytes: &[u8], needle: u8, from: usize) -> Option<usize> {
  bytes[from..]
    .iter()
    .position(|&b| b == needle)
    .map(|i| i + from)
}

fn is_blank(byte: u8) -> bool {
  byte == b' ' || byte == b'\t'
}

fn skip_blanks_forward(bytes: &[u8], mut index: usize, max: usize) -> usize {
  while index < max && is_blank(bytes[index]) {
    index += 1;
  }
  index.min(max)
}

fn skip_blanks_backward(bytes: &[u8], mut index: usize, min: usize) -> usize {
  while index > min && is_blank(bytes[index - 1]) {
    index -= 1;
  }
  index
}

/// The value percent-decoded like `decodeURIComponent`, or unchanged when it has no `%` or the
/// escapes are malformed or do not spell valid UTF-8.
pub fn decode(raw: &str) -> Cow<'_, str> {
  if !raw.contains('%') {
    return Cow::Borrowed(raw);
  }
  match percent_decode(raw.as_bytes()) {
    Some(decoded) => Cow::Owned(decoded),
    None => Cow::Borrowed(raw),
  }
}

fn percent_decode(bytes: &[u8]) -> Option<String> {
  let mut out = Vec::with_capacity(bytes.len());
  let mut i = 0;
  while i < bytes.len() {
    if bytes[i] == b'%' {
      let high = hex_value(*bytes.get(i + 1)?)?;
      let low = hex_value(*bytes.get(i + 2)?)?;
      out.push(high << 4 | low);
      i += 3;
    } else {
      out.push(bytes[i]);
      i += 1;
    }
  }
  // literal characters are whole UTF-8 sequences, so the result is valid exactly when every
  // escaped sequence is, which is decodeURIComponent's rule
  String::from_utf8(out).ok()
}

fn hex_value(byte: u8) -> Option<u8> {
  match byte {
    b'0'..=b'9' => Some(byte - b'0'),
    b'a'..=b'f' => Some(byte - b'a' + 10),
    b'A'..=b'F' => Some(byte - b'A' + 10),
    _ => None,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn pairs(header: &str) -> Vec<(String, String)> {
    parse(header)
  }

  fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
  }

  #[test]
  fn reads_simple_pairs_and_trims_blanks() {
    assert_eq!(pairs("foo=bar"), vec![pair("foo", "bar")]);
    assert_eq!(
      pairs(" foo = bar ;\tbaz=\tqux\t"),
      vec![pair("foo", "bar"), pair("baz", "qux")]
    );
  }

  #[test]
  fn short_headers_hold_nothing() {
    assert!(pairs("").is_empty());
    assert!(pairs("=").is_empty());
    assert_eq!(pairs("a="), vec![pair("a", "")]);
  }

  #[test]
  fn segments_without_equals_are_skipped() {
    assert_eq!(pairs("foo; bar=baz; qux"), vec![pair("bar", "baz")]);
    assert_eq!(pairs("a;b;c=d"), vec![pair("c", "d")]);
    assert!(pairs(";;;").is_empty());
  }

  #[test]
  fn first_occurrence_wins() {
    assert_eq!(pairs("a=1; a=2"), vec![pair("a", "1")]);
    assert_eq!(
      find("sid=first; sid=second", "sid").as_deref(),
      Some("first")
    );
  }

  #[test]
  fn quotes_are_stripped() {
    assert_eq!(pairs("a=\"b c\""), vec![pair("a", "b c")]);
    assert_eq!(pairs("a=\""), vec![pair("a", "")]);
    assert_eq!(pairs("a=\"b"), vec![pair("a", "\"b")]);
  }

  #[test]
  fn values_are_decoded_like_decode_uri_component() {
    assert_eq!(find("a=s%3Aabc.d%2Be", "a").as_deref(), Some("s:abc.d+e"));
    assert_eq!(find("a=%E2%82%AC", "a").as_deref(), Some("\u{20ac}"));
    // malformed escapes and bad UTF-8 keep the raw text
    assert_eq!(find("a=%zz", "a").as_deref(), Some("%zz"));
    assert_eq!(find("a=%E0%A4%A", "a").as_deref(), Some("%E0%A4%A"));
    assert_eq!(find("a=%FF", "a").as_deref(), Some("%FF"));
    assert_eq!(find("a=%ED%A0%80", "a").as_deref(), Some("%ED%A0%80"));
    assert_eq!(find("a=100%", "a").as_deref(), Some("100%"));
  }

  #[test]
  fn names_are_not_decoded_and_keep_inner_blanks() {
    assert_eq!(pairs("a%20b=c"), vec![pair("a%20b", "c")]);
    assert_eq!(pairs("a b=c"), vec![pair("a b", "c")]);
  }

  #[test]
  fn values_may_contain_equals() {
    assert_eq!(pairs("a=b=c; d=e"), vec![pair("a", "b=c"), pair("d", "e")]);
  }

  #[test]
  fn unicode_is_kept() {
    assert_eq!(pairs("ключ=значение"), vec![pair("ключ", "значение")]);
  }

  #[test]
  fn find_misses_absent_names() {
    assert_eq!(find("a=1; b=2", "c"), None);
    assert_eq!(find("", "c"), None);
  }
}
