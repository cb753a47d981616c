//! Handing freed heap memory back to the operating system.
//!
//! glibc's malloc keeps the memory of freed allocations in its arenas for reuse and returns only
//! what lies at the top of the heap; after a store has shrunk from a peak (a million sessions
//! expired, say) most of that memory would stay resident for the life of the process.
//! `malloc_trim` releases the free pages inside the arenas too. Other allocators (musl's, macOS's,
//! Windows') return large free regions on their own, so there it does nothing.

/// Returns the allocator's free memory to the operating system where the allocator keeps it.
pub fn release_free_memory() {
  #[cfg(all(target_os = "linux", target_env = "gnu"))]
  // SAFETY: malloc_trim only walks and releases the allocator's own free lists.
  unsafe {
    libc::malloc_trim(0);
  }
}
