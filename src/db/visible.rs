//! Which reviews a reader may see: not drafts, and published by now. One
//! function writes the condition, so that listings, feeds, the sitemap and
//! search cannot disagree about it, and scheduling stays a comparison made
//! at query time rather than a background job.

use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;

/// Appends `{alias}.draft = 0 AND {alias}.published_at <= ?` with `now`
/// bound. `alias` names the `reviews` table in the query (a constant of
/// the caller's SQL, never input).
pub(crate) fn push(query: &mut QueryBuilder<Sqlite>, alias: &'static str, now: OffsetDateTime) {
    query
        .push(alias)
        .push(".draft = 0 AND ")
        .push(alias)
        .push(".published_at <= ")
        .push_bind(now.unix_timestamp());
}
