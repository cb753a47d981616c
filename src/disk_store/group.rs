//! Group commit for the fsync durability: the writes that wait while one commit is being flushed
//! to the disk go out together in the next one, so that one fsync serves them all. The first
//! writer to find no commit in progress leads: it takes every write queued so far, runs each in a
//! nested transaction of one transaction (a write that fails is undone alone) and commits that;
//! the others wait for their result. The window of a group is thus the length of one commit.

use super::Result;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

pub struct GroupCommit<W> {
  state: Mutex<State<W>>,
  committed: Condvar,
}

struct State<W> {
  queue: Vec<(u64, W)>,
  results: HashMap<u64, Result<u64>>,
  next_ticket: u64,
  committing: bool,
}

impl<W> Default for GroupCommit<W> {
  fn default() -> Self {
    GroupCommit {
      state: Mutex::new(State {
        queue: Vec::new(),
        results: HashMap::new(),
        next_ticket: 0,
        committing: false,
      }),
      committed: Condvar::new(),
    }
  }
}

impl<W> GroupCommit<W> {
  /// Queues `write` and answers its result once a commit has included it. `commit` runs a group:
  /// given the writes, it answers one result per write, in order.
  pub fn submit(&self, write: W, commit: impl Fn(Vec<W>) -> Vec<Result<u64>>) -> Result<u64> {
    let mut state = self.lock();
    let ticket = state.next_ticket;
    state.next_ticket += 1;
    state.queue.push((ticket, write));
    loop {
      if let Some(result) = state.results.remove(&ticket) {
        return result;
      }
      if state.committing {
        state = self
          .committed
          .wait(state)
          .unwrap_or_else(|poisoned| poisoned.into_inner());
        continue;
      }
      state.committing = true;
      let (tickets, writes): (Vec<u64>, Vec<W>) =
        std::mem::take(&mut state.queue).into_iter().unzip();
      drop(state);
      // a panic in `commit` must not leave the others waiting for good
      let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit(writes)));
      state = self.lock();
      state.committing = false;
      match outcome {
        Ok(results) => state.results.extend(tickets.into_iter().zip(results)),
        Err(_) => {
          for ticket in tickets {
            state.results.insert(
              ticket,
              Err(super::DiskStoreError::Io(
                "DiskStore: a group commit panicked; nothing of it was written".to_owned(),
              )),
            );
          }
        }
      }
      self.committed.notify_all();
    }
  }

  fn lock(&self) -> MutexGuard<'_, State<W>> {
    self
      .state
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::atomic::{AtomicUsize, Ordering};
  use std::sync::{Arc, Barrier};

  #[test]
  fn a_lone_write_commits_alone() {
    let group = GroupCommit::default();
    let result = group.submit(7u64, |writes| writes.into_iter().map(Ok).collect());
    assert_eq!(result, Ok(7));
  }

  #[test]
  fn writes_waiting_during_a_commit_share_the_next_one_and_get_their_own_results() {
    let group = Arc::new(GroupCommit::default());
    let commits = Arc::new(AtomicUsize::new(0));
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads as u64)
      .map(|i| {
        let (group, commits, barrier) = (group.clone(), commits.clone(), barrier.clone());
        std::thread::spawn(move || {
          barrier.wait();
          group.submit(i, |writes| {
            commits.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            writes.into_iter().map(|w| Ok(w * 10)).collect()
          })
        })
      })
      .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
      results,
      (0..threads as u64).map(|i| Ok(i * 10)).collect::<Vec<_>>()
    );
    assert!(
      commits.load(Ordering::SeqCst) < threads,
      "some writes shared a commit"
    );
  }

  #[test]
  fn a_panicking_commit_fails_its_group_and_the_next_write_still_commits() {
    let group = GroupCommit::default();
    let failed = group.submit(1u64, |_| panic!("boom"));
    assert!(failed.is_err());
    assert_eq!(
      group.submit(2u64, |w| w.into_iter().map(Ok).collect()),
      Ok(2)
    );
  }
}
