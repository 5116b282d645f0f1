//! Films and lists a search names by title, shown above the reviews that
//! match: a reader who types a film's title wants its page, whether the
//! critic reviewed it, only logged it in the diary or only listed it, and
//! one who types a list's name wants the list.
//!
//! Neither goes through the search index, which holds reviews. A film is
//! found by the beginning of its slug: the search folded as a film's title
//! is (`content::film::film_slug`), with or without a leading article, so
//! "anora", "brutalist" and "perfect days" find `anora-2024`,
//! `the-brutalist-2024` and `perfect-days-2023`. That is a few probes of
//! the film-slug indexes of reviews, diary and lists, whatever the size of
//! the archive, which keeps searches within their budget (issue 13). Lists
//! are few, and are matched word by word on their title and description.
//! Both are subqueries of the statement that reads the results page's
//! reviews (`db::search::results`), so a search is one round trip.

use std::collections::HashSet;

use serde::Deserialize;
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;

use crate::db::diary::push_seen;
use crate::db::visible;

/// A film whose title begins with what was searched.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct FilmMatch {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
}

/// A list whose title or description has every word searched.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ListMatch {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) description: String,
    /// How many films it holds.
    pub(crate) films: i64,
}

/// What to look for by title, and how many of each to show.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TitleSearch<'a> {
    pub(crate) text: &'a str,
    pub(crate) films: i64,
    pub(crate) lists: usize,
}

/// Each source contributes at most this many rows before they are merged:
/// a search for "the" touches a bounded number of rows.
///
/// The limits here are written into the SQL, not bound: with them bound,
/// the results statement took 280 µs of SQLite's time on 10,000 reviews,
/// with them written 90 µs, for the same plan.
const PER_SOURCE: i64 = 100;

/// At most this many lists are read to be matched.
const LISTS_READ: i64 = 1_000;

/// Articles a reader leaves out of a title ("brutalist" for The Brutalist).
const ARTICLES: [&str; 3] = ["the", "a", "an"];

/// Appends a scalar subquery giving, as a JSON array, the films a reader
/// may see at `now` whose slugs begin with `text` folded, shortest (the
/// closest) first: named by a review where there is one, else by the
/// diary, else by a list. Read back with [`films_from`]. A subquery rather
/// than a statement of its own so that a results page is one round trip
/// to SQLite's thread (`db::search::results`): each costs about as much
/// as the query (BENCHMARKS.md, issue 13).
pub(crate) fn push_films(
    query: &mut QueryBuilder<Sqlite>,
    text: &str,
    now: OffsetDateTime,
    limit: i64,
) {
    let prefixes = prefixes(text);
    if prefixes.is_empty() {
        query.push("'[]'");
        return;
    }
    query.push(
        "(SELECT json_group_array(json_object('slug', slug, 'title', title, 'year', year)
                 ORDER BY length(slug), slug)
         FROM (SELECT film_slug AS slug, film_title AS title, film_year AS year, MIN(source)
         FROM (SELECT * FROM (SELECT f.film_slug, r.film_title, r.film_year, 0 AS source
             FROM review_films f JOIN reviews r INDEXED BY reviews_film_names
                 ON r.id = f.review_id WHERE ",
    );
    push_prefixes(query, "f.film_slug", &prefixes);
    query.push(" AND ");
    visible::push(query, "r", now);
    query.push(format!(" LIMIT {PER_SOURCE}"));
    query.push(
        ") UNION ALL SELECT * FROM (SELECT d.film_slug, d.film_title, d.film_year, 1
             FROM diary_entries d WHERE ",
    );
    push_prefixes(query, "d.film_slug", &prefixes);
    query.push(" AND ");
    push_seen(query, "d", now);
    query.push(format!(" LIMIT {PER_SOURCE}"));
    query.push(
        ") UNION ALL SELECT * FROM (SELECT i.film_slug, i.film_title, i.film_year, 2
             FROM list_items i JOIN lists l ON l.id = i.list_id WHERE ",
    );
    push_prefixes(query, "i.film_slug", &prefixes);
    query.push(" AND ");
    visible::push(query, "l", now);
    query.push(format!(" LIMIT {PER_SOURCE}"));
    query.push(format!(
        ")) GROUP BY film_slug ORDER BY length(film_slug), film_slug LIMIT {limit}))"
    ));
}

/// The films [`push_films`]'s subquery gave, in its order.
pub(crate) fn films_from(json: &str) -> Vec<FilmMatch> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The slug beginnings `text` stands for: itself folded, and with each
/// article before it unless it has one. Empty when nothing is left to
/// match, or only an article (every "the-…" film is no answer).
fn prefixes(text: &str) -> Vec<String> {
    let folded = slug::slugify(text);
    if folded.is_empty() || ARTICLES.contains(&folded.as_str()) {
        return Vec::new();
    }
    let has_article = ARTICLES
        .iter()
        .any(|article| folded.starts_with(&format!("{article}-")));
    let mut prefixes = vec![folded.clone()];
    if !has_article {
        prefixes.extend(ARTICLES.iter().map(|article| format!("{article}-{folded}")));
    }
    prefixes
}

/// `(column = p OR column BETWEEN 'p-' AND 'p.') OR …`: the slug is the
/// prefix itself or goes on after a hyphen, so "anora" finds `anora-2024`
/// but not `anorak-1999`. Slugs are ASCII letters, digits and hyphens, and
/// `.` sorts just after `-`: each arm is a range of the column's index.
fn push_prefixes(query: &mut QueryBuilder<Sqlite>, column: &'static str, prefixes: &[String]) {
    query.push("(");
    for (n, prefix) in prefixes.iter().enumerate() {
        if n > 0 {
            query.push(" OR ");
        }
        query
            .push(format!("{column} = "))
            .push_bind(prefix.clone())
            .push(format!(" OR ({column} > "))
            .push_bind(format!("{prefix}-"))
            .push(format!(" AND {column} < "))
            .push_bind(format!("{prefix}."))
            .push(")");
    }
    query.push(")");
}

/// Appends a scalar subquery giving, as a JSON array, the newest lists a
/// reader may see at `now` (at most `LISTS_READ`); [`lists_from`] keeps
/// those that match. One subquery of the results statement, as
/// [`push_films`] is.
pub(crate) fn push_lists(query: &mut QueryBuilder<Sqlite>, now: OffsetDateTime) {
    query.push(
        "(SELECT json_group_array(json_object('slug', l.slug, 'title', l.title,
             'description', l.description,
             'films', (SELECT COUNT(*) FROM list_items i WHERE i.list_id = l.id))
                 ORDER BY l.published_at DESC, l.slug)
         FROM (SELECT * FROM lists l WHERE ",
    );
    visible::push(query, "l", now);
    query.push(format!(
        " ORDER BY l.published_at DESC, l.slug LIMIT {LISTS_READ}) l)"
    ));
}

/// The lists of [`push_lists`]'s subquery whose title and description
/// hold every word of `text` (the last may be the beginning of a word, as
/// it is still being typed), newest first, at most `limit`.
pub(crate) fn lists_from(json: &str, text: &str, limit: usize) -> Vec<ListMatch> {
    let folded = slug::slugify(text);
    let words: Vec<&str> = folded.split('-').filter(|word| !word.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    serde_json::from_str::<Vec<ListMatch>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter(|list| has_words(&format!("{} {}", list.title, list.description), &words))
        .take(limit)
        .collect()
}

/// Whether `text` folded holds each of `words`, the last as a word or the
/// beginning of one.
fn has_words(text: &str, words: &[&str]) -> bool {
    let folded = slug::slugify(text);
    let own: HashSet<&str> = folded.split('-').collect();
    let Some((last, whole)) = words.split_last() else {
        return false;
    };
    whole.iter().all(|word| own.contains(word)) && own.iter().any(|own| own.starts_with(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_looked_for_with_and_without_its_article() {
        assert_eq!(
            prefixes("Perfect Days"),
            [
                "perfect-days",
                "the-perfect-days",
                "a-perfect-days",
                "an-perfect-days"
            ]
        );
        assert_eq!(prefixes("The Brutalist"), ["the-brutalist"]);
        assert_eq!(
            prefixes("  L’Été!  "),
            ["l-ete", "the-l-ete", "a-l-ete", "an-l-ete"]
        );
    }

    #[test]
    fn an_article_or_punctuation_alone_looks_for_no_film() {
        assert!(prefixes("the").is_empty());
        assert!(prefixes("An").is_empty());
        assert!(prefixes("?!").is_empty());
        assert!(prefixes("").is_empty());
    }

    #[test]
    fn a_list_needs_every_word_and_the_last_may_be_unfinished() {
        let text = "Best of 2024: ten films that stayed";
        assert!(has_words(text, &["best", "2024"]));
        assert!(has_words(text, &["best", "sta"]));
        assert!(!has_words(text, &["bes", "2024"]));
        assert!(!has_words(text, &["worst"]));
        assert!(!has_words(text, &[]));
    }
}
