//! Session IDs: 24 bytes from the operating system's CSPRNG, written as 32 base64url characters
//! (the shape uid-safe gives express-session).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::cell::RefCell;

const ID_BYTES: usize = 24;
/// Characters in an ID: 24 bytes in unpadded base64.
pub const ID_LENGTH: usize = 32;
/// Random bytes fetched per refill: one getrandom call serves this many IDs.
const BUFFER_IDS: usize = 128;

struct RandomBuffer {
  bytes: [u8; ID_BYTES * BUFFER_IDS],
  used: usize,
}

thread_local! {
    static RANDOM: RefCell<RandomBuffer> = const {
        RefCell::new(RandomBuffer { bytes: [0; ID_BYTES * BUFFER_IDS], used: ID_BYTES * BUFFER_IDS })
    };
}

/// A new session ID, or an error when the operating system cannot supply randomness.
pub fn generate() -> Result<String, getrandom::Error> {
  RANDOM.with(|cell| {
    let mut buffer = cell.borrow_mut();
    if buffer.used == buffer.bytes.len() {
      getrandom::fill(&mut buffer.bytes)?;
      buffer.used = 0;
    }
    let start = buffer.used;
    let id = URL_SAFE_NO_PAD.encode(&buffer.bytes[start..start + ID_BYTES]);
    // each byte is handed out once
    buffer.bytes[start..start + ID_BYTES].fill(0);
    buffer.used += ID_BYTES;
    Ok(id)
  })
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::collections::HashSet;

  #[test]
  fn ids_are_32_base64url_characters() {
    let id = generate().unwrap();
    assert_eq!(id.len(), ID_LENGTH);
    assert!(id
      .bytes()
      .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
  }

  #[test]
  fn ids_do_not_repeat_across_refills() {
    let ids: HashSet<String> = (0..BUFFER_IDS * 3).map(|_| generate().unwrap()).collect();
    assert_eq!(ids.len(), BUFFER_IDS * 3);
  }
}
