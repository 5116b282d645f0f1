//! Facts about the content as a whole, kept as named integers.

use sqlx::{SqliteConnection, SqliteExecutor};

/// When the set or text of published reviews last changed (unix seconds):
/// the Last-Modified of every listing and feed.
pub const CATALOG_CHANGED_AT: &str = "catalog_changed_at";

/// When what every page shares last changed (site settings, the menu of
/// standalone pages): part of every page's Last-Modified.
pub const LAYOUT_CHANGED_AT: &str = "layout_changed_at";

/// A fingerprint of the `embed_hosts` that the stored review and page
/// bodies were rendered with (absent or 0: none), so that a change of them
/// renders every body again, even one made while the server was down.
pub const EMBED_HOSTS_RENDERED: &str = "embed_hosts_rendered";

pub async fn get(db: impl SqliteExecutor<'_>, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(key)
        .fetch_optional(db)
        .await
}

pub async fn set(conn: &mut SqliteConnection, key: &str, value: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}
