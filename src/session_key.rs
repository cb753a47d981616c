//! A session ID as the store keeps it: the 32 base64url characters of a generated ID (this
//! package's, and uid-safe's that express-session uses) as the 24 bytes they encode, which saves
//! 8 bytes a session; any other ID as its text. Every 32-character base64url string decodes to
//! exactly one 24-byte value and back, so an ID has one key and finding it by key is exact.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::borrow::Cow;

pub const PACKED_LENGTH: usize = 24;
const ENCODED_LENGTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKey<'a> {
  Packed([u8; PACKED_LENGTH]),
  Text(&'a str),
}

impl<'a> SessionKey<'a> {
  pub fn of(id: &'a str) -> Self {
    let mut packed = [0u8; PACKED_LENGTH];
    if id.len() == ENCODED_LENGTH
      && URL_SAFE_NO_PAD.decode_slice(id, &mut packed) == Ok(PACKED_LENGTH)
    {
      return SessionKey::Packed(packed);
    }
    SessionKey::Text(id)
  }

  /// The key kept in a record: packed bytes, or the ID's text as bytes.
  pub fn from_stored(packed: bool, bytes: &'a [u8]) -> Self {
    match (packed, <[u8; PACKED_LENGTH]>::try_from(bytes)) {
      (true, Ok(packed)) => SessionKey::Packed(packed),
      // SAFETY: unpacked keys are stored from a `str`
      _ => SessionKey::Text(unsafe { std::str::from_utf8_unchecked(bytes) }),
    }
  }

  pub fn is_packed(&self) -> bool {
    matches!(self, SessionKey::Packed(_))
  }

  pub fn bytes(&self) -> &[u8] {
    match self {
      SessionKey::Packed(packed) => packed,
      SessionKey::Text(text) => text.as_bytes(),
    }
  }

  pub fn id(&self) -> Cow<'a, str> {
    match self {
      SessionKey::Packed(packed) => Cow::Owned(URL_SAFE_NO_PAD.encode(packed)),
      SessionKey::Text(text) => Cow::Borrowed(text),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn generated_ids_pack_into_24_bytes_and_back() {
    for _ in 0..100 {
      let id = crate::session_id::generate().unwrap();
      let key = SessionKey::of(&id);
      assert!(key.is_packed(), "{id}");
      assert_eq!(key.bytes().len(), PACKED_LENGTH);
      assert_eq!(key.id(), id);
      assert_eq!(SessionKey::from_stored(true, key.bytes()), key);
    }
  }

  #[test]
  fn other_ids_stay_text() {
    for id in [
      "",
      "short",
      "abcdefghijklmnopqrstuvwxyz012345x",
      "abcdefghijklmnopqrstuvwxyz01234+",
      "abcdefghijklmnopqrstuvwxyz0123/=",
      "abcdefghijklmnopqrstuvwxyz0123==",
      "ключключключключ",
    ] {
      let key = SessionKey::of(id);
      assert_eq!(key, SessionKey::Text(id));
      assert_eq!(SessionKey::from_stored(false, key.bytes()), key);
      assert_eq!(key.id(), id);
    }
  }

  #[test]
  fn a_packed_key_never_equals_a_text_one() {
    let id = "abcdefghijklmnopqrstuvwxyz-_0123";
    assert!(SessionKey::of(id).is_packed());
    assert_ne!(SessionKey::of(id), SessionKey::Text(id));
  }
}
