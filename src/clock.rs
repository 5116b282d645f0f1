//! The time, as Marquee sees it. Scheduled reviews go live when the clock
//! passes their `published` moment, so tests need to move time forward
//! without waiting: they use a manual clock; everything else the system one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;
use tokio::sync::Notify;

/// The one source of "now" for publishing decisions: what is visible, what
/// the scheduler waits for. Clones share one time, so a test that sets its
/// manual clock moves the server's clock with it.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Unix seconds for a manual clock; `None` reads the system time.
    manual: Option<Arc<AtomicI64>>,
    /// Wakes whoever waits on the clock (the scheduler) when a manual clock
    /// is moved.
    moved: Arc<Notify>,
}

impl Clock {
    pub(crate) fn system() -> Self {
        Self {
            manual: None,
            moved: Arc::new(Notify::new()),
        }
    }

    /// A clock that shows `start` until it is set.
    pub fn manual(start: OffsetDateTime) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start.unix_timestamp()))),
            moved: Arc::new(Notify::new()),
        }
    }

    /// Moves a manual clock; does nothing to the system clock.
    pub fn set(&self, to: OffsetDateTime) {
        if let Some(manual) = &self.manual {
            manual.store(to.unix_timestamp(), Ordering::SeqCst);
            self.moved.notify_waiters();
        }
    }

    /// The current time, in UTC. A manual clock keeps whole seconds: it
    /// stores the Unix time it was set to, not the offset or the fraction.
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            Some(manual) => OffsetDateTime::from_unix_timestamp(manual.load(Ordering::SeqCst))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Sleeps until the clock reads `until` or later. A manual clock wakes
    /// when it is set; the system clock by a timer (re-checked, so a clock
    /// change cannot wake it early for good).
    pub(crate) async fn sleep_until(&self, until: OffsetDateTime) {
        loop {
            let moved = self.moved.notified();
            let now = self.now();
            if now >= until {
                return;
            }
            if self.manual.is_some() {
                moved.await;
            } else {
                let wait = (until - now)
                    .unsigned_abs()
                    .min(std::time::Duration::from_secs(3600));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_when_set() {
        let clock = Clock::manual(datetime!(2025-01-01 0:00 UTC));
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(datetime!(2025-01-02 0:00 UTC)).await })
        };
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.set(datetime!(2025-01-03 0:00 UTC));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleeper)
            .await
            .expect("the sleeper wakes")
            .unwrap();
    }
}
