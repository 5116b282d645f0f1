//! Writing the review tables, inside a sync's transaction (`db::sync`):
//! one review's upsert with its tags and release dates, its removal, who
//! holds a slug (the triggers of migration 0003 queue each write for search).

use sqlx::SqliteConnection;

use crate::content::review::Review;

/// Which file holds a slug now, if any, and when its review is published:
/// its claim to the slug (see `content::slugs`).
pub(crate) async fn slug_claim(
    conn: &mut SqliteConnection,
    slug: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("SELECT source_path, published_at FROM reviews WHERE slug = ?")
        .bind(slug)
        .fetch_optional(conn)
        .await
}

/// Inserts or replaces the review loaded from `source_path`, with its tags
/// and release dates.
///
/// A sync stores thousands of reviews in a row, and every query is a round
/// trip to the thread that runs SQLite, which was a good part of a cold
/// load. So this is one query (sqlx runs its statements in turn, all
/// numbered `?N` parameters bound from one list), and the tags and the
/// release dates travel as JSON arrays that SQLite unpacks with `json_each`.
/// It runs inside a savepoint: if a statement fails (a slug taken), the
/// ones after it do not run and the ones before it are undone.
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    source_path: &str,
    review: &Review,
    modified_at: i64,
) -> sqlx::Result<()> {
    let tags: Vec<(&str, &str)> = review
        .tags
        .iter()
        .map(|tag| (tag.slug.as_str(), tag.name.as_str()))
        .collect();
    let releases: Vec<(&str, &str, String)> = review
        .releases
        .iter()
        .map(|release| {
            (
                release.region.name.as_str(),
                release.region.slug.as_str(),
                release.date.to_string(),
            )
        })
        .collect();
    // sqlx binds a parameter missing from a statement's numbering to the
    // next value in line, so every statement's numbers start at ?1 and the
    // gaps come first: the path is ?1, the JSON arrays ?2 and ?3.
    let written = sqlx::query(
        "SAVEPOINT upsert_review;
         INSERT INTO reviews (source_path, slug, title, film_title, film_year, director, director_slug,
             runtime_minutes, poster, rating_halves, spoilers, draft, published_at, updated_at, summary,
             author, asset_base, body_markdown, body_html, body_text, tags_text, modified_at,
             body_images, poster_width, poster_height)
         VALUES (?1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
             ?21, ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT (source_path) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             film_title = excluded.film_title, film_year = excluded.film_year, director = excluded.director,
             director_slug = excluded.director_slug, runtime_minutes = excluded.runtime_minutes,
             poster = excluded.poster, rating_halves = excluded.rating_halves, spoilers = excluded.spoilers,
             draft = excluded.draft, published_at = excluded.published_at, updated_at = excluded.updated_at,
             summary = excluded.summary, author = excluded.author, asset_base = excluded.asset_base,
             body_markdown = excluded.body_markdown, body_html = excluded.body_html,
             body_text = excluded.body_text, tags_text = excluded.tags_text, modified_at = excluded.modified_at,
             body_images = excluded.body_images, poster_width = excluded.poster_width,
             poster_height = excluded.poster_height;
         DELETE FROM review_tags WHERE review_id = (SELECT id FROM reviews WHERE source_path = ?1);
         INSERT INTO review_tags (review_id, position, slug, name)
             SELECT (SELECT id FROM reviews WHERE source_path = ?1), key, value ->> 0, value ->> 1
             FROM json_each(?2);
         DELETE FROM release_dates WHERE review_id = (SELECT id FROM reviews WHERE source_path = ?1);
         INSERT INTO release_dates (review_id, region, region_slug, date)
             SELECT (SELECT id FROM reviews WHERE source_path = ?1), value ->> 0, value ->> 1, value ->> 2
             FROM json_each(?3);
         RELEASE upsert_review;",
    )
    .bind(source_path)
    .bind(json(&tags))
    .bind(json(&releases))
    .bind(&review.slug)
    .bind(&review.title)
    .bind(&review.film.title)
    .bind(review.film.year)
    .bind(review.film.director.as_ref().map(|director| director.name.as_str()))
    .bind(review.film.director.as_ref().map(|director| director.slug.as_str()))
    .bind(review.film.runtime_minutes)
    .bind(review.film.poster.as_deref())
    .bind(review.rating)
    .bind(review.spoilers)
    .bind(review.draft)
    .bind(review.published.unix_timestamp())
    .bind(review.updated.map(time::OffsetDateTime::unix_timestamp))
    .bind(&review.summary)
    .bind(review.author.as_deref())
    .bind(review.asset_base.as_deref())
    .bind(&review.body_markdown)
    .bind(&review.body_html)
    .bind(&review.body_text)
    .bind(
        review
            .tags
            .iter()
            .map(|tag| tag.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
    .bind(modified_at)
    .bind(json(&review.body_images))
    .bind(review.film.poster_size.map(|(width, _)| width))
    .bind(review.film.poster_size.map(|(_, height)| height))
    .execute(&mut *conn)
    .await;
    if let Err(error) = written {
        // Some failures (a full disk) make SQLite roll back the whole
        // transaction, savepoint included; the first error is the one
        // that says what happened.
        let _ = sqlx::raw_sql("ROLLBACK TO upsert_review; RELEASE upsert_review;")
            .execute(&mut *conn)
            .await;
        return Err(error);
    }
    Ok(())
}

fn json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_string())
}

/// Removes the review loaded from a file; returns whether there was one.
pub(crate) async fn delete_by_source(
    conn: &mut SqliteConnection,
    source_path: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM reviews WHERE source_path = ?")
        .bind(source_path)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::review::{Location, parse_review};
    use crate::db::reviews::{releases_of, tags_of};

    fn review(tags: &str, releases: &str) -> Review {
        let text = format!(
            "---\ntitle: Anora\nfilm:\n  title: Anora\npublished: 2024-10-18\n\
             tags: {tags}\nrelease_dates: {releases}\n---\nText.\n"
        );
        let location = Location {
            path: "reviews/anora.md",
            default_slug: "anora",
            is_bundle: false,
            embed_hosts: &[],
        };
        parse_review(&text, location).unwrap()
    }

    #[tokio::test]
    async fn a_rewritten_review_replaces_its_tags_and_release_dates() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let first = review(
            "[Drama, New York]",
            "[{region: US, date: 2024-10-18}, {region: UK, date: 2024-11-01}]",
        );
        upsert(&mut conn, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        let second = review("[Comedy]", "[]");
        upsert(&mut conn, "reviews/anora.md", &second, 0)
            .await
            .unwrap();

        let id: i64 = sqlx::query_scalar("SELECT id FROM reviews WHERE slug = 'anora'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let tags = tags_of(&pool, &[id]).await.unwrap();
        let names: Vec<&str> = tags.iter().map(|tag| tag.name.as_str()).collect();
        assert_eq!(names, ["Comedy"]);
        assert!(releases_of(&pool, &[id]).await.unwrap().is_empty());

        upsert(&mut conn, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        let releases = releases_of(&pool, &[id]).await.unwrap();
        let regions: Vec<&str> = releases.iter().map(|r| r.region_slug.as_str()).collect();
        assert_eq!(regions, ["us", "uk"]);
        assert_eq!(tags_of(&pool, &[id]).await.unwrap().len(), 2);
    }

    /// The upsert binds one list of values to several statements by number
    /// (see `upsert`): this pins every column to the value it must get.
    #[tokio::test]
    async fn every_column_gets_its_own_value() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let text = "---\ntitle: Headline\nfilm:\n  title: Film Title\n  year: 1999\n  \
                    director: Ann Direc\n  runtime: 123\n  poster: poster.jpg\nrating: 4.5\n\
                    spoilers: true\npublished: 2024-10-18T09:00:00Z\nupdated: 2024-12-03\n\
                    draft: true\nsummary: Standfirst.\nauthor: Writer Name\nslug: the-slug\n\
                    tags: [Tag One, Tag Two]\n\
                    release_dates: [{region: Côte d'Ivoire, date: 2025-01-02}]\n---\nThe *body*.\n";
        let location = Location {
            path: "reviews/x/index.md",
            default_slug: "x",
            is_bundle: true,
            embed_hosts: &[],
        };
        let review = parse_review(text, location).unwrap();
        let mut conn = pool.acquire().await.unwrap();
        upsert(&mut conn, "reviews/x/index.md", &review, 1_700_000_000)
            .await
            .unwrap();
        type Columns = (
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
            i64,
            String,
        );
        let row: Columns = sqlx::query_as(
            "SELECT source_path, slug, title, film_title, film_year, director, director_slug,
                 runtime_minutes, poster FROM reviews",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                "reviews/x/index.md".into(),
                "the-slug".into(),
                "Headline".into(),
                "Film Title".into(),
                1999,
                "Ann Direc".into(),
                "ann-direc".into(),
                123,
                "poster.jpg".into()
            )
        );
        type More = (
            i64,
            bool,
            bool,
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
        );
        let row: More = sqlx::query_as(
            "SELECT rating_halves, spoilers, draft, published_at, updated_at, summary, author,
                 asset_base, body_markdown, tags_text, modified_at FROM reviews",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                9,
                true,
                true,
                1_729_242_000,
                1_733_184_000,
                "Standfirst.".into(),
                "Writer Name".into(),
                "/reviews/the-slug/".into(),
                "The *body*.\n".into(),
                "Tag One Tag Two".into(),
                1_700_000_000
            )
        );
        let (html, text): (String, String) =
            sqlx::query_as("SELECT body_html, body_text FROM reviews")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(html, review.body_html);
        assert_eq!(text, review.body_text);
        let tags: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT position, slug, name FROM review_tags ORDER BY position")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            tags,
            [
                (0, "tag-one".into(), "Tag One".into()),
                (1, "tag-two".into(), "Tag Two".into())
            ]
        );
        let releases: Vec<(String, String, String)> =
            sqlx::query_as("SELECT region, region_slug, date FROM release_dates")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            releases,
            [(
                "Côte d'Ivoire".into(),
                "cote-d-ivoire".into(),
                "2025-01-02".into()
            )]
        );
    }

    #[tokio::test]
    async fn a_write_that_fails_half_way_leaves_the_review_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        let first = review("[Drama]", "[]");
        upsert(&mut tx, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        // Two regions with one slug (content refuses them; the store must
        // still fail whole): the last statement of the write fails.
        let mut clashing = review(
            "[Comedy]",
            "[{region: UK, date: 2024-10-18}, {region: US, date: 2024-11-01}]",
        );
        clashing.releases[1].region.slug = clashing.releases[0].region.slug.clone();
        let error = upsert(&mut tx, "reviews/anora.md", &clashing, 0)
            .await
            .unwrap_err();
        assert!(matches!(&error, sqlx::Error::Database(e) if e.is_unique_violation()));
        tx.commit().await.unwrap();

        let tags: Vec<String> = sqlx::query_scalar("SELECT name FROM review_tags")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(tags, ["Drama"]);
        let releases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM release_dates")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(releases, 0);
    }
}
