//! Set-Cookie values, serialized like the npm `cookie` package (0.7) `serialize()`: the same
//! attribute order, validation and error messages (they reach users as `err.message`).

use crate::iso_time::civil_from_days;
use std::fmt;

/// The attributes of one cookie; `None` and `false` leave an attribute out.
#[derive(Debug, Default, Clone)]
pub struct CookieAttributes<'a> {
  /// Epoch milliseconds; a non-finite value is rejected as invalid.
  pub expires_ms: Option<f64>,
  pub domain: Option<&'a str>,
  pub path: Option<&'a str>,
  pub http_only: bool,
  pub secure: bool,
  pub partitioned: bool,
  /// `low`, `medium` or `high`, any case.
  pub priority: Option<&'a str>,
  /// `lax`, `strict` or `none`, any case.
  pub same_site: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetCookieError {
  InvalidName,
  InvalidDomain,
  InvalidPath,
  InvalidExpires,
  InvalidPriority,
  InvalidSameSite,
}

impl fmt::Display for SetCookieError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(match self {
      SetCookieError::InvalidName => "argument name is invalid",
      SetCookieError::InvalidDomain => "option domain is invalid",
      SetCookieError::InvalidPath => "option path is invalid",
      SetCookieError::InvalidExpires => "option expires is invalid",
      SetCookieError::InvalidPriority => "option priority is invalid",
      SetCookieError::InvalidSameSite => "option sameSite is invalid",
    })
  }
}

impl std::error::Error for SetCookieError {}

/// `name=<value, URI-component-encoded>` followed by the attributes.
pub fn serialize(
  name: &str,
  value: &str,
  attributes: &CookieAttributes<'_>,
) -> Result<String, SetCookieError> {
  if !is_valid_name(name) {
    return Err(SetCookieError::InvalidName);
  }

  let mut out = String::with_capacity(name.len() + value.len() + 96);
  out.push_str(name);
  out.push('=');
  encode_uri_component(value, &mut out);

  if let Some(domain) = non_empty(attributes.domain) {
    if !is_valid_domain(domain) {
      return Err(SetCookieError::InvalidDomain);
    }
    out.push_str("; Domain=");
    out.push_str(domain);
  }

  if let Some(path) = non_empty(attributes.path) {
    if !path
      .bytes()
      .all(|b| (0x20..=0x7e).contains(&b) && b != b';' && b != b'<')
    {
      return Err(SetCookieError::InvalidPath);
    }
    out.push_str("; Path=");
    out.push_str(path);
  }

  if let Some(expires) = attributes.expires_ms {
    let date = utc_string(expires).ok_or(SetCookieError::InvalidExpires)?;
    out.push_str("; Expires=");
    out.push_str(&date);
  }

  if attributes.http_only {
    out.push_str("; HttpOnly");
  }
  if attributes.secure {
    out.push_str("; Secure");
  }
  if attributes.partitioned {
    out.push_str("; Partitioned");
  }

  if let Some(priority) = non_empty(attributes.priority) {
    out.push_str(match priority.to_ascii_lowercase().as_str() {
      "low" => "; Priority=Low",
      "medium" => "; Priority=Medium",
      "high" => "; Priority=High",
      _ => return Err(SetCookieError::InvalidPriority),
    });
  }

  if let Some(same_site) = non_empty(attributes.same_site) {
    out.push_str(match same_site.to_ascii_lowercase().as_str() {
      "lax" => "; SameSite=Lax",
      "strict" => "; SameSite=Strict",
      "none" => "; SameSite=None",
      _ => return Err(SetCookieError::InvalidSameSite),
    });
  }

  Ok(out)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
  value.filter(|v| !v.is_empty())
}

/// An RFC 7230 token, the characters the `cookie` package allows in a name.
fn is_valid_name(name: &str) -> bool {
  !name.is_empty()
    && name
      .bytes()
      .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Dot-separated labels of 1 to 63 letters, digits and inner hyphens, with an optional leading dot.
fn is_valid_domain(domain: &str) -> bool {
  let labels = domain.strip_prefix('.').unwrap_or(domain);
  labels.split('.').all(|label| {
    let bytes = label.as_bytes();
    !bytes.is_empty()
      && bytes.len() <= 63
      && bytes[0].is_ascii_alphanumeric()
      && bytes[bytes.len() - 1].is_ascii_alphanumeric()
      && bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
  })
}

/// JavaScript's encodeURIComponent, appended to `out`.
pub fn encode_uri_component(value: &str, out: &mut String) {
  const HEX: &[u8; 16] = b"0123456789ABCDEF";
  for byte in value.bytes() {
    if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
      out.push(byte as char);
    } else {
      out.push('%');
      out.push(HEX[(byte >> 4) as usize] as char);
      out.push(HEX[(byte & 15) as usize] as char);
    }
  }
}

/// The largest distance from the epoch a JavaScript Date can hold, in milliseconds.
const MAX_DATE_MS: f64 = 8.64e15;

/// An instant formatted as `Date.prototype.toUTCString` does, or `None` for an invalid Date.
pub fn utc_string(epoch_ms: f64) -> Option<String> {
  if !epoch_ms.is_finite() || epoch_ms.abs() > MAX_DATE_MS {
    return None;
  }
  const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ];

  let ms = epoch_ms.trunc() as i64;
  let days = ms.div_euclid(86_400_000);
  let seconds_of_day = ms.rem_euclid(86_400_000) / 1000;
  let (year, month, day) = civil_from_days(days);
  let weekday = (days + 4).rem_euclid(7) as usize;
  let year = if year < 0 {
    format!("-{:04}", -year)
  } else {
    format!("{year:04}")
  };

  Some(format!(
    "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
    DAYS[weekday],
    day,
    MONTHS[(month - 1) as usize],
    year,
    seconds_of_day / 3600,
    seconds_of_day / 60 % 60,
    seconds_of_day % 60
  ))
}

#[cfg(test)]
mod tests {
  use super::*;

  fn plain() -> CookieAttributes<'static> {
    CookieAttributes::default()
  }

  #[test]
  fn encodes_the_value() {
    assert_eq!(
      serialize("connect.sid", "s:a+b/c=.d", &plain()).unwrap(),
      "connect.sid=s%3Aa%2Bb%2Fc%3D.d"
    );
    assert_eq!(
      serialize("a", "é €", &plain()).unwrap(),
      "a=%C3%A9%20%E2%82%AC"
    );
    assert_eq!(
      serialize("a", "-_.!~*'()", &plain()).unwrap(),
      "a=-_.!~*'()"
    );
  }

  #[test]
  fn writes_attributes_in_the_cookie_package_order() {
    let attributes = CookieAttributes {
      expires_ms: Some(0.0),
      domain: Some(".example.com"),
      path: Some("/admin"),
      http_only: true,
      secure: true,
      partitioned: true,
      priority: Some("HIGH"),
      same_site: Some("Lax"),
    };
    assert_eq!(
            serialize("n", "v", &attributes).unwrap(),
            "n=v; Domain=.example.com; Path=/admin; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Lax"
        );
  }

  #[test]
  fn rejects_invalid_input_with_the_cookie_package_messages() {
    let cases: Vec<(&str, CookieAttributes<'static>, &str)> = vec![
      ("bad name", plain(), "argument name is invalid"),
      ("", plain(), "argument name is invalid"),
      (
        "n",
        CookieAttributes {
          domain: Some("exa mple.com"),
          ..plain()
        },
        "option domain is invalid",
      ),
      (
        "n",
        CookieAttributes {
          domain: Some("-a.com"),
          ..plain()
        },
        "option domain is invalid",
      ),
      (
        "n",
        CookieAttributes {
          domain: Some("a..com"),
          ..plain()
        },
        "option domain is invalid",
      ),
      (
        "n",
        CookieAttributes {
          path: Some("/a;b"),
          ..plain()
        },
        "option path is invalid",
      ),
      (
        "n",
        CookieAttributes {
          path: Some("/é"),
          ..plain()
        },
        "option path is invalid",
      ),
      (
        "n",
        CookieAttributes {
          expires_ms: Some(f64::NAN),
          ..plain()
        },
        "option expires is invalid",
      ),
      (
        "n",
        CookieAttributes {
          expires_ms: Some(9e15),
          ..plain()
        },
        "option expires is invalid",
      ),
      (
        "n",
        CookieAttributes {
          priority: Some("urgent"),
          ..plain()
        },
        "option priority is invalid",
      ),
      (
        "n",
        CookieAttributes {
          same_site: Some("yes"),
          ..plain()
        },
        "option sameSite is invalid",
      ),
    ];
    for (name, attributes, message) in cases {
      let err = serialize(name, "v", &attributes).unwrap_err();
      assert_eq!(err.to_string(), message, "{name} {attributes:?}");
    }
  }

  // the `cookie` package validates in this order, so with several invalid it names the first
  #[test]
  fn reports_the_first_invalid_input_in_the_cookie_package_order() {
    let all_invalid = CookieAttributes {
      expires_ms: Some(f64::NAN),
      domain: Some("a b"),
      path: Some("/;"),
      priority: Some("urgent"),
      same_site: Some("yes"),
      ..plain()
    };
    let expected = [
      "argument name is invalid",
      "option domain is invalid",
      "option path is invalid",
      "option expires is invalid",
      "option priority is invalid",
      "option sameSite is invalid",
    ];
    let mut attributes = all_invalid;
    for (step, message) in expected.iter().enumerate() {
      let name = if step == 0 { "bad name" } else { "n" };
      assert_eq!(
        serialize(name, "v", &attributes).unwrap_err().to_string(),
        *message
      );
      // make the reported input valid; the next one in the order is reported then
      match step {
        1 => attributes.domain = None,
        2 => attributes.path = None,
        3 => attributes.expires_ms = None,
        4 => attributes.priority = None,
        _ => {}
      }
    }
    attributes.same_site = None;
    assert_eq!(serialize("n", "v", &attributes).unwrap(), "n=v");
  }

  #[test]
  fn empty_attributes_are_left_out() {
    let attributes = CookieAttributes {
      domain: Some(""),
      path: Some(""),
      priority: Some(""),
      same_site: Some(""),
      ..plain()
    };
    assert_eq!(serialize("n", "v", &attributes).unwrap(), "n=v");
  }

  // expected strings from node's Date#toUTCString
  #[test]
  fn formats_dates_like_to_utc_string() {
    assert_eq!(utc_string(0.0).unwrap(), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(
      utc_string(1_795_000_000_123.0).unwrap(),
      "Wed, 18 Nov 2026 11:06:40 GMT"
    );
    assert_eq!(
      utc_string(951_782_400_000.0).unwrap(),
      "Tue, 29 Feb 2000 00:00:00 GMT"
    );
    assert_eq!(utc_string(-1.0).unwrap(), "Wed, 31 Dec 1969 23:59:59 GMT");
    assert_eq!(
      utc_string(-62_198_755_200_000.0).unwrap(),
      "Fri, 01 Jan -0001 00:00:00 GMT"
    );
    assert_eq!(
      utc_string(253_402_300_800_000.0).unwrap(),
      "Sat, 01 Jan 10000 00:00:00 GMT"
    );
    assert_eq!(utc_string(f64::INFINITY), None);
  }
}
