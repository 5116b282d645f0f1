//! Whether publishing works: why the last sync failed, if it did, kept for
//! the status page and logged once per change of state, not at every retry
//! (a full disk would otherwise write the same line every second).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
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
/// page, which shows the problem while there is one; `/metrics` exports
/// the syncs counted here.
#[derive(Debug, Clone)]
pub struct SyncHealth(Arc<Mutex<Option<SyncProblem>>>, SyncCounts);

impl Default for SyncHealth {
    fn default() -> Self {
        Self(Arc::default(), SyncCounts::new())
    }
}

/// A sync's series: how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

/// Syncs by outcome, and how long they took.
#[derive(Debug, Clone)]
struct SyncCounts {
    syncs: Family<Outcome, Counter>,
    seconds: Histogram,
}

impl SyncCounts {
    fn new() -> Self {
        Self {
            syncs: Family::default(),
            // 1 ms to ~16 s.
            seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
        }
    }

    fn count(&self, outcome: &'static str, took: Duration) {
        self.syncs.get_or_create(&Outcome { outcome }).inc();
        self.seconds.observe(took.as_secs_f64());
    }
}

impl SyncHealth {
    /// The current problem, if syncs are failing.
    pub fn problem(&self) -> Option<SyncProblem> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Registers the sync series for `/metrics`.
    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register(
            "syncs",
            "Syncs of the content folder, by outcome (ok, failed)",
            self.1.syncs.clone(),
        );
        registry.register(
            "sync_duration_seconds",
            "Time a sync took, from reading the files to its commit",
            self.1.seconds.clone(),
        );
    }

    /// Counts a sync for `/metrics`: whether it succeeded, and its time.
    pub(crate) fn count_sync(&self, succeeded: bool, took: Duration) {
        self.1.count(if succeeded { "ok" } else { "failed" }, took);
    }

    /// Publishing failed: logged when the reason is new, kept with the
    /// moment the trouble began.
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

    /// Publishing works: logged if it ends a problem.
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
