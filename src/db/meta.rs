//! Facts about the content as a whole, kept as named integers: when the
//! catalog and the layout last changed (the Last-Modified of pages that
//! show them), and which embed hosts the stored bodies were rendered with.

use sqlx::{SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;

/// What changes a page's Last-Modified besides its own rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// The set or text of published reviews: every listing and feed.
    Catalog,
    /// What every page shares (site settings, the menu of standalone pages).
    Layout,
}

impl Change {
    fn key(self) -> &'static str {
        match self {
            Change::Catalog => "catalog_changed_at",
            Change::Layout => "layout_changed_at",
        }
    }
}

/// A fingerprint of the `embed_hosts` that the stored review and page
/// bodies were rendered with (absent or 0: none), so that a change of them
/// renders every body again, even one made while the server was down.
const EMBED_HOSTS_RENDERED: &str = "embed_hosts_rendered";

/// When `change` last happened; the epoch if never.
pub(crate) async fn changed_at(
    db: impl SqliteExecutor<'_>,
    change: Change,
) -> sqlx::Result<OffsetDateTime> {
    let seconds = get(db, change.key()).await?.unwrap_or(0);
    Ok(OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// Notes that `change` happened at `at` (stored in unix seconds), inside
/// the sync's transaction that made it.
pub(crate) async fn set_changed_at(
    conn: &mut SqliteConnection,
    change: Change,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    set(conn, change.key(), at.unix_timestamp()).await
}

/// The fingerprint of the embed hosts the stored bodies were rendered with.
pub(crate) async fn embed_hosts_rendered(db: impl SqliteExecutor<'_>) -> sqlx::Result<i64> {
    Ok(get(db, EMBED_HOSTS_RENDERED).await?.unwrap_or(0))
}

/// Notes the fingerprint of the embed hosts the bodies were just rendered
/// with, in the same transaction as the bodies.
pub(crate) async fn set_embed_hosts_rendered(
    conn: &mut SqliteConnection,
    fingerprint: i64,
) -> sqlx::Result<()> {
    set(conn, EMBED_HOSTS_RENDERED, fingerprint).await
}

async fn get(db: impl SqliteExecutor<'_>, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(key)
        .fetch_optional(db)
        .await
}

async fn set(conn: &mut SqliteConnection, key: &str, value: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
