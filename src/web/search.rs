//! `GET /search?q=...`: full-text search over the reviews, ranked, with a
//! highlighted snippet. Any input gets a page: the engine reads any text as
//! words and phrases (`crate::search`), and an engine error is logged and
//! shown as an empty result rather than a 500.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, Section};
use super::respond::Page;
use crate::content::rating::Rating;
use crate::db;
use crate::db::changes::SurrogateKey;
use crate::db::search::snippet::Term;
use crate::db::search::titles::{FilmMatch, ListMatch, TitleSearch};
use crate::db::search::{HIT_END, HIT_START, Results, SearchHit};
use crate::render::filters;
use crate::render::views::{PosterView, Stars, tint};
use crate::search::{Facets, Filters, MAX_TERMS, Outcome, Request};

/// Results per page.
const PER_PAGE: usize = 20;
/// Pages past this one are not asked for: 200,000 results deep.
const MAX_PAGE: usize = 10_000;
/// How long a search waits for the index to take a sync's changes (a few
/// milliseconds for an edit) before answering without them, saying so.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);
/// Longer queries are cut: nobody types more.
const MAX_QUERY_CHARS: usize = 200;
/// The query parameters a search reads (see `web::QUERY_PARAMETERS`).
pub(crate) const PARAMETERS: &[&str] = &["q", "tag", "rating", "year", "decade", "page", "exact"];
/// Pages listed on each side of the current one.
const PAGE_WINDOW: usize = 2;

/// The query string, read as pairs so that no shape of it is refused: a
/// repeated parameter (a form with two boxes, a hand-edited URL) uses its
/// first value, and a filter whose value makes no sense is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SearchQuery {
    q: String,
    filters: Filters,
    /// A rating filter as written in the address (`3.5`).
    rating: Option<String>,
    exact: bool,
}

impl SearchQuery {
    /// Reads the first of each of `PARAMETERS`; any other is ignored.
    fn from_pairs(pairs: &[(String, String)]) -> (Self, Option<String>) {
        let first = |name: &str| {
            debug_assert!(PARAMETERS.contains(&name), "{name} is read: list it");
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.trim())
        };
        let rating = first("rating")
            .and_then(|stars| stars.parse::<f64>().ok())
            .and_then(Rating::from_stars);
        let query = Self {
            q: first("q")
                .unwrap_or_default()
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect(),
            filters: Filters {
                tag: first("tag").filter(|tag| is_slug(tag)).map(str::to_string),
                rating: rating.map(|rating| u64::from(rating.halves())),
                year: first("year")
                    .and_then(|year| year.parse::<u64>().ok())
                    .filter(|year| (1000..=9999).contains(year)),
                decade: first("decade").and_then(decade),
            },
            rating: rating.map(Rating::stars_label),
            exact: first("exact") == Some("1"),
        };
        (query, first("page").map(str::to_string))
    }

    /// This search's address, on `page`.
    fn href(&self, page: usize) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        url.append_pair("q", &self.q);
        if let Some(tag) = &self.filters.tag {
            url.append_pair("tag", tag);
        }
        if let Some(rating) = &self.rating {
            url.append_pair("rating", rating);
        }
        if let Some(year) = self.filters.year {
            url.append_pair("year", &year.to_string());
        }
        if let Some(decade) = self.filters.decade {
            url.append_pair("decade", &format!("{decade}s"));
        }
        if self.exact {
            url.append_pair("exact", "1");
        }
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        format!("/search?{}", url.finish())
    }

    /// The same search with `change` made to it, from its first page.
    fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut changed = self.clone();
        change(&mut changed);
        changed.href(1)
    }
}

/// Whether `text` may be a tag's slug (lower-case letters, digits and
/// hyphens); anything else cannot match a tag.
fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || !c.is_ascii())
}

/// `1970s` as 1970.
fn decade(text: &str) -> Option<u64> {
    let year: u64 = text.strip_suffix('s')?.parse().ok()?;
    ((1000..=9990).contains(&year) && year.is_multiple_of(10)).then_some(year)
}

/// A stretch of snippet text, highlighted when it matched.
#[derive(Debug, Clone)]
struct Fragment {
    text: String,
    hit: bool,
}

struct ResultView {
    slug: String,
    /// The poster thumbnail; `None` shows the placeholder, as on cards.
    poster: Option<PosterView>,
    tint: u8,
    title: String,
    film_title: String,
    film_year: Option<i32>,
    stars: Option<Stars>,
    published: time::OffsetDateTime,
    snippet: Vec<Fragment>,
}

/// A count beside the results: a link that adds its filter, or the filter
/// chosen, with a link that removes it.
struct FacetLink {
    label: String,
    count: usize,
    href: String,
    chosen: bool,
}

struct FacetGroup {
    heading: &'static str,
    links: Vec<FacetLink>,
}

/// A filter in force, and the search without it.
struct ChosenFilter {
    label: String,
    remove: String,
}

/// A link in the numbered pages; `None` for the gap between two runs.
struct PageLink {
    number: Option<usize>,
    href: String,
    current: bool,
}

/// A typo correction: the search shown (or suggested), and the search for
/// what was typed.
struct CorrectionView {
    text: String,
    href: String,
    applied: bool,
    /// The search for exactly what was typed.
    original: String,
}

/// A film or a list whose title the search names.
struct TitleLink {
    href: String,
    title: String,
    /// A film's year.
    year: Option<i32>,
    /// How many films a list holds.
    films: Option<i64>,
}

impl TitleLink {
    fn film(film: FilmMatch) -> Self {
        Self {
            href: super::urls::film(&film.slug),
            year: film.year,
            films: None,
            title: film.title,
        }
    }

    fn list(list: ListMatch) -> Self {
        Self {
            href: super::urls::list(&list.slug),
            year: None,
            films: Some(list.films),
            title: list.title,
        }
    }
}

/// How many films and lists the first page names above the reviews.
const FILMS_SHOWN: i64 = 6;
const LISTS_SHOWN: usize = 4;

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    /// Films and lists named by the search: on the first page of an
    /// unfiltered search only.
    films: Vec<TitleLink>,
    lists: Vec<TitleLink>,
    chrome: Chrome,
    query: String,
    /// The index is still being built: results may be missing.
    incomplete: bool,
    total: usize,
    results: Vec<ResultView>,
    correction: Option<CorrectionView>,
    /// Distinct terms past `MAX_TERMS`, left out.
    ignored: usize,
    max_terms: usize,
    facets: Vec<FacetGroup>,
    chosen: Vec<ChosenFilter>,
    pages: Vec<PageLink>,
    prev: Option<String>,
    next: Option<String>,
    page: usize,
    last_page: usize,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (params, page) = SearchQuery::from_pairs(&pairs);
    let page = page
        .as_deref()
        .and_then(|page| page.parse::<usize>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    if page > MAX_PAGE {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let query = params.q.trim().to_string();
    let request = Request {
        text: query.clone(),
        filters: params.filters.clone(),
        page,
        per_page: PER_PAGE,
        exact: params.exact,
    };
    let outcome = find(&state, request, now).await;
    let last_page = outcome.total.div_ceil(PER_PAGE).max(1);
    // Past the last page is not found, as in listings; an empty query is
    // the search form, whatever its page.
    if page > last_page && !query.is_empty() {
        return Err(AppError::NotFound);
    }
    let terms: Vec<Term> = outcome
        .terms
        .iter()
        .map(|term| {
            let words: Vec<&str> = term.words.iter().map(String::as_str).collect();
            Term::new(&words, term.prefix)
        })
        .collect();
    let mut slugs: Vec<&str> = outcome
        .facets
        .tags
        .iter()
        .map(|(slug, _)| slug.as_str())
        .collect();
    slugs.extend(params.filters.tag.as_deref());
    // Films and lists named by the search are shown above the first page
    // of an unfiltered search.
    let searched = match &outcome.correction {
        Some(correction) if correction.applied => correction.text.as_str(),
        _ => query.as_str(),
    };
    let titles = (page == 1 && params.filters == Filters::default() && !searched.is_empty())
        .then_some(TitleSearch {
            text: searched,
            films: FILMS_SHOWN,
            lists: LISTS_SHOWN,
        });
    let Results {
        hits,
        incomplete,
        tag_names,
        films,
        lists,
    } = db::search::results(&state.db, &outcome.ids, &terms, &slugs, titles, now).await?;
    let incomplete = incomplete || !state.search.is_available();
    let films = films.into_iter().map(TitleLink::film).collect();
    let lists = lists.into_iter().map(TitleLink::list).collect();
    let title = if query.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {query}")
    };
    let mut chrome =
        Chrome::with_kept_menu(&state, "/search", Some(&title), "Search the reviews.").await?;
    chrome.noindex = true;
    chrome.section = Section::Search;
    let view = SearchPage {
        films,
        lists,
        prev: (page > 1).then(|| params.href(page - 1)),
        next: (page < last_page).then(|| params.href(page + 1)),
        pages: numbered_pages(&params, page, last_page),
        facets: if query.is_empty() {
            Vec::new()
        } else {
            facet_groups(&params, &outcome.facets, &tag_names)
        },
        chosen: chosen_filters(&params, &tag_names),
        correction: outcome
            .correction
            .as_ref()
            .map(|correction| CorrectionView {
                href: params.with(|search| {
                    search.q.clone_from(&correction.text);
                    search.exact = false;
                }),
                text: correction.text.clone(),
                applied: correction.applied,
                original: params.with(|search| search.exact = true),
            }),
        ignored: outcome.ignored,
        max_terms: MAX_TERMS,
        chrome,
        query,
        incomplete,
        total: outcome.total,
        results: hits.into_iter().map(result_view).collect(),
        page,
        last_page,
    };
    Ok(Page::new(view)
        .shows([SurrogateKey::Catalog, SurrogateKey::Search])
        .into_response())
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

/// The first page, the last, and a window around the current one, with
/// gaps between.
fn numbered_pages(params: &SearchQuery, page: usize, last: usize) -> Vec<PageLink> {
    if last <= 1 {
        return Vec::new();
    }
    let mut links = Vec::new();
    let mut previous = 0;
    for number in 1..=last {
        let near = number.abs_diff(page) <= PAGE_WINDOW;
        if number != 1 && number != last && !near {
            continue;
        }
        if number > previous + 1 {
            links.push(PageLink {
                number: None,
                href: String::new(),
                current: false,
            });
        }
        links.push(PageLink {
            number: Some(number),
            href: params.href(number),
            current: number == page,
        });
        previous = number;
    }
    links
}

/// The facets as the page lists them: each count a link adding its filter,
/// the chosen one marked.
fn facet_groups(
    params: &SearchQuery,
    facets: &Facets,
    tag_names: &HashMap<String, String>,
) -> Vec<FacetGroup> {
    let filters = &params.filters;
    let tags = facets
        .tags
        .iter()
        .map(|(slug, count)| FacetLink {
            label: tag_names.get(slug).cloned().unwrap_or_else(|| slug.clone()),
            count: *count,
            href: params.with(|search| search.filters.tag = Some(slug.clone())),
            chosen: filters.tag.as_ref() == Some(slug),
        })
        .collect();
    let ratings = facets
        .ratings
        .iter()
        .map(|(halves, count)| {
            let stars = halves / 2;
            FacetLink {
                label: if stars == 5 {
                    "5 stars".to_string()
                } else {
                    at_least(&stars.to_string())
                },
                count: *count,
                href: params.with(|search| {
                    search.filters.rating = Some(*halves);
                    search.rating = Some(stars.to_string());
                }),
                chosen: filters.rating == Some(*halves),
            }
        })
        .collect();
    let years = facets
        .years
        .iter()
        .map(|(year, count)| FacetLink {
            label: year.to_string(),
            count: *count,
            href: params.with(|search| search.filters.year = Some(*year)),
            chosen: filters.year == Some(*year),
        })
        .collect();
    let decades = facets
        .decades
        .iter()
        .map(|(decade, count)| FacetLink {
            label: format!("{decade}s"),
            count: *count,
            href: params.with(|search| search.filters.decade = Some(*decade)),
            chosen: filters.decade == Some(*decade),
        })
        .collect();
    [
        ("Tags", tags),
        ("Rating", ratings),
        ("Decade", decades),
        ("Year", years),
    ]
    .into_iter()
    .filter(|(_, links): &(&str, Vec<FacetLink>)| !links.is_empty())
    .map(|(heading, links)| FacetGroup { heading, links })
    .collect()
}

/// "3.5 stars and up", "1 star and up".
fn at_least(stars: &str) -> String {
    let noun = if stars == "1" { "star" } else { "stars" };
    format!("{stars} {noun} and up")
}

/// The filters in force, each with the search without it.
fn chosen_filters(params: &SearchQuery, tag_names: &HashMap<String, String>) -> Vec<ChosenFilter> {
    let mut chosen = Vec::new();
    if let Some(tag) = &params.filters.tag {
        chosen.push(ChosenFilter {
            label: format!(
                "Tag: {}",
                tag_names.get(tag).cloned().unwrap_or_else(|| tag.clone())
            ),
            remove: params.with(|search| search.filters.tag = None),
        });
    }
    if let Some(rating) = &params.rating {
        chosen.push(ChosenFilter {
            label: format!("Rating: {}", at_least(rating)),
            remove: params.with(|search| {
                search.filters.rating = None;
                search.rating = None;
            }),
        });
    }
    if let Some(decade) = params.filters.decade {
        chosen.push(ChosenFilter {
            label: format!("Decade: {decade}s"),
            remove: params.with(|search| search.filters.decade = None),
        });
    }
    if let Some(year) = params.filters.year {
        chosen.push(ChosenFilter {
            label: format!("Year: {year}"),
            remove: params.with(|search| search.filters.year = None),
        });
    }
    chosen
}

fn result_view(hit: SearchHit) -> ResultView {
    let url = super::urls::poster(hit.poster.as_deref(), hit.asset_base.as_deref());
    ResultView {
        poster: PosterView::new(url, &hit.poster_facts),
        tint: tint(&hit.film_title),
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

    fn pairs(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect()
    }

    #[test]
    fn filters_that_make_no_sense_are_left_out_and_the_rest_round_trip() {
        let (read, page) = SearchQuery::from_pairs(&pairs(
            "q=film&tag=New+York&rating=4.3&year=99&decade=1975s&page=x",
        ));
        assert_eq!(read.filters, Filters::default());
        assert_eq!(page.as_deref(), Some("x"));
        let (read, _) = SearchQuery::from_pairs(&pairs(
            "q=big+apple&tag=new-york&rating=3.5&year=1971&decade=1970s&exact=1&tag=other",
        ));
        assert_eq!(
            read.filters,
            Filters {
                tag: Some("new-york".into()),
                rating: Some(7),
                year: Some(1971),
                decade: Some(1970),
            }
        );
        assert_eq!(
            read.href(2),
            "/search?q=big+apple&tag=new-york&rating=3.5&year=1971&decade=1970s&exact=1&page=2"
        );
        assert_eq!(SearchQuery::from_pairs(&pairs(&read.href(2)[8..])).0, read);
    }

    #[test]
    fn numbered_pages_keep_the_ends_and_a_window() {
        let params = SearchQuery::default();
        let shown = |page, last| -> Vec<Option<usize>> {
            numbered_pages(&params, page, last)
                .into_iter()
                .map(|link| link.number)
                .collect()
        };
        assert!(shown(1, 1).is_empty());
        assert_eq!(shown(1, 3), [Some(1), Some(2), Some(3)]);
        assert_eq!(
            shown(6, 20),
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(20)
            ]
        );
    }

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
