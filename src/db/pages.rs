//! The `pages` table: standalone pages such as "About".

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;

use crate::content::page::Page;

/// A standalone page, as its address and the sitemap show it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct PageRow {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) body_html: String,
    pub(crate) draft: bool,
    /// When its file last changed.
    pub(crate) modified: OffsetDateTime,
}

/// A page's link in the site's navigation, which every page shows and the
/// page cache keeps between syncs.
#[derive(Debug, Clone, FromRow)]
pub struct MenuLink {
    /// The page's address is `/{slug}`.
    pub slug: String,
    /// The link text: the page's title.
    pub title: String,
}

/// A page by slug; drafts only in preview mode (`include_drafts`).
pub(crate) async fn by_slug(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    include_drafts: bool,
) -> sqlx::Result<Option<PageRow>> {
    sqlx::query_as(
        "SELECT slug, title, description, body_html, draft, modified_at AS modified FROM pages
         WHERE slug = ? AND (draft = 0 OR ?)",
    )
    .bind(slug)
    .bind(include_drafts)
    .fetch_optional(db)
    .await
}

/// The pages that asked to be in the navigation, in their order.
pub(crate) async fn menu(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<MenuLink>> {
    sqlx::query_as(
        "SELECT slug, title FROM pages WHERE menu = 1 AND draft = 0 ORDER BY weight, title",
    )
    .fetch_all(db)
    .await
}

/// Published pages, for the sitemap.
pub(crate) async fn published(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<PageRow>> {
    sqlx::query_as(
        "SELECT slug, title, description, body_html, draft, modified_at AS modified FROM pages
         WHERE draft = 0 ORDER BY slug",
    )
    .fetch_all(db)
    .await
}

/// Which file holds a slug now, if any. Pages have no date, so their
/// claims are ordered by path alone (see `content::slugs`).
pub(crate) async fn slug_claim(
    conn: &mut SqliteConnection,
    slug: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("SELECT source_path, 0 FROM pages WHERE slug = ?")
        .bind(slug)
        .fetch_optional(conn)
        .await
}

/// Inserts or replaces the page loaded from `source_path`; `modified_at`
/// is its file's mtime in unix seconds. Runs inside a sync's transaction.
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    source_path: &str,
    page: &Page,
    modified_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pages (source_path, slug, title, description, body_html, menu, weight, draft, modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_path) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             description = excluded.description, body_html = excluded.body_html, menu = excluded.menu,
             weight = excluded.weight, draft = excluded.draft, modified_at = excluded.modified_at",
    )
    .bind(source_path)
    .bind(&page.slug)
    .bind(&page.title)
    .bind(&page.description)
    .bind(&page.body_html)
    .bind(page.menu)
    .bind(page.weight)
    .bind(page.draft)
    .bind(modified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the page loaded from a file; returns whether there was one.
pub(crate) async fn delete_by_source(
    conn: &mut SqliteConnection,
    source_path: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM pages WHERE source_path = ?")
        .bind(source_path)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}
