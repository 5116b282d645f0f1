//! Time-driven changes: a scheduled review going live, and the date turning
//! (release boxes say "out now" or "upcoming" relative to today). Neither
//! touches a file, so no sync notices them; this task does, and tells the
//! web layer its cached pages are stale.

use std::sync::Arc;

use sqlx::SqlitePool;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::db;

/// When the database cannot be read, try again this soon.
const RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs until the server stops. `content_changed` is notified after every
/// sync that changed content (a newly scheduled review moves the next wake);
/// `on_due` runs whenever time alone changed what readers should see.
///
/// The clock is read when this is called, not when the future first runs:
/// every change due after that moment is announced, even one that comes due
/// while the task is busy, or just as content changes and wakes it early.
pub fn run(
    db: SqlitePool,
    clock: Clock,
    content_changed: Arc<Notify>,
    on_due: impl Fn() + Send + Sync + 'static,
) -> impl Future<Output = ()> + Send {
    let mut announced_up_to = clock.now();
    async move {
        loop {
            let wake = match next_change_after(&db, announced_up_to).await {
                Ok(wake) => wake,
                Err(error) => {
                    tracing::error!("scheduler cannot read the database: {error}");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let changed = content_changed.notified();
            tokio::select! {
                () = clock.sleep_until(wake) => {
                    // Read before `on_due`, so that every page rendered after
                    // it sees at least this time.
                    announced_up_to = clock.now();
                    tracing::debug!(%wake, "scheduled change is due");
                    on_due();
                }
                () = changed => {}
            }
        }
    }
}

/// The first moment after `since` at which time alone changes the site: a
/// scheduled review going live, or midnight. Reviews are compared with
/// `since` rather than with the clock's present, so one that came due
/// while we were away still wakes us (at once).
async fn next_change_after(db: &SqlitePool, since: OffsetDateTime) -> sqlx::Result<OffsetDateTime> {
    let midnight = next_midnight(since);
    let next_review = db::reviews::next_scheduled_after(db, since).await?;
    Ok(next_review.map_or(midnight, |at| at.min(midnight)))
}

fn next_midnight(now: OffsetDateTime) -> OffsetDateTime {
    (now.date() + Duration::days(1)).midnight().assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn midnight_is_the_next_day_start() {
        assert_eq!(
            next_midnight(datetime!(2024-10-18 13:05 UTC)),
            datetime!(2024-10-19 0:00 UTC)
        );
    }
}
