//! Which reviews a review page suggests under "Related": those sharing the
//! most of its tags, then the closest in rating, then in the film's year.
//! One bounded, indexed query per page (which the page cache then keeps):
//! the candidates are only the reviews that share a tag with it (the tag
//! index) and the newest few of its film's year (the year index), never
//! the whole catalogue. The order depends on the files alone (ties go to
//! the newer review, then the slug), so a rebuilt site suggests the same.

use sqlx::{QueryBuilder, Sqlite, SqliteExecutor};
use time::OffsetDateTime;

use crate::db::visible;

/// How many reviews of the same film year join the candidates.
const SAME_YEAR: i64 = 24;

/// Up to `limit` visible reviews related to `review_id` (id and slug),
/// best first; never
/// the review itself, a draft, or a review of the same director's films
/// (the page lists those under "More by").
pub(crate) async fn related_ids(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "WITH me AS (SELECT id, rating_halves, film_year, director_slug FROM reviews WHERE id = ",
    );
    query
        .push_bind(review_id)
        .push(
            "), shared AS (
                 SELECT t.review_id AS id, COUNT(*) AS tags FROM review_tags t
                 WHERE t.slug IN (SELECT slug FROM review_tags WHERE review_id = ",
        )
        .push_bind(review_id)
        .push(
            ") GROUP BY t.review_id
             ), same_year AS (
                 SELECT r.id, 0 AS tags FROM reviews r JOIN me ON r.film_year = me.film_year
                 WHERE r.draft = 0 ORDER BY r.published_at DESC LIMIT ",
        )
        .push_bind(SAME_YEAR)
        .push(
            "), candidates AS (
                 SELECT id, MAX(tags) AS tags FROM (SELECT * FROM shared UNION ALL SELECT * FROM same_year)
                 GROUP BY id
             )
             SELECT r.id, r.slug FROM candidates c
             JOIN reviews r INDEXED BY reviews_related ON r.id = c.id JOIN me
             WHERE r.id != me.id
               AND (r.director_slug IS NULL OR me.director_slug IS NULL
                    OR r.director_slug != me.director_slug)
               AND ",
        );
    visible::push(&mut query, "r", now);
    query
        .push(
            " ORDER BY c.tags DESC,
                 abs(COALESCE(r.rating_halves, 0) - COALESCE(me.rating_halves, 0)),
                 abs(COALESCE(r.film_year, 0) - COALESCE(me.film_year, 0)),
                 r.published_at DESC, r.slug
             LIMIT ",
        )
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}
