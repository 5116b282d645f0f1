//! Full-text search with SQLite FTS5, ranked by bm25.
//!
//! Readers type anything: quotes, stars, `NEAR`, a lone `-`. None of that may
//! reach FTS5 as syntax, so `fts_query` rebuilds the query from words and
//! quoted phrases, each quoted as an FTS5 string. The result is always a
//! valid FTS5 expression: a search can find nothing, but it cannot fail.

pub(crate) mod snippet;

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteExecutor, SqlitePool};
use time::OffsetDateTime;

use super::visible;
use crate::content::review::Rating;

use snippet::Term;

/// Marks a matched term in a snippet. Private-use characters cannot occur in
/// indexed text that matters to readers, and they are split out again before
/// rendering, so the snippet never carries markup through SQL.
pub(crate) const HIT_START: char = '\u{E000}';
/// Ends a matched term in a snippet (see `HIT_START`).
pub(crate) const HIT_END: char = '\u{E001}';

/// bm25 weights per column: title, film title, director, tags, body. Given
/// to FTS5 as its `rank`, so that `ORDER BY rank` is done inside FTS5: then
/// SQLite needs no sort of its own and stops at the LIMIT. Ordering by a
/// `bm25(...)` expression instead made SQLite read every match (and, when
/// snippets were FTS5's, build one for each) before sorting: 40 req/s for a
/// word found in every review.
const RANK: &str = "bm25(8.0, 10.0, 6.0, 5.0, 1.0)";

/// A review that matched, with what its result card shows.
#[derive(Debug, Clone)]
pub(crate) struct SearchHit {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) rating: Option<Rating>,
    pub(crate) published: OffsetDateTime,
    /// Words of the body around the hits, marked with `HIT_START`/`HIT_END`.
    pub(crate) snippet: String,
}

/// A result row as read, the body whole: the snippet is made from it.
#[derive(FromRow)]
struct HitRow {
    slug: String,
    title: String,
    film_title: String,
    film_year: Option<i32>,
    rating: Option<Rating>,
    published: OffsetDateTime,
    body_text: String,
    /// Every visible match, not only this page's.
    total: i64,
    /// See `incomplete`: asked in the same statement to save a round trip.
    incomplete: bool,
}

/// A page of results.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Every visible match, not only this page's.
    pub(crate) total: i64,
    pub(crate) hits: Vec<SearchHit>,
    /// Some reviews are not indexed yet (see `incomplete`).
    pub(crate) incomplete: bool,
}

/// What a reader asked, parsed once: the FTS5 expression that finds the
/// reviews, and the terms that the snippets highlight. Only `fts_query`
/// makes one, so its expression is always one FTS5 accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtsQuery {
    /// A valid FTS5 expression: quoted terms, ANDed.
    pub(crate) expression: String,
    /// The same terms, folded as the index folds, for the snippets.
    pub(crate) terms: Vec<Term>,
}

/// Turns what a reader typed into a safe FTS5 query: `"two words"` stays a
/// phrase, a trailing `*` stays a prefix search, everything else is a term.
/// Terms are ANDed. Returns `None` when nothing searchable is left.
pub fn fts_query(input: &str) -> Option<FtsQuery> {
    let mut query = FtsQuery {
        expression: String::new(),
        terms: Vec::new(),
    };
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let (phrase, remainder) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            query.push_term(phrase, false);
            rest = remainder.trim_start();
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let prefix = word.ends_with('*') && word.trim_end_matches('*').chars().count() >= 2;
        query.push_term(word, prefix);
        rest = rest[end..].trim_start();
    }
    (!query.terms.is_empty()).then_some(query)
}

impl FtsQuery {
    /// Adds a term if it has anything the tokenizer would index.
    fn push_term(&mut self, text: &str, prefix: bool) {
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect();
        if words.is_empty() || self.terms.len() >= 16 {
            return;
        }
        if !self.terms.is_empty() {
            self.expression.push_str(" AND ");
        }
        self.expression.push('"');
        self.expression.push_str(&words.join(" "));
        self.expression.push('"');
        if prefix {
            self.expression.push('*');
        }
        self.terms.push(Term::new(&words, prefix));
    }
}

/// One page of visible matches, best first, each with its snippet, and how
/// many there are in all. Both come from one statement, so from one
/// snapshot, without the round trips of a transaction; the count is a
/// constant subquery, evaluated once. Only a page past the last match has
/// no row to carry the count, and asks for it again.
pub(crate) async fn search(
    db: &SqlitePool,
    query: &FtsQuery,
    now: OffsetDateTime,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Found> {
    let mut sql = QueryBuilder::new(
        "SELECT r.slug, r.title, r.film_title, r.film_year, r.rating_halves AS rating,
                r.published_at AS published, r.body_text, (",
    );
    push_count(&mut sql, query, now);
    sql.push(
        ") AS total, EXISTS (SELECT 1 FROM search_queue) AS incomplete
         FROM review_search JOIN reviews r ON r.id = review_search.rowid
         WHERE review_search MATCH ",
    )
    .push_bind(query.expression.clone())
    .push(" AND review_search.rank MATCH ")
    .push_bind(RANK)
    .push(" AND ");
    visible::push(&mut sql, "r", now);
    sql.push(" ORDER BY review_search.rank LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows: Vec<HitRow> = sql.build_query_as().fetch_all(db).await?;
    let (total, incomplete) = match rows.first() {
        Some(row) => (row.total, row.incomplete),
        None if offset == 0 => (0, self::incomplete(db).await?),
        None => (count(db, query, now).await?, self::incomplete(db).await?),
    };
    let hits = rows
        .into_iter()
        .map(|row| SearchHit {
            snippet: snippet::snippet(&row.body_text, &query.terms),
            slug: row.slug,
            title: row.title,
            film_title: row.film_title,
            film_year: row.film_year,
            rating: row.rating,
            published: row.published,
        })
        .collect();
    Ok(Found {
        total,
        hits,
        incomplete,
    })
}

/// How many visible reviews match. The visibility test reads the small
/// `reviews_visibility` index rather than the reviews' rows, which are
/// large (three copies of the text): for a word in every review that is
/// 10,000 index lookups instead of 10,000 scattered table pages.
pub async fn count(
    db: impl SqliteExecutor<'_>,
    query: &FtsQuery,
    now: OffsetDateTime,
) -> sqlx::Result<i64> {
    let mut sql = QueryBuilder::new("");
    push_count(&mut sql, query, now);
    sql.build_query_scalar().fetch_one(db).await
}

/// The statement that counts the visible matches (see `count`), also a
/// constant subquery of `search`.
fn push_count(sql: &mut QueryBuilder<Sqlite>, query: &FtsQuery, now: OffsetDateTime) {
    sql.push(
        "SELECT COUNT(*) FROM review_search AS every
         JOIN reviews v INDEXED BY reviews_visibility ON v.id = every.rowid
         WHERE every.review_search MATCH ",
    )
    .push_bind(query.expression.clone())
    .push(" AND ");
    visible::push(sql, "v", now);
}

/// Whether some visible or future reviews are not in the index yet: after a
/// first start on a large archive, for the second it takes to index it
/// (see `db::sync::Indexing::Deferred`).
pub(crate) async fn incomplete(db: impl SqliteExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_queue)")
        .fetch_one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A moment, in unix seconds: the tests' reviews are published at 0.
    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }
    use sqlx::SqlitePool;

    /// A review row with only what search reads.
    async fn insert(pool: &SqlitePool, slug: &str, title: &str, body: &str, draft: bool) {
        sqlx::query(
            "INSERT INTO reviews (source_path, slug, title, film_title, spoilers, draft,
                 published_at, summary, body_markdown, body_html, body_text, tags_text, modified_at)
             VALUES (?1, ?2, ?3, 'Film', 0, ?4, 0, '', ?5, ?5, ?5, '', 0)",
        )
        .bind(format!("reviews/{slug}.md"))
        .bind(slug)
        .bind(title)
        .bind(draft)
        .bind(body)
        .execute(pool)
        .await
        .unwrap();
        crate::db::reviews::index_queued(&mut pool.acquire().await.unwrap())
            .await
            .unwrap();
    }

    async fn assert_index_matches_reviews(pool: &SqlitePool) {
        sqlx::query("INSERT INTO review_search (review_search) VALUES ('integrity-check')")
            .execute(pool)
            .await
            .expect("the search index agrees with the reviews");
    }

    #[tokio::test]
    async fn edited_and_removed_reviews_leave_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("search.db"))
            .await
            .unwrap();
        insert(&pool, "a", "First", "About anora.", false).await;
        insert(&pool, "b", "Second", "About anora too.", false).await;
        let anora = fts_query("anora").unwrap();
        assert_eq!(count(&pool, &anora, at(10)).await.unwrap(), 2);

        let mut tx = pool.begin().await.unwrap();
        sqlx::query("UPDATE reviews SET body_text = 'About mikey.' WHERE slug = 'a'")
            .execute(&mut *tx)
            .await
            .unwrap();
        // Written and removed in one transaction, before being indexed.
        sqlx::query("UPDATE reviews SET body_text = 'Gone.' WHERE slug = 'b'")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("DELETE FROM reviews WHERE slug = 'b'")
            .execute(&mut *tx)
            .await
            .unwrap();
        crate::db::reviews::index_queued(&mut tx).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(count(&pool, &anora, at(10)).await.unwrap(), 0);
        let mikey = fts_query("mikey").unwrap();
        assert_eq!(count(&pool, &mikey, at(10)).await.unwrap(), 1);
        assert_index_matches_reviews(&pool).await;
    }

    #[tokio::test]
    async fn ranks_by_weighted_bm25_and_counts_only_visible_reviews() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("search.db"))
            .await
            .unwrap();
        insert(
            &pool,
            "in-body",
            "A quiet film",
            "Anora is mentioned once.",
            false,
        )
        .await;
        insert(
            &pool,
            "in-title",
            "Anora, at last",
            "A film about a wedding.",
            false,
        )
        .await;
        insert(&pool, "draft", "Anora again", "Anora, Anora.", true).await;
        insert(
            &pool,
            "elsewhere",
            "Something else",
            "No match here.",
            false,
        )
        .await;
        let query = fts_query("anora").unwrap();

        assert_eq!(count(&pool, &query, at(10)).await.unwrap(), 2);
        let Found { total, hits, .. } = search(&pool, &query, at(10), 20, 0).await.unwrap();
        assert_eq!(total, 2);
        let slugs: Vec<&str> = hits.iter().map(|hit| hit.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["in-title", "in-body"],
            "a title match outranks the body"
        );
        assert!(
            hits[1]
                .snippet
                .contains(&format!("{HIT_START}Anora{HIT_END}"))
        );
        let Found {
            total,
            hits: second_page,
            ..
        } = search(&pool, &query, at(10), 1, 1).await.unwrap();
        assert_eq!((total, second_page[0].slug.as_str()), (2, "in-body"));
        let Found {
            total,
            hits: past_the_end,
            ..
        } = search(&pool, &query, at(10), 20, 40).await.unwrap();
        assert_eq!((total, past_the_end.len()), (2, 0));
        let nothing = fts_query("absent").unwrap();
        assert_eq!(
            search(&pool, &nothing, at(10), 20, 0).await.unwrap().total,
            0
        );
        assert_index_matches_reviews(&pool).await;
    }

    fn expression(input: &str) -> Option<String> {
        fts_query(input).map(|query| query.expression)
    }

    #[test]
    fn the_snippets_get_the_same_terms_folded() {
        let query = fts_query("\"Big Apple\" Almodóvar anor*").unwrap();
        assert_eq!(
            query.terms,
            [
                Term::new(&["big", "apple"], false),
                Term::new(&["almodovar"], false),
                Term::new(&["anor"], true),
            ]
        );
    }

    #[test]
    fn words_become_quoted_terms() {
        assert_eq!(
            expression("sean baker").as_deref(),
            Some("\"sean\" AND \"baker\"")
        );
    }

    #[test]
    fn phrases_and_prefixes_survive() {
        assert_eq!(
            expression("\"Big Apple\" anor*").as_deref(),
            Some("\"Big Apple\" AND \"anor\"*")
        );
    }

    #[test]
    fn syntax_characters_are_neutralised() {
        assert_eq!(
            expression("NEAR(a b) -x col:y").as_deref(),
            Some("\"NEAR a\" AND \"b\" AND \"x\" AND \"col y\"")
        );
        assert_eq!(
            expression("\"unbalanced").as_deref(),
            Some("\"unbalanced\"")
        );
        assert_eq!(expression("*").as_deref(), None);
        assert_eq!(expression("  \"\" ** -- ").as_deref(), None);
        assert_eq!(expression("a*").as_deref(), Some("\"a\""));
    }
}
