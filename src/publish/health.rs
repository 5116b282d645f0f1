//! Whether publishing works: why the last sync failed, if it did, kept for
//! the status page and logged once per change of state, not at every retry
//! (a full disk would otherwise write the same line every second).

use std::sync::{Arc, Mutex, PoisonError};

use time::OffsetDateTime;

/// Why syncs fail, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProblem {
    /// The last failure's error, as the log gave it.
    pub(crate) message: String,
    /// When the first of the failures in a row happened.
    pub(crate) since: OffsetDateTime,
}

/// Shared between the syncer, which records each outcome, and the status
/// page, which shows the problem while there is one.
#[derive(Debug, Clone, Default)]
pub struct SyncHealth(Arc<Mutex<Option<SyncProblem>>>);

impl SyncHealth {
    /// The current problem, if syncs are failing.
    pub fn problem(&self) -> Option<SyncProblem> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A sync failed: logged when the reason is new, kept with the moment
    /// the trouble began.
    pub(crate) fn failed(&self, message: String, now: OffsetDateTime) {
        let mut problem = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if problem
            .as_ref()
            .is_some_and(|known| known.message == message)
        {
            return;
        }
        tracing::error!(
            "publishing is paused: {message}; the site serves what was last published, \
             and syncs are retried"
        );
        let since = problem.as_ref().map_or(now, |known| known.since);
        *problem = Some(SyncProblem { message, since });
    }

    /// A sync succeeded: logged if it ends a problem.
    pub(crate) fn succeeded(&self) {
        let mut problem = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ended) = problem.take() {
            tracing::info!(
                since = %ended.since,
                "publishing works again: the site has caught up with the files"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_problem_keeps_the_moment_it_began_until_a_sync_succeeds() {
        let health = SyncHealth::default();
        let first = datetime!(2026-11-30 10:00 UTC);
        health.failed("disk full".into(), first);
        health.failed("disk full".into(), first + time::Duration::minutes(1));
        health.failed("folder missing".into(), first + time::Duration::minutes(2));
        assert_eq!(
            health.problem(),
            Some(SyncProblem {
                message: "folder missing".into(),
                since: first
            })
        );
        health.succeeded();
        assert_eq!(health.problem(), None);
    }
}
