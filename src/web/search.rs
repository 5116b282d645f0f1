//! `GET /search?q=...`: full-text search over the reviews, ranked, with a
//! highlighted snippet. Any input gets a page: the query is rebuilt into a
//! safe FTS5 expression (see `db::search`), and a database error is logged
//! and shown as an empty result rather than a 500.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, Section};
use super::respond::Page;
use crate::db;
use crate::db::search::{Found, HIT_END, HIT_START, SearchHit};
use crate::render::filters;
use crate::render::views::Stars;

/// Results per page.
const PER_PAGE: i64 = 20;
/// Longer queries are cut: nobody types more, and FTS work grows with it.
const MAX_QUERY_CHARS: usize = 200;

/// The query string, read as pairs so that no shape of it is refused: a
/// repeated `q` (a form with two boxes, a hand-edited URL) uses the first.
struct SearchQuery {
    q: String,
    page: Option<String>,
}

impl SearchQuery {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let first = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        Self {
            q: first("q").unwrap_or_default(),
            page: first("page"),
        }
    }
}

/// A stretch of snippet text, highlighted when it matched.
#[derive(Debug, Clone)]
struct Fragment {
    text: String,
    hit: bool,
}

struct ResultView {
    slug: String,
    title: String,
    film_title: String,
    film_year: Option<i32>,
    stars: Option<Stars>,
    published: time::OffsetDateTime,
    snippet: Vec<Fragment>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    query: String,
    /// The index is still being built: results may be missing.
    incomplete: bool,
    total: i64,
    results: Vec<ResultView>,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let params = SearchQuery::from_pairs(&pairs);
    let query: String = params.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let page = params
        .page
        .as_deref()
        .and_then(|page| page.parse::<i64>().ok())
        .filter(|page| (1..=500).contains(page))
        .unwrap_or(1);
    let now = state.clock.now();
    let found = match db::search::fts_query(&query) {
        None => None,
        Some(fts) => {
            match db::search::search(&state.db, &fts, now, PER_PAGE, (page - 1) * PER_PAGE).await {
                Ok(found) => Some(found),
                Err(error) => {
                    tracing::warn!(%error, query = %query, "search failed; showing no results");
                    None
                }
            }
        }
    };
    let Found {
        total,
        hits,
        incomplete,
    } = match found {
        Some(found) => found,
        None => Found {
            total: 0,
            hits: Vec::new(),
            incomplete: db::search::incomplete(&state.db).await?,
        },
    };
    let title = if query.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {query}")
    };
    let mut chrome =
        Chrome::with_kept_menu(&state, "/search", Some(&title), "Search the reviews.").await?;
    chrome.noindex = true;
    chrome.section = Section::Search;
    let link = |page: i64| {
        let q = form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>();
        format!("/search?q={q}&page={page}")
    };
    let view = SearchPage {
        prev: (page > 1).then(|| link(page - 1)),
        next: (page * PER_PAGE < total).then(|| link(page + 1)),
        chrome,
        query,
        incomplete,
        total,
        results: hits.into_iter().map(result_view).collect(),
        page,
    };
    Ok(Page::new(view).into_response())
}

fn result_view(hit: SearchHit) -> ResultView {
    ResultView {
        stars: hit.rating.map(Stars::from),
        published: hit.published,
        snippet: fragments(&hit.snippet),
        slug: hit.slug,
        title: hit.title,
        film_title: hit.film_title,
        film_year: hit.film_year,
    }
}

/// Splits a snippet at the hit markers put around matched terms.
fn fragments(snippet: &str) -> Vec<Fragment> {
    let mut fragments = Vec::new();
    let mut rest = snippet;
    while let Some(start) = rest.find(HIT_START) {
        if start > 0 {
            fragments.push(Fragment {
                text: rest[..start].to_string(),
                hit: false,
            });
        }
        let after = &rest[start + HIT_START.len_utf8()..];
        let end = after.find(HIT_END).unwrap_or(after.len());
        fragments.push(Fragment {
            text: after[..end].to_string(),
            hit: true,
        });
        rest = after.get(end + HIT_END.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        fragments.push(Fragment {
            text: rest.to_string(),
            hit: false,
        });
    }
    fragments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_at_markers() {
        let snippet = format!("a {HIT_START}Baker{HIT_END}’s {HIT_START}film{HIT_END}");
        let parts: Vec<(String, bool)> = fragments(&snippet)
            .into_iter()
            .map(|f| (f.text, f.hit))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("a ".into(), false),
                ("Baker".into(), true),
                ("’s ".into(), false),
                ("film".into(), true)
            ]
        );
        assert_eq!(fragments("plain").len(), 1);
    }
}
