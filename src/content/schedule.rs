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

/// Runs until the server stops. `content_changed` is notified after every
/// sync that changed content (a newly scheduled review moves the next wake);
/// `on_due` runs whenever time alone changed what readers should see.
pub async fn run(
    db: SqlitePool,
    clock: Clock,
    content_changed: Arc<Notify>,
    on_due: impl Fn() + Send + Sync + 'static,
) {
    loop {
        let now = clock.now();
        let next_review = match db::reviews::next_scheduled_after(&db, now.unix_timestamp()).await {
            Ok(next) => next.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok()),
            Err(error) => {
                tracing::error!("scheduler cannot read the database: {error}");
                Some(now + Duration::seconds(5))
            }
        };
        let wake = next_review.map_or(next_midnight(now), |at| at.min(next_midnight(now)));
        let changed = content_changed.notified();
        tokio::select! {
            () = clock.sleep_until(wake) => {
                tracing::debug!(%wake, "scheduled change is due");
                on_due();
            }
            () = changed => {}
        }
    }
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
