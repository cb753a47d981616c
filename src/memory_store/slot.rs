//! One session as the MemoryStore holds it: a 32-byte slot pointing at a single heap record of its
//! key, its cookie JSON when that is kept as text, and its data JSON, with its expiry, its links in
//! the least-recently-used list and how it holds its cookie (shared fields by number, its own text,
//! or none).

use crate::cookie_form::CookieFields;
use crate::cookie_shapes::CookieShapes;
use crate::record::Record;
use crate::session_key::SessionKey;

use super::slab::NIL;

/// How a slot holds its cookie, packed into 32 bits: a shared set of fields by number, or the
/// length of the cookie's JSON text kept in the record, or no cookie at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CookieRef {
  Absent,
  Shape(u32),
  Text(u32),
}

pub(super) const TEXT_FLAG: u32 = 1 << 31;
pub(super) const ABSENT: u32 = u32::MAX;
/// Set in `Slot::key_len` when the key is a packed ID (see `session_key`).
pub(super) const PACKED_KEY: u32 = 1 << 31;
/// Set in `Slot::key_len` when the data JSON was assembled by a merge: unlike text JSON.stringify
/// wrote, it may not be what JSON.stringify gives back for JSON.parse of it (a new key such as "7"
/// is appended where an object would list it first).
pub(super) const MERGED_DATA: u32 = 1 << 30;
pub(super) const KEY_LENGTH: u32 = !(PACKED_KEY | MERGED_DATA);

impl CookieRef {
  pub(super) fn pack(self) -> u32 {
    match self {
      CookieRef::Absent => ABSENT,
      CookieRef::Shape(number) => number,
      CookieRef::Text(length) => TEXT_FLAG | length,
    }
  }

  pub(super) fn unpack(packed: u32) -> Self {
    match packed {
      ABSENT => CookieRef::Absent,
      text if text & TEXT_FLAG != 0 => CookieRef::Text(text & !TEXT_FLAG),
      number => CookieRef::Shape(number),
    }
  }

  pub(super) fn text_length(self) -> usize {
    match self {
      CookieRef::Text(length) => length as usize,
      _ => 0,
    }
  }
}

pub(super) struct Slot {
  /// Key, cookie JSON when kept as text, and data JSON, back to back; None while the slot is free.
  pub(super) record: Option<Record>,
  pub(super) expires_at: i64,
  /// Towards the most recently used end of the list.
  pub(super) newer: u32,
  /// Towards the least recently used end; in a free slot, the next free one.
  pub(super) older: u32,
  /// A packed [`CookieRef`].
  pub(super) cookie: u32,
  /// Bytes of the key, with PACKED_KEY set for a packed ID and MERGED_DATA for merged data.
  pub(super) key_len: u32,
}

impl Slot {
  pub(super) const FREE: Slot = Slot {
    record: None,
    expires_at: 0,
    newer: NIL,
    older: NIL,
    cookie: ABSENT,
    key_len: 0,
  };

  pub(super) fn bytes(&self) -> &[u8] {
    self.record.as_ref().map_or(&[][..], Record::bytes)
  }

  pub(super) fn key_end(&self) -> usize {
    (self.key_len & KEY_LENGTH) as usize
  }

  pub(super) fn data_as_stringified(&self) -> bool {
    self.key_len & MERGED_DATA == 0
  }

  pub(super) fn key(&self) -> SessionKey<'_> {
    SessionKey::from_stored(
      self.key_len & PACKED_KEY != 0,
      &self.bytes()[..self.key_end()],
    )
  }

  /// The cookie text and data JSON.
  pub(super) fn text(&self) -> &str {
    // SAFETY: `Encoded::new` makes records of a key then whole `str`s, so the bytes after the
    // key are UTF-8.
    unsafe { std::str::from_utf8_unchecked(&self.bytes()[self.key_end()..]) }
  }

  pub(super) fn cookie_ref(&self) -> CookieRef {
    CookieRef::unpack(self.cookie)
  }

  pub(super) fn cookie_text(&self) -> &str {
    &self.text()[..self.cookie_ref().text_length()]
  }

  pub(super) fn data(&self) -> &str {
    &self.text()[self.cookie_ref().text_length()..]
  }

  /// The whole session as JSON: the cookie first, then the data's keys.
  pub(super) fn json(&self, shapes: &CookieShapes) -> String {
    let data = self.data();
    let cookie = self.cookie_ref();
    if cookie == CookieRef::Absent {
      return data.to_owned();
    }
    let mut json = String::with_capacity(data.len() + 128);
    json.push_str("{\"cookie\":");
    match cookie {
      CookieRef::Absent => {}
      CookieRef::Shape(number) => shapes.get(number).write_json(self.expires_at, &mut json),
      CookieRef::Text(_) => json.push_str(self.cookie_text()),
    }
    match data.strip_prefix('{') {
      Some(rest) if rest != "}" && !rest.is_empty() => {
        json.push(',');
        json.push_str(rest);
      }
      _ => json.push('}'),
    }
    json
  }

  pub(super) fn footprint(&self) -> u64 {
    let record = self.record.as_ref().map_or(0, Record::heap_size);
    (record + std::mem::size_of::<Slot>() + std::mem::size_of::<u32>()) as u64
  }
}

/// A session ready to go into a slot: its record and how it holds its cookie.
pub(super) struct Encoded {
  pub(super) record: Record,
  pub(super) cookie: CookieRef,
  pub(super) key_len: u32,
}

impl Encoded {
  /// Reads the cookie's fields, if it has that form, without touching the store, so that a
  /// session too large for a record fails before anything changes. `merged`: the data was
  /// assembled by a merge rather than written by JSON.stringify.
  pub(super) fn new(
    id: &str,
    cookie: Option<&str>,
    data: &str,
    merged: bool,
    expires_at: i64,
    shapes: &mut CookieShapes,
  ) -> Self {
    let fields = cookie.and_then(|json| CookieFields::parse(json, expires_at));
    let text = if fields.is_none() {
      cookie.unwrap_or("")
    } else {
      ""
    };
    // JavaScript strings are far shorter than the 2 GiB this leaves a cookie's text
    let text_length = u32::try_from(text.len())
      .ok()
      .filter(|length| length & TEXT_FLAG == 0)
      .expect("cookie JSON under 2 GiB");
    let key = SessionKey::of(id);
    let record = Record::new(&[key.bytes(), text.as_bytes(), data.as_bytes()]);
    let cookie = match (cookie, fields) {
      (None, _) => CookieRef::Absent,
      (Some(_), Some(fields)) => CookieRef::Shape(shapes.acquire(&fields)),
      (Some(_), None) => CookieRef::Text(text_length),
    };
    Encoded {
      record,
      cookie,
      key_len: key_length(&key, merged),
    }
  }

  /// A session whose cookie is shape `shape`, already acquired for it.
  pub(super) fn with_shape(id: &str, shape: u32, data: &str) -> Self {
    let key = SessionKey::of(id);
    Encoded {
      record: Record::new(&[key.bytes(), data.as_bytes()]),
      cookie: CookieRef::Shape(shape),
      key_len: key_length(&key, false),
    }
  }
}

/// `Slot::key_len` for `key`, with its flags.
fn key_length(key: &SessionKey, merged: bool) -> u32 {
  // keys of 2 GiB and more would not fit JavaScript strings
  key.bytes().len() as u32
    | if key.is_packed() { PACKED_KEY } else { 0 }
    | if merged { MERGED_DATA } else { 0 }
}
