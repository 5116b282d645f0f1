//! Facts about the content as a whole, kept as named integers: how the
//! stored bodies were rendered. (When the catalog and the layout last
//! changed is read from the files' times: see `web::modified`.)

use sqlx::{SqliteConnection, SqliteExecutor};

/// The rendering fingerprint (`content::plan::rendering_fingerprint`: the
/// renderer's version and the embed hosts) the stored review and page bodies
/// were rendered with, so that a change of either renders every body again,
/// even one made while the server was down.
const BODIES_RENDERED_WITH: &str = "bodies_rendered_with";

/// Where stores before renderer version 2 kept a fingerprint of the embed
/// hosts alone. Its value need not be read: bodies rendered then are of an
/// older version whatever their hosts, and a store without
/// `BODIES_RENDERED_WITH` renders every body again. The row is removed when
/// the new one is written, so nothing stale stays behind.
const FORMER_EMBED_HOSTS_RENDERED: &str = "embed_hosts_rendered";

/// The rendering fingerprint the stored bodies were rendered with; `None`
/// for a new store, or one whose bodies an older renderer wrote.
pub(crate) async fn bodies_rendered_with(db: impl SqliteExecutor<'_>) -> sqlx::Result<Option<i64>> {
    get(db, BODIES_RENDERED_WITH).await
}

/// Notes the rendering fingerprint every body was just rendered with, in
/// the same transaction as the bodies.
pub(crate) async fn set_bodies_rendered_with(
    conn: &mut SqliteConnection,
    fingerprint: i64,
) -> sqlx::Result<()> {
    set(&mut *conn, BODIES_RENDERED_WITH, fingerprint).await?;
    sqlx::query("DELETE FROM meta WHERE key = ?")
        .bind(FORMER_EMBED_HOSTS_RENDERED)
        .execute(conn)
        .await?;
    Ok(())
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
