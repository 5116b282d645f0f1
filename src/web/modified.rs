//! When what a page shows last changed, for its `Last-Modified`: listings
//! and feeds change with the catalog (a sync that changed reviews, or a
//! scheduled review going live by the clock), every page with the layout
//! (site settings, the menu).

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::error::AppError;
use crate::db;
use crate::db::meta::Change;

/// When any listing last changed: the later of the last sync that changed
/// reviews and the last scheduled review that went live by the clock.
pub(crate) async fn catalog(
    conn: &mut SqliteConnection,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, AppError> {
    let synced = db::meta::changed_at(&mut *conn, Change::Catalog).await?;
    let published = db::reviews::latest_published_at(conn, now).await?;
    Ok(published.map_or(synced, |published| synced.max(published)))
}

/// When what every page shares last changed.
pub(crate) async fn layout(conn: &mut SqliteConnection) -> Result<OffsetDateTime, AppError> {
    Ok(db::meta::changed_at(conn, Change::Layout).await?)
}
