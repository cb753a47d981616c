//! Asking the JavaScript engine that runs the addon to hand its spare memory back too.
//!
//! Under a burst of allocation (a traffic peak, a store being filled) V8 grows its young
//! generation, up to a hundred megabytes or more, and it keeps those pages resident after the
//! burst: its memory reducer, which would shrink the heap of an idle process, judges idleness from
//! the allocation rate seen at the last collections, and in a process that has gone quiet the last
//! collections were during the burst. So when the MemoryStore hands a peak's memory back (see
//! `allocator`), it also asks V8 to do the same: it reports moderate memory pressure, on which V8
//! starts an incremental collection that reduces the heap's footprint, and resets the pressure
//! level as it does so.
//!
//! V8's own API is not part of Node-API, so its two functions are looked up by symbol name in the
//! running process. Where they are missing (another engine, or a V8 whose signature changed and so
//! its symbol's name) or the platform is not a Unix, this does nothing.
//!
//! The request and the call are apart: a store hands memory back under its lock, perhaps on a
//! thread without an engine, and V8 must be called on the thread of its isolate. So the store only
//! requests it, and the binding, returning to JavaScript, calls `release_if_requested`.
//!
//! One peak handed back often compacts the store more than once (at a quarter of its slots, then
//! at a quarter of the smaller table), within milliseconds. The engine is told once: a second
//! report right after the first would start a second full collection of a heap the first has
//! already reduced, so reports on one engine's thread are at least `QUIET_AFTER_REPORT` apart.
//! The window is short: a later peak, seconds after, is reported again.

use crate::allocator;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Marks that the engine should be asked to reduce its heap at the next `release_if_requested`.
pub fn request_release() {
  REQUESTED.store(true, Ordering::Relaxed);
}

/// How long after asking the engine the allocator is trimmed again: the engine's collection runs
/// as an incremental one, in tasks of the event loop, and takes milliseconds in an idle process.
const TRIM_AFTER_COLLECTION: Duration = Duration::from_secs(1);

/// How long after telling an engine a request to tell it again is dropped.
const QUIET_AFTER_REPORT: Duration = Duration::from_secs(1);

thread_local! {
  // each engine (the main thread's, a worker's) runs on a thread of its own
  static LAST_REPORT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// On the thread of a JavaScript engine: asks it to reduce its heap if that was requested.
pub fn release_if_requested() {
  if !(REQUESTED.load(Ordering::Relaxed) && REQUESTED.swap(false, Ordering::Relaxed)) {
    return;
  }
  let now = Instant::now();
  if recently_reported(now) {
    return;
  }
  if v8::report_moderate_memory_pressure() {
    LAST_REPORT.with(|last| last.set(Some(now)));
    allocator::trim_after(TRIM_AFTER_COLLECTION);
  }
}

fn recently_reported(now: Instant) -> bool {
  LAST_REPORT.with(|last| {
    last
      .get()
      .is_some_and(|at| now.duration_since(at) < QUIET_AFTER_REPORT)
  })
}

#[cfg(unix)]
mod v8 {
  use std::ffi::{c_int, c_void, CStr};
  use std::sync::OnceLock;

  type GetCurrentIsolate = unsafe extern "C" fn() -> *mut c_void;
  // a non-virtual member function: the isolate is passed first, as `this`
  type MemoryPressureNotification = unsafe extern "C" fn(*mut c_void, c_int);

  // `v8::Isolate::GetCurrent()` and `v8::Isolate::MemoryPressureNotification(MemoryPressureLevel)`
  const GET_CURRENT: &CStr = c"_ZN2v87Isolate10GetCurrentEv";
  const PRESSURE: &CStr = c"_ZN2v87Isolate26MemoryPressureNotificationENS_19MemoryPressureLevelE";
  // `v8::MemoryPressureLevel::kModerate`
  const MODERATE: c_int = 1;

  pub(super) struct Engine {
    current_isolate: GetCurrentIsolate,
    memory_pressure: MemoryPressureNotification,
  }

  pub(super) fn engine() -> Option<&'static Engine> {
    static ENGINE: OnceLock<Option<Engine>> = OnceLock::new();
    ENGINE
      .get_or_init(|| {
        let current_isolate = find(GET_CURRENT)?;
        let memory_pressure = find(PRESSURE)?;
        // SAFETY: the symbols are V8's functions of these signatures; their mangled names encode
        // the parameter types, so a V8 with other signatures has other names and is not found.
        Some(unsafe {
          Engine {
            current_isolate: std::mem::transmute::<*mut c_void, GetCurrentIsolate>(current_isolate),
            memory_pressure: std::mem::transmute::<*mut c_void, MemoryPressureNotification>(
              memory_pressure,
            ),
          }
        })
      })
      .as_ref()
  }

  fn find(symbol: &CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym only reads the loaded objects' symbol tables.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, symbol.as_ptr()) };
    (!address.is_null()).then_some(address)
  }

  /// Whether there was an engine on this thread to tell.
  pub(super) fn report_moderate_memory_pressure() -> bool {
    let Some(engine) = engine() else { return false };
    // SAFETY: GetCurrent returns the isolate entered on this thread, or null on a thread without
    // one; MemoryPressureNotification is then called on that isolate's own thread.
    unsafe {
      let isolate = (engine.current_isolate)();
      if isolate.is_null() {
        return false;
      }
      (engine.memory_pressure)(isolate, MODERATE);
    }
    true
  }
}

#[cfg(not(unix))]
mod v8 {
  pub(super) fn report_moderate_memory_pressure() -> bool {
    false
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  // A test executable has no V8 in it: the lookup finds nothing, and a request is answered by
  // doing nothing.
  #[cfg(unix)]
  #[test]
  fn outside_a_javascript_engine_nothing_is_found_or_called() {
    assert!(v8::engine().is_none());
    request_release();
    release_if_requested();
    assert!(LAST_REPORT.with(Cell::get).is_none());
  }

  #[test]
  fn a_report_quiets_further_ones_on_its_thread_for_a_while() {
    let reported = Instant::now();
    assert!(!recently_reported(reported));
    LAST_REPORT.with(|last| last.set(Some(reported)));
    assert!(recently_reported(reported + QUIET_AFTER_REPORT / 2));
    assert!(!recently_reported(reported + QUIET_AFTER_REPORT));
    // another thread is another engine
    assert!(!std::thread::spawn(move || recently_reported(reported))
      .join()
      .unwrap());
  }
}
