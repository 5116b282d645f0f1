//! `GET /search?q=...`: full-text search over the reviews, ranked, with a
//! highlighted snippet. Any input gets a page: the engine reads any text as
//! words and phrases (`crate::search`), and an engine error is logged and
//! shown as an empty result rather than a 500.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, Section};
use super::respond::Page;
use crate::db;
use crate::db::search::snippet::Term;
use crate::db::search::{HIT_END, HIT_START, SearchHit};
use crate::render::filters;
use crate::render::views::Stars;
use crate::search::{Outcome, Request};

/// Results per page.
const PER_PAGE: usize = 20;
/// How long a search waits for the index to take a sync's changes (a few
/// milliseconds for an edit) before answering without them, saying so.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);
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
    total: usize,
    results: Vec<ResultView>,
    page: usize,
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
        .and_then(|page| page.parse::<usize>().ok())
        .filter(|page| (1..=500).contains(page))
        .unwrap_or(1);
    let now = state.clock.now();
    let request = Request {
        text: query.clone(),
        page,
        per_page: PER_PAGE,
        ..Request::default()
    };
    let outcome = find(&state, request, now).await;
    let terms: Vec<Term> = outcome
        .terms
        .iter()
        .map(|term| {
            let words: Vec<&str> = term.words.iter().map(String::as_str).collect();
            Term::new(&words, term.prefix)
        })
        .collect();
    let hits = db::search::hits(&state.db, &outcome.ids, &terms, now).await?;
    let incomplete = !state.search.is_available() || db::search::incomplete(&state.db).await?;
    let total = outcome.total;
    let title = if query.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {query}")
    };
    let mut chrome =
        Chrome::with_kept_menu(&state, "/search", Some(&title), "Search the reviews.").await?;
    chrome.noindex = true;
    chrome.section = Section::Search;
    let link = |page: usize| {
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

/// Asks the engine, off the async threads (a search is CPU work); an empty
/// query asks nothing, and an engine error is logged and shown as no
/// results.
async fn find(state: &AppState, request: Request, now: time::OffsetDateTime) -> Outcome {
    if request.text.is_empty() {
        return Outcome::default();
    }
    // A sync that has committed may still be feeding the index: its
    // reviews' pages are live, so wait (briefly) for search to have them.
    let _ = tokio::time::timeout(SETTLE, state.search.settled()).await;
    let index = state.search.clone();
    let text = request.text.clone();
    let asked =
        tokio::task::spawn_blocking(move || index.search(&request, now.unix_timestamp())).await;
    match asked {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            tracing::warn!(%error, query = %text, "search failed; showing no results");
            Outcome::default()
        }
        Err(error) => {
            tracing::error!(%error, query = %text, "search task failed; showing no results");
            Outcome::default()
        }
    }
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
