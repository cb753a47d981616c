//! Signed cookie values in cookie-signature's format: `value.signature`, the signature being the
//! HMAC-SHA256 of the value under the secret, in standard base64 without `=` padding.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Characters of a signature: 32 bytes of HMAC-SHA256 in unpadded base64.
pub const SIGNATURE_LENGTH: usize = 43;

/// The signature alone, for `value` under `secret` (`SIGNATURE_LENGTH` characters).
pub fn signature(value: &str, secret: &[u8]) -> String {
  // HMAC accepts keys of any length, so this cannot fail
  let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
  mac.update(value.as_bytes());
  STANDARD_NO_PAD.encode(mac.finalize().into_bytes())
}

/// `value` followed by `.` and its signature under `secret`.
pub fn sign(value: &str, secret: &[u8]) -> String {
  let mut signed = String::with_capacity(value.len() + 1 + SIGNATURE_LENGTH);
  signed.push_str(value);
  signed.push('.');
  signed.push_str(&signature(value, secret));
  signed
}

/// The value of a signed string when its signature matches any of `secrets`, else `None`.
/// Every secret is checked, and each comparison takes the same time wherever the strings differ,
/// so the timing says nothing about which secret or how much of a forged signature matched.
pub fn unsign(signed: &str, secrets: &[Vec<u8>]) -> Option<String> {
  let dot = signed.rfind('.')?;
  let (value, given) = (&signed[..dot], &signed[dot + 1..]);

  let mut matched = false;
  for secret in secrets {
    matched |= constant_time_eq(signature(value, secret).as_bytes(), given.as_bytes());
  }
  matched.then(|| value.to_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
  if a.len() != b.len() {
    return false;
  }
  let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
  std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
  use super::*;

  fn secrets(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
  }

  // expected values computed with the npm cookie-signature package
  #[test]
  fn signs_like_cookie_signature() {
    assert_eq!(
      sign("apple", b"keyboard cat"),
      "apple.D8Y+pkTAmeR0PobOhY4G97PRW+j7bUnP/5m6/On1MCU"
    );
    assert_eq!(
      sign("%", b"keyboard cat"),
      "%.kzQ6x52kKVdF35Qh62AWk4ZekS28K5XYCXKa/OTZ01g"
    );
  }

  #[test]
  fn a_signature_alone_is_what_follows_the_dot_and_has_a_fixed_length() {
    for value in ["apple", "", "AbCdEfGhIjKlMnOpQrStUvWxYz012345"] {
      let alone = signature(value, b"keyboard cat");
      assert_eq!(alone.len(), SIGNATURE_LENGTH);
      assert_eq!(sign(value, b"keyboard cat"), format!("{value}.{alone}"));
    }
  }

  #[test]
  fn unsigns_with_any_secret() {
    let signed = sign("abc", b"old");
    assert_eq!(
      unsign(&signed, &secrets(&["new", "old"])).as_deref(),
      Some("abc")
    );
    assert_eq!(unsign(&signed, &secrets(&["new"])), None);
  }

  #[test]
  fn rejects_tampering() {
    let signed = sign("abc", b"s");
    assert_eq!(
      unsign(&signed.replace("abc", "abd"), &secrets(&["s"])),
      None
    );
    assert_eq!(unsign(&signed[..signed.len() - 1], &secrets(&["s"])), None);
    assert_eq!(unsign("abc", &secrets(&["s"])), None);
    assert_eq!(unsign("abc.", &secrets(&["s"])), None);
    assert_eq!(unsign("", &secrets(&["s"])), None);
  }

  #[test]
  fn splits_at_the_last_dot() {
    let signed = sign("a.b.c", b"s");
    assert_eq!(unsign(&signed, &secrets(&["s"])).as_deref(), Some("a.b.c"));
  }

  #[test]
  fn binary_and_unicode_secrets_work() {
    let secret = vec![0u8, 255, 1, 2];
    let signed = sign("v", &secret);
    assert_eq!(unsign(&signed, &[secret]).as_deref(), Some("v"));
    let signed = sign("ключ", "秘密".as_bytes());
    assert_eq!(
      unsign(&signed, &secrets(&["秘密"])).as_deref(),
      Some("ключ")
    );
  }
}
