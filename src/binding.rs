//! The JavaScript binding: thin napi wrappers that convert arguments, call the plain modules and
//! convert the results back. Every export catches panics, so a bug surfaces as a JS exception
//! instead of aborting the process.
//!
//! The DiskStore's wrappers are in `binding/disk_store.rs`.

use crate::memory_store::{FieldsTouch, Loaded, MemoryStore, Options, Stats, Stored};
use crate::set_cookie::{self, CookieAttributes};
use crate::{cookie_header, engine_heap, session_id, signature};
use napi::bindgen_prelude::{Buffer, External, Float64ArraySlice};
#[cfg(feature = "bench-probes")]
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Error, Result, Status};
use napi_derive::napi;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

mod disk_store;

/// A new session ID: 24 bytes from the OS CSPRNG as 32 base64url characters.
fn generate_session_id() -> Result<String> {
  session_id::generate().map_err(|err| {
    Error::new(
      Status::GenericFailure,
      format!("no randomness available: {err}"),
    )
  })
}

/// `count` new session IDs at once, concatenated (32 characters each): one call into the addon
/// serves many new sessions.
#[napi(catch_unwind)]
pub fn generate_session_ids(count: u32) -> Result<String> {
  let mut ids = String::with_capacity(count as usize * session_id::ID_LENGTH);
  for _ in 0..count {
    ids.push_str(&generate_session_id()?);
  }
  Ok(ids)
}

/// A Set-Cookie value for `name` and `value`, with the `cookie` package's validation and messages.
///
/// The attributes are separate arguments rather than one options object: napi reads an object one
/// named property at a time, and with the eight attributes that doubled the cost of the call
/// (measured with bench/micro.js and callgrind).
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn serialize_cookie(
  name: String,
  value: String,
  expires_ms: Option<f64>,
  domain: Option<String>,
  path: Option<String>,
  http_only: bool,
  secure: bool,
  partitioned: bool,
  priority: Option<String>,
  same_site: Option<String>,
) -> Result<String> {
  let attributes = CookieAttributes {
    expires_ms,
    domain: domain.as_deref(),
    path: path.as_deref(),
    http_only,
    secure,
    partitioned,
    priority: priority.as_deref(),
    same_site: same_site.as_deref(),
  };
  set_cookie::serialize(&name, &value, &attributes).map_err(invalid_arg)
}

/// Reads, verifies and writes one middleware's session cookie. Handed to JavaScript as an
/// External and used through plain functions (see `addon.js`): a class method costs several times
/// what a function call does, most of all when its code is cold, as it is once per request.
pub struct SessionCodec {
  cookie_name: String,
  secrets: Vec<Vec<u8>>,
}

type CodecHandle = External<SessionCodec>;

/// A codec for `cookieName`: `secrets[0]` signs; every secret verifies.
#[napi(catch_unwind)]
pub fn session_codec_new(cookie_name: String, secrets: Vec<Buffer>) -> Result<CodecHandle> {
  if secrets.is_empty() {
    return Err(invalid_arg("at least one secret is required"));
  }
  Ok(External::new(SessionCodec {
    cookie_name,
    secrets: secrets.iter().map(|secret| secret.to_vec()).collect(),
  }))
}

/// The verified session ID in a Cookie header, or null when absent, unsigned or forged.
#[napi(catch_unwind)]
pub fn session_codec_read_session_id(codec: &CodecHandle, cookie_header: String) -> Option<String> {
  let value = cookie_header::find(&cookie_header, &codec.cookie_name)?;
  let signed = value.strip_prefix("s:")?;
  signature::unsign(signed, &codec.secrets)
}

/// The value of `id.signature` (without the `s:` prefix) when the signature verifies.
#[napi(catch_unwind)]
pub fn session_codec_unsign(codec: &CodecHandle, signed_value: String) -> Option<String> {
  signature::unsign(&signed_value, &codec.secrets)
}

/// The whole Set-Cookie value carrying the signed `id`.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn session_codec_set_cookie_header(
  codec: &CodecHandle,
  id: String,
  expires_ms: Option<f64>,
  domain: Option<String>,
  path: Option<String>,
  http_only: bool,
  secure: bool,
  partitioned: bool,
  priority: Option<String>,
  same_site: Option<String>,
) -> Result<String> {
  let value = format!("s:{}", signature::sign(&id, &codec.secrets[0]));
  serialize_cookie(
    codec.cookie_name.clone(),
    value,
    expires_ms,
    domain,
    path,
    http_only,
    secure,
    partitioned,
    priority,
    same_site,
  )
}

/// `count` new session IDs, each followed by its signature under the first secret (32 + 43
/// characters each, concatenated): one call serves the IDs of many new sessions and the signatures
/// their cookies carry, so that writing such a cookie needs no call of its own (see `addon.js`).
#[napi(catch_unwind)]
pub fn session_codec_signed_ids(codec: &CodecHandle, count: u32) -> Result<String> {
  let mut out =
    String::with_capacity(count as usize * (session_id::ID_LENGTH + signature::SIGNATURE_LENGTH));
  for _ in 0..count {
    let id = generate_session_id()?;
    out.push_str(&id);
    out.push_str(&signature::signature(&id, &codec.secrets[0]));
  }
  Ok(out)
}

/// Measurement hook for bench/micro.js, compiled only with the `bench-probes` feature:
/// `id.signature` under the first secret.
#[cfg(feature = "bench-probes")]
#[napi(catch_unwind)]
pub fn session_codec_sign(codec: &CodecHandle, id: String) -> String {
  signature::sign(&id, &codec.secrets[0])
}

#[napi(object)]
pub struct NativeMemoryStoreOptions {
  pub name: Option<String>,
  pub max: Option<f64>,
  pub ttl: Option<f64>,
}

#[napi(object)]
pub struct NativeMemoryStoreStats {
  pub sessions: f64,
  pub bytes: f64,
  pub hits: f64,
  pub misses: f64,
  pub expirations: f64,
  pub evictions: f64,
}

impl From<Stats> for NativeMemoryStoreStats {
  fn from(stats: Stats) -> Self {
    NativeMemoryStoreStats {
      sessions: stats.sessions as f64,
      bytes: stats.bytes as f64,
      hits: stats.hits as f64,
      misses: stats.misses as f64,
      expirations: stats.expirations as f64,
      evictions: stats.evictions as f64,
    }
  }
}

/// The MemoryStore's storage, handed to JavaScript as an External and used through plain
/// functions (see `addon.js`), for the same reason as the codec. Times are read from the wall
/// clock here, as Date.now() would.
type StoreHandle = External<Arc<MemoryStore>>;

#[napi(catch_unwind)]
pub fn memory_store_open(options: Option<NativeMemoryStoreOptions>) -> StoreHandle {
  let options = options.unwrap_or(NativeMemoryStoreOptions {
    name: None,
    max: None,
    ttl: None,
  });
  let settings = Options {
    // session/memory.js has checked it is a whole number of at least 1
    max: options.max.map(|m| m as usize),
    ttl_ms: options.ttl.and_then(milliseconds),
  };
  External::new(MemoryStore::open(options.name.as_deref(), settings))
}

#[napi(catch_unwind)]
pub fn memory_store_get(store: &StoreHandle, id: String) -> Option<String> {
  store.get(&id, now())
}

/// The middleware's read of a live session (null when there is none). A session whose cookie
/// is kept as fields comes as its data JSON, with its parts written into `cookie` (see
/// `write_parts`); any other session comes as its whole JSON, with -1 written at `cookie[0]`.
#[napi(catch_unwind)]
pub fn memory_store_load(
  store: &StoreHandle,
  id: String,
  mut cookie: Float64ArraySlice,
) -> Result<Option<String>> {
  // SAFETY: the slice is only written here, during this synchronous call.
  let out = parts_out(unsafe { cookie.as_mut() })?;
  Ok(store.load(&id, now()).map(|loaded| match loaded {
    Loaded::Fields {
      data,
      shape,
      serial,
      expires_at,
      data_as_stringified,
      touch_changes_nothing,
    } => {
      write_parts(
        out,
        Some(Stored {
          shape,
          serial,
          expires_at,
          touch_changes_nothing,
        }),
        data_as_stringified,
      );
      data
    }
    Loaded::Whole(json) => {
      write_parts(out, None, false);
      json
    }
  }))
}

/// `[shape, serial, expiry ms, flags]` of a session whose cookie is kept as fields, the flags
/// adding 1 when its data JSON is as JSON.stringify wrote it and 2 when a touch with the same
/// cookie would change nothing; -1 at `out[0]` for any other session.
fn write_parts(out: &mut [f64], stored: Option<Stored>, data_as_stringified: bool) {
  let Some(stored) = stored else {
    out[0] = -1.0;
    return;
  };
  out[0] = f64::from(stored.shape);
  out[1] = stored.serial as f64;
  out[2] = stored.expires_at as f64;
  out[3] = f64::from(u8::from(data_as_stringified) | u8::from(stored.touch_changes_nothing) << 1);
}

fn parts_out(out: &mut [f64]) -> Result<&mut [f64]> {
  if out.len() < 4 {
    return Err(invalid_arg("a session's parts need a Float64Array of 4"));
  }
  Ok(out)
}

/// The JSON of a cookie shape `load` reported, written for an expiry at the epoch; null once
/// that shape is gone.
#[napi(catch_unwind)]
pub fn memory_store_cookie_fields_json(
  store: &StoreHandle,
  shape: u32,
  serial: f64,
) -> Option<String> {
  store.cookie_fields_json(shape, serial as u64)
}

/// Touches a session whose cookie is still the shape `load` reported, giving it the expiry
/// `expiresMs`: 1 when touched; 0, changing nothing, when a touch with the cookie's JSON is needed
/// instead; -1, changing nothing, when there is no live session to touch.
#[napi(catch_unwind)]
pub fn memory_store_touch_fields(
  store: &StoreHandle,
  id: String,
  shape: u32,
  serial: f64,
  expires_ms: Option<f64>,
) -> i32 {
  let expires_at = expires_ms.and_then(milliseconds);
  match store.touch_fields(&id, shape, serial as u64, expires_at, now()) {
    FieldsTouch::Touched => 1,
    FieldsTouch::Declined => 0,
    FieldsTouch::NoLiveSession => -1,
  }
}

/// Stores a session, and writes into `cookie` how it keeps the cookie, as `load` would.
#[napi(catch_unwind)]
pub fn memory_store_set(
  store: &StoreHandle,
  id: String,
  cookie_json: Option<String>,
  data_json: String,
  expires_ms: Option<f64>,
  mut cookie: Float64ArraySlice,
) -> Result<()> {
  // SAFETY: the slice is only written here, during this synchronous call.
  let out = parts_out(unsafe { cookie.as_mut() })?;
  let expires_at = expires_ms.and_then(milliseconds);
  let stored = store.set(&id, cookie_json.as_deref(), &data_json, expires_at, now());
  write_parts(out, stored, true);
  Ok(())
}

/// Stores a session whose cookie has the fields of shape `shape` (as `load` or `set` reported
/// it), its expiry being `expiresMs`, and writes into `cookie` how it keeps the cookie; false,
/// storing nothing, when a set with the cookie's JSON is needed instead.
#[napi(catch_unwind)]
pub fn memory_store_set_fields(
  store: &StoreHandle,
  id: String,
  shape: u32,
  serial: f64,
  data_json: String,
  expires_ms: Option<f64>,
  mut cookie: Float64ArraySlice,
) -> Result<bool> {
  // SAFETY: the slice is only written here, during this synchronous call.
  let out = parts_out(unsafe { cookie.as_mut() })?;
  let expires_at = expires_ms.and_then(milliseconds);
  let stored = store.set_fields(&id, shape, serial as u64, &data_json, expires_at, now());
  write_parts(out, stored, true);
  Ok(stored.is_some())
}

#[napi(catch_unwind)]
pub fn memory_store_touch(
  store: &StoreHandle,
  id: String,
  cookie_json: Option<String>,
  expires_ms: Option<f64>,
) -> bool {
  let expires_at = expires_ms.and_then(milliseconds);
  store.touch(&id, cookie_json.as_deref(), expires_at, now())
}

/// Merges one request's changes into a live session under the store's lock: sets each
/// top-level member of the JSON object `changesJson` in the session's data (existing keys in
/// place, new ones appended), deletes `removedKeys`, replaces the cookie and expiry, and counts
/// as a use. Returns false, changing nothing, when the session is missing, expired or destroyed.
/// Throws when `changesJson` or the stored data is not a JSON object.
#[napi(catch_unwind)]
pub fn memory_store_merge(
  store: &StoreHandle,
  id: String,
  changes_json: String,
  removed_keys: Vec<napi::bindgen_prelude::Utf16String>,
  cookie_json: Option<String>,
  expires_ms: Option<f64>,
) -> Result<bool> {
  let removed: Vec<&[u16]> = removed_keys.iter().map(|key| &key[..]).collect();
  let expires_at = expires_ms.and_then(milliseconds);
  store
    .merge(
      &id,
      &changes_json,
      &removed,
      cookie_json.as_deref(),
      expires_at,
      now(),
    )
    .map_err(invalid_arg)
}

#[napi(catch_unwind)]
pub fn memory_store_destroy(store: &StoreHandle, id: String) {
  store.destroy(&id);
  engine_heap::release_if_requested();
}

#[napi(catch_unwind)]
pub fn memory_store_clear(store: &StoreHandle) {
  store.clear();
  engine_heap::release_if_requested();
}

#[napi(catch_unwind)]
pub fn memory_store_length(store: &StoreHandle) -> u32 {
  let live = store.len(now());
  engine_heap::release_if_requested();
  live as u32
}

/// Live sessions as a flat list: ID, JSON, ID, JSON, ...
#[napi(catch_unwind)]
pub fn memory_store_entries(store: &StoreHandle) -> Vec<String> {
  let entries = store.entries(now());
  engine_heap::release_if_requested();
  entries
    .into_iter()
    .flat_map(|(id, json)| [id, json])
    .collect()
}

/// Removes expired sessions; returns how many.
#[napi(catch_unwind)]
pub fn memory_store_sweep(store: &StoreHandle) -> u32 {
  let expired = store.sweep(now());
  engine_heap::release_if_requested();
  expired as u32
}

#[napi(catch_unwind)]
pub fn memory_store_stats(store: &StoreHandle) -> NativeMemoryStoreStats {
  store.stats().into()
}

fn invalid_arg(err: impl ToString) -> Error {
  Error::new(Status::InvalidArg, err.to_string())
}

/// A JS millisecond count as an integer, or None when it is not a finite number.
fn milliseconds(ms: f64) -> Option<i64> {
  ms.is_finite().then_some(ms as i64)
}

fn now() -> i64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// For bench/micro.js (`bench-probes` feature): calls `callback(null, i)` for i in 0..count from a
/// native thread through a threadsafe function, the route a JS store would take if native code off
/// the main thread drove it. It measures what that route costs per call against calling the store
/// directly.
#[cfg(feature = "bench-probes")]
#[napi(catch_unwind)]
pub fn threadsafe_call_probe(callback: ThreadsafeFunction<u32>, count: u32) {
  std::thread::spawn(move || {
    for i in 0..count {
      callback.call(Ok(i), ThreadsafeFunctionCallMode::Blocking);
    }
  });
}

/// What a request changed in its session's data, top-level key by top-level key.
#[napi(object)]
pub struct ChangedKeys {
  /// Keys added or whose value's JSON differs, in the current data's order.
  pub changed: Vec<napi::bindgen_prelude::Utf16String>,
  /// Keys of the loaded data that the current data lacks.
  pub removed: Vec<napi::bindgen_prelude::Utf16String>,
  /// The changed keys with their current values, as one JSON object (what `merge` takes).
  pub changes_json: String,
}

/// Compares the data JSON a request loaded (null for a new session) with the data JSON it ends
/// with; throws when either is not a JSON object.
#[napi(catch_unwind)]
pub fn changed_keys(
  loaded_data_json: Option<String>,
  current_data_json: String,
) -> Result<ChangedKeys> {
  use crate::json_object::key_units;
  let changes = crate::session_merge::changed_keys(loaded_data_json.as_deref(), &current_data_json)
    .map_err(invalid_arg)?;
  Ok(ChangedKeys {
    changed: changes
      .changed
      .iter()
      .map(|member| key_units(member.raw_key).into())
      .collect(),
    removed: changes
      .removed
      .iter()
      .map(|&raw_key| key_units(raw_key).into())
      .collect(),
    changes_json: changes.changes_json(),
  })
}
