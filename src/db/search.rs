//! Full-text search with SQLite FTS5, ranked by bm25.
//!
//! Readers type anything: quotes, stars, `NEAR`, a lone `-`. None of that may
//! reach FTS5 as syntax, so `fts_query` rebuilds the query from words and
//! quoted phrases, each quoted as an FTS5 string. The result is always a
//! valid FTS5 expression: a search can find nothing, but it cannot fail.

use sqlx::{AssertSqlSafe, FromRow, SqliteExecutor};

/// Marks a matched term in a snippet. Private-use characters cannot occur in
/// indexed text that matters to readers, and they are split out again before
/// rendering, so the snippet never carries markup through SQL.
pub const HIT_START: char = '\u{E000}';
pub const HIT_END: char = '\u{E001}';

/// bm25 weights per column: title, film title, director, tags, body.
const RANK: &str = "bm25(review_search, 8.0, 10.0, 6.0, 5.0, 1.0)";

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
    let sql = format!(
        "SELECT r.slug, r.title, r.film_title, r.film_year, r.rating_halves, r.published_at,
                snippet(review_search, -1, ?4, ?5, '…', 28) AS snippet
         FROM review_search JOIN reviews r ON r.id = review_search.rowid
         WHERE review_search MATCH ?1 AND r.draft = 0 AND r.published_at <= ?2
         ORDER BY {RANK} LIMIT ?3 OFFSET ?6"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(query)
        .bind(now)
        .bind(limit)
        .bind(HIT_START.to_string())
        .bind(HIT_END.to_string())
        .bind(offset)
        .fetch_all(db)
        .await
}

pub async fn count(db: impl SqliteExecutor<'_>, query: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_search JOIN reviews r ON r.id = review_search.rowid
         WHERE review_search MATCH ?1 AND r.draft = 0 AND r.published_at <= ?2",
    )
    .bind(query)
    .bind(now)
    .fetch_one(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::fts_query;

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
