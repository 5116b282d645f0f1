//! Full-text search with SQLite FTS5, ranked by bm25.
//!
//! Readers type anything: quotes, stars, `NEAR`, a lone `-`. None of that may
//! reach FTS5 as syntax, so `fts_query` rebuilds the query from words and
//! quoted phrases, each quoted as an FTS5 string. The result is always a
//! valid FTS5 expression: a search can find nothing, but it cannot fail.

use sqlx::{FromRow, SqliteExecutor};

/// Marks a matched term in a snippet. Private-use characters cannot occur in
/// indexed text that matters to readers, and they are split out again before
/// rendering, so the snippet never carries markup through SQL.
pub const HIT_START: char = '\u{E000}';
pub const HIT_END: char = '\u{E001}';

/// bm25 weights per column: title, film title, director, tags, body. Given
/// to FTS5 as its `rank`, so that `ORDER BY rank` is done inside FTS5: then
/// SQLite needs no sort of its own, stops at the LIMIT, and computes
/// `snippet()` for the twenty rows shown. Ordering by a `bm25(...)`
/// expression instead made SQLite build a snippet for every match before
/// sorting: 40 req/s for a word found in every review.
const RANK: &str = "bm25(8.0, 10.0, 6.0, 5.0, 1.0)";

#[derive(Debug, Clone, FromRow)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i64>,
    pub rating_halves: Option<i64>,
    pub published_at: i64,
    pub snippet: String,
}

/// Turns what a reader typed into a safe FTS5 query: `"two words"` stays a
/// phrase, a trailing `*` stays a prefix search, everything else is a term.
/// Terms are ANDed. Returns `None` when nothing searchable is left.
pub fn fts_query(input: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let (phrase, remainder) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            push_term(&mut terms, phrase, false);
            rest = remainder.trim_start();
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let prefix = word.ends_with('*') && word.trim_end_matches('*').chars().count() >= 2;
        push_term(&mut terms, word, prefix);
        rest = rest[end..].trim_start();
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Adds a term if it has anything the tokenizer would index.
fn push_term(terms: &mut Vec<String>, text: &str, prefix: bool) {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() || terms.len() >= 16 {
        return;
    }
    let mut term = format!("\"{}\"", words.join(" "));
    if prefix {
        term.push('*');
    }
    terms.push(term);
}

pub async fn search(
    db: impl SqliteExecutor<'_>,
    query: &str,
    now: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<SearchHit>> {
    sqlx::query_as(
        "SELECT r.slug, r.title, r.film_title, r.film_year, r.rating_halves, r.published_at,
                snippet(review_search, -1, ?4, ?5, '…', 28) AS snippet
         FROM review_search JOIN reviews r ON r.id = review_search.rowid
         WHERE review_search MATCH ?1 AND review_search.rank MATCH ?7
             AND r.draft = 0 AND r.published_at <= ?2
         ORDER BY review_search.rank LIMIT ?3 OFFSET ?6",
    )
    .bind(query)
    .bind(now)
    .bind(limit)
    .bind(HIT_START.to_string())
    .bind(HIT_END.to_string())
    .bind(offset)
    .bind(RANK)
    .fetch_all(db)
    .await
}

/// How many visible reviews match. The visibility test reads the small
/// `reviews_visibility` index rather than the reviews' rows, which are
/// large (three copies of the text): for a word in every review that is
/// 10,000 index lookups instead of 10,000 scattered table pages.
pub async fn count(db: impl SqliteExecutor<'_>, query: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_search
         JOIN reviews r INDEXED BY reviews_visibility ON r.id = review_search.rowid
         WHERE review_search MATCH ?1 AND r.draft = 0 AND r.published_at <= ?2",
    )
    .bind(query)
    .bind(now)
    .fetch_one(db)
    .await
}

/// Whether some visible or future reviews are not in the index yet: after a
/// first start on a large archive, for the second it takes to index it
/// (see `content::sync::Indexing::Deferred`).
pub async fn incomplete(db: impl SqliteExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_queue)")
        .fetch_one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(count(&pool, &anora, 10).await.unwrap(), 2);

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

        assert_eq!(count(&pool, &anora, 10).await.unwrap(), 0);
        let mikey = fts_query("mikey").unwrap();
        assert_eq!(count(&pool, &mikey, 10).await.unwrap(), 1);
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

        assert_eq!(count(&pool, &query, 10).await.unwrap(), 2);
        let hits = search(&pool, &query, 10, 20, 0).await.unwrap();
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
        let second_page = search(&pool, &query, 10, 1, 1).await.unwrap();
        assert_eq!(second_page[0].slug, "in-body");
        assert_index_matches_reviews(&pool).await;
    }

    #[test]
    fn words_become_quoted_terms() {
        assert_eq!(
            fts_query("sean baker").as_deref(),
            Some("\"sean\" AND \"baker\"")
        );
    }

    #[test]
    fn phrases_and_prefixes_survive() {
        assert_eq!(
            fts_query("\"Big Apple\" anor*").as_deref(),
            Some("\"Big Apple\" AND \"anor\"*")
        );
    }

    #[test]
    fn syntax_characters_are_neutralised() {
        assert_eq!(
            fts_query("NEAR(a b) -x col:y").as_deref(),
            Some("\"NEAR a\" AND \"b\" AND \"x\" AND \"col y\"")
        );
        assert_eq!(fts_query("\"unbalanced").as_deref(), Some("\"unbalanced\""));
        assert_eq!(fts_query("*").as_deref(), None);
        assert_eq!(fts_query("  \"\" ** -- ").as_deref(), None);
        assert_eq!(fts_query("a*").as_deref(), Some("\"a\""));
    }
}
