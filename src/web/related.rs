//! The suggestions under a review: "More by {director}" and "Related", four
//! to six cards each, read in the review page's own transaction.

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::error::AppError;
use crate::db;
use crate::db::reviews::Listing;
use crate::render::views::Card;

/// The most cards a suggestion shows.
const CARDS: usize = 6;

/// The director's other visible reviews, newest first.
pub(crate) async fn more_by(
    tx: &mut SqliteConnection,
    director_slug: Option<&str>,
    review_slug: &str,
    now: OffsetDateTime,
) -> Result<Vec<Card>, AppError> {
    let Some(director) = director_slug else {
        return Ok(Vec::new());
    };
    let listing = Listing::Director(director.to_string());
    let limit = i64::try_from(CARDS + 1).unwrap_or(i64::MAX);
    Ok(db::reviews::list(&mut *tx, now, &listing, limit, 0)
        .await?
        .into_iter()
        .filter(|row| row.slug != review_slug)
        .take(CARDS)
        .map(Card::from)
        .collect())
}

/// Related reviews in their order (`db::related`).
pub(crate) async fn related(
    tx: &mut SqliteConnection,
    review_id: i64,
    now: OffsetDateTime,
) -> Result<Vec<Card>, AppError> {
    let limit = i64::try_from(CARDS).unwrap_or(i64::MAX);
    let ranked = db::related::related_ids(&mut *tx, review_id, now, limit).await?;
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let ids = ranked.iter().map(|(id, _)| *id).collect();
    // The listing reads them newest first; put them back in rank order.
    let rows = db::reviews::list(&mut *tx, now, &Listing::Ids(ids), limit, 0).await?;
    Ok(ranked
        .iter()
        .filter_map(|(_, slug)| rows.iter().find(|row| &row.slug == slug).cloned())
        .map(Card::from)
        .collect())
}
