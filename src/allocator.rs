//! Handing freed heap memory back to the operating system.
//!
//! glibc's malloc keeps the memory of freed allocations in its arenas for reuse and returns only
//! what lies at the top of the heap; after a store has shrunk from a peak (a million sessions
//! expired, say) most of that memory would stay resident for the life of the process.
//! `malloc_trim` releases the free pages inside the arenas too. Other allocators (musl's, macOS's,
//! Windows') return large free regions on their own, so there it does nothing.
//!
//! The JavaScript engine keeps spare pages of its own after a peak; a hand-back asks it to return
//! them too (see `engine_heap`), and the engine's collection then frees memory into malloc's
//! arenas after the first trim, so a second trim follows it.

use std::time::Duration;

/// Returns the allocator's free memory to the operating system where the allocator keeps it, and
/// requests the same of the JavaScript engine.
pub fn release_free_memory() {
  trim();
  crate::engine_heap::request_release();
}

/// Trims the allocator once more after `delay`, on a thread of its own: time for a collection
/// of the engine's, which frees into the allocator, to have run.
pub fn trim_after(delay: Duration) {
  #[cfg(all(target_os = "linux", target_env = "gnu"))]
  {
    // without a thread the trim is skipped; it only returns memory sooner
    let _ = std::thread::Builder::new()
      .name("memory trim".into())
      .spawn(move || {
        std::thread::sleep(delay);
        trim();
      });
  }
  #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
  let _ = delay;
}

fn trim() {
  #[cfg(all(target_os = "linux", target_env = "gnu"))]
  // SAFETY: malloc_trim only walks and releases the allocator's own free lists, under their locks.
  unsafe {
    libc::malloc_trim(0);
  }
}
