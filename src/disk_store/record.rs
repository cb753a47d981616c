//! How one session is laid out in the store's file, and the key of its entry in the expiry index.
//!
//! A session's value is `[expiry: u64 LE][cookie length: u32 LE][cookie JSON][data JSON]`: the
//! expiry first, so that reads can tell an expired session without looking further; the cookie
//! apart from the data, so that a touch replaces it and a merge rewrites the data without parsing
//! the other. A session stored without a cookie has the length `NO_COOKIE`. The expiry is epoch
//! milliseconds, or `NEVER` for a session that does not expire.
//!
//! The expiry index is keyed by `[expiry: u64 BE][session ID]`, so that its entries sort by expiry:
//! the sweep reads it from the start up to now, and the size bound evicts from its start. Sessions
//! that never expire have no entry (files written by earlier versions may still hold some).

pub const NEVER: u64 = u64::MAX;
const NO_COOKIE: u32 = u32::MAX;
const HEADER: usize = 12;

/// A session as stored, borrowed from the file's memory map or from a new encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
  pub expiry: u64,
  pub cookie: Option<&'a str>,
  pub data: &'a str,
}

/// A stored value that is not a session record (a damaged file, or one not written by this store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

impl<'a> Record<'a> {
  pub fn encode(&self) -> Vec<u8> {
    let cookie = self.cookie.unwrap_or("");
    let mut bytes = Vec::with_capacity(HEADER + cookie.len() + self.data.len());
    bytes.extend_from_slice(&self.expiry.to_le_bytes());
    let length = match self.cookie {
      Some(cookie) => cookie.len() as u32,
      None => NO_COOKIE,
    };
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(cookie.as_bytes());
    bytes.extend_from_slice(self.data.as_bytes());
    bytes
  }

  pub fn decode(bytes: &'a [u8]) -> Result<Self, Damaged> {
    let expiry = expiry_of(bytes)?;
    let length = u32::from_le_bytes(bytes[8..HEADER].try_into().map_err(|_| Damaged)?);
    let rest = &bytes[HEADER..];
    let (cookie, data) = if length == NO_COOKIE {
      (None, rest)
    } else {
      let length = length as usize;
      if length > rest.len() {
        return Err(Damaged);
      }
      let (cookie, data) = rest.split_at(length);
      (
        Some(std::str::from_utf8(cookie).map_err(|_| Damaged)?),
        data,
      )
    };
    let data = std::str::from_utf8(data).map_err(|_| Damaged)?;
    if !data.starts_with('{') || !data.ends_with('}') {
      return Err(Damaged);
    }
    Ok(Record {
      expiry,
      cookie,
      data,
    })
  }

  /// Whether the session is expired at `now` (epoch ms).
  pub fn expired(&self, now: i64) -> bool {
    expired(self.expiry, now)
  }

  /// The whole session's JSON, as the store API hands it out: the cookie as the first member, then
  /// the data's members.
  pub fn session_json(&self) -> String {
    let Some(cookie) = self.cookie else {
      return self.data.to_owned();
    };
    let members = self.data[1..self.data.len() - 1].trim();
    let mut json = String::with_capacity(12 + cookie.len() + self.data.len());
    json.push_str("{\"cookie\":");
    json.push_str(cookie);
    if !members.is_empty() {
      json.push(',');
      json.push_str(members);
    }
    json.push('}');
    json
  }
}

/// The expiry of an encoded record, read without decoding the rest.
pub fn expiry_of(bytes: &[u8]) -> Result<u64, Damaged> {
  if bytes.len() < HEADER {
    return Err(Damaged);
  }
  Ok(u64::from_le_bytes(
    bytes[..8].try_into().map_err(|_| Damaged)?,
  ))
}

pub fn expired(expiry: u64, now: i64) -> bool {
  expiry != NEVER && expiry <= now.max(0) as u64
}

/// The expiry index's key for session `id` expiring at `expiry`.
pub fn index_key(expiry: u64, id: &[u8]) -> Vec<u8> {
  let mut key = Vec::with_capacity(8 + id.len());
  key.extend_from_slice(&expiry.to_be_bytes());
  key.extend_from_slice(id);
  key
}

/// The expiry and session ID of an expiry index key.
pub fn split_index_key(key: &[u8]) -> Result<(u64, &[u8]), Damaged> {
  if key.len() < 8 {
    return Err(Damaged);
  }
  let expiry = u64::from_be_bytes(key[..8].try_into().map_err(|_| Damaged)?);
  Ok((expiry, &key[8..]))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn round_trips_with_and_without_a_cookie() {
    for cookie in [Some(r#"{"path":"/"}"#), Some(""), None] {
      let record = Record {
        expiry: 1234,
        cookie,
        data: r#"{"n":1}"#,
      };
      let bytes = record.encode();
      assert_eq!(Record::decode(&bytes), Ok(record));
      assert_eq!(expiry_of(&bytes), Ok(1234));
    }
  }

  #[test]
  fn rebuilds_the_session_json_with_the_cookie_first() {
    let record = |data| Record {
      expiry: NEVER,
      cookie: Some(r#"{"path":"/"}"#),
      data,
    };
    assert_eq!(
      record(r#"{"n":1,"m":[2]}"#).session_json(),
      r#"{"cookie":{"path":"/"},"n":1,"m":[2]}"#
    );
    assert_eq!(record("{}").session_json(), r#"{"cookie":{"path":"/"}}"#);
    let bare = Record {
      expiry: NEVER,
      cookie: None,
      data: r#"{"n":1}"#,
    };
    assert_eq!(bare.session_json(), r#"{"n":1}"#);
  }

  #[test]
  fn refuses_what_is_not_a_record() {
    assert_eq!(Record::decode(b"short"), Err(Damaged));
    let mut bytes = Record {
      expiry: 1,
      cookie: Some("{}"),
      data: "{}",
    }
    .encode();
    bytes[8] = 200; // a cookie longer than the value
    assert_eq!(Record::decode(&bytes), Err(Damaged));
    let mut not_json = Record {
      expiry: 1,
      cookie: None,
      data: "{}",
    }
    .encode();
    not_json.push(b'x');
    assert_eq!(Record::decode(&not_json), Err(Damaged));
  }

  #[test]
  fn index_keys_sort_by_expiry_then_id() {
    let soon = index_key(5, b"zzz");
    let later = index_key(300, b"aaa");
    assert!(soon < later);
    assert!(later < index_key(NEVER, b"aaa"));
    assert_eq!(split_index_key(&later), Ok((300, &b"aaa"[..])));
  }

  #[test]
  fn never_expires_and_expires_at_its_instant() {
    assert!(!expired(NEVER, i64::MAX));
    assert!(expired(100, 100));
    assert!(!expired(101, 100));
  }
}
