//! The change fingerprint: a hash of a session's data (its JSON without the cookie) taken when the
//! session is loaded and again when the response ends; a different value means the session changed.

use sha2::{Digest, Sha256};

/// The first 53 bits of SHA-256 over the JSON, so JavaScript receives it as an exact Number.
/// Two different JSON texts share a fingerprint with odds of about 1 in 2^53; the only effect of
/// such a collision would be one skipped save of a change.
pub fn fingerprint(json: &str) -> u64 {
  let digest = Sha256::digest(json.as_bytes());
  let mut first = [0u8; 8];
  first.copy_from_slice(&digest[..8]);
  u64::from_be_bytes(first) >> 11
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn equal_json_gives_equal_fingerprints() {
    assert_eq!(fingerprint("{\"a\":1}"), fingerprint("{\"a\":1}"));
  }

  #[test]
  fn any_change_gives_another_fingerprint() {
    assert_ne!(fingerprint("{\"a\":1}"), fingerprint("{\"a\":2}"));
    assert_ne!(fingerprint("{}"), fingerprint(""));
  }

  #[test]
  fn fits_a_javascript_number_exactly() {
    for json in ["", "{}", "{\"user\":\"x\"}", "\u{1f600}"] {
      assert!(fingerprint(json) < 1 << 53);
    }
  }
}
