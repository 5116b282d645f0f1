//! Ways to find a review: the newest first, by tag, by rating, by the
//! film's year, by director, and the numbers on the stats page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::SqliteConnection;

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, FeedLink, Section};
use super::respond::Page;
use super::{modified, urls};
use crate::content::review::Rating;
use crate::db;
use crate::db::reviews::{Listing, TagCount};
use crate::render::filters;
use crate::render::views::{Card, PosterView, Stars};

/// Page links for a paginated listing (`partials/pagination.html`).
#[derive(Debug, Clone)]
pub(crate) struct Pagination {
    pub(crate) page: i64,
    pub(crate) pages: i64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
}

impl Pagination {
    /// Page `page` of `pages` of the listing at `base`.
    pub(crate) fn new(base: &str, page: i64, pages: i64) -> Self {
        Self {
            page,
            pages,
            prev: (page > 1).then(|| page_path(base, page - 1)),
            next: (page < pages).then(|| page_path(base, page + 1)),
        }
    }
}

#[derive(Template)]
#[template(path = "browse/list.html")]
struct ListPage {
    chrome: Chrome,
    heading: String,
    /// A line under the heading ("12 reviews").
    intro: String,
    cards: Vec<Card>,
    pagination: Pagination,
    /// The home page introduces the site; other listings do not.
    is_home: bool,
}

/// What a listing is about, for its heading and title.
struct ListingInfo {
    listing: Listing,
    /// `/tags/drama`: page n lives at `{base}/page/{n}`.
    base: String,
    heading: String,
    title: Option<String>,
    description: String,
    feeds: Vec<FeedLink>,
}

/// The query parameters `home` reads (see `web::QUERY_PARAMETERS`).
pub(crate) const HOME_PARAMETERS: &[&str] = &["page"];

#[derive(Deserialize)]
pub(crate) struct HomeQuery {
    page: Option<String>,
}

/// `GET /` (and `/?page=2`, which redirects to the canonical `/page/2`).
pub(crate) async fn home(
    State(state): State<AppState>,
    Query(query): Query<HomeQuery>,
) -> Result<Response, AppError> {
    if let Some(page) = query.page {
        let page = parse_page(&page)?;
        return Ok(Redirect::permanent(&page_path("", page)).into_response());
    }
    home_listing(&state, 1).await
}

/// `GET /page/{n}`
pub(crate) async fn home_page(
    State(state): State<AppState>,
    Path(page): Path<String>,
) -> Result<Response, AppError> {
    let page = parse_page(&page)?;
    if page == 1 {
        return Ok(Redirect::permanent("/").into_response());
    }
    home_listing(&state, page).await
}

async fn home_listing(state: &AppState, page: i64) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let site = state.site.get();
    let info = ListingInfo {
        listing: Listing::All,
        base: String::new(),
        heading: "Latest reviews".into(),
        title: (page > 1).then(|| "Latest reviews".to_string()),
        description: site.tagline.clone(),
        feeds: Vec::new(),
    };
    render_listing(state, &mut tx, info, page, true).await
}

/// `GET /tags/{tag}` and `/tags/{tag}/page/{n}`
pub(crate) async fn tag(
    State(state): State<AppState>,
    Path(params): Path<Vec<String>>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let (slug, page) = slug_and_page(params)?;
    let name = db::reviews::tag_name(&mut *tx, state.clock.now(), &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let site = state.site.get();
    let base = urls::tag(&slug);
    let info = ListingInfo {
        feeds: vec![
            FeedLink {
                mime: "application/rss+xml",
                title: format!("{} — {name} (RSS)", site.title),
                href: format!("{base}/feed.xml"),
            },
            FeedLink {
                mime: "application/atom+xml",
                title: format!("{} — {name} (Atom)", site.title),
                href: format!("{base}/atom.xml"),
            },
        ],
        listing: Listing::Tag(slug.clone()),
        heading: format!("Tagged “{name}”"),
        title: Some(format!("Reviews tagged “{name}”")),
        description: format!("Film reviews tagged {name} on {}.", site.title),
        base,
    };
    render_listing(&state, &mut tx, info, page, false).await
}

/// `GET /ratings/{stars}`: `4.5`, `5`.
pub(crate) async fn rating(
    State(state): State<AppState>,
    Path(params): Path<Vec<String>>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let (stars, page) = slug_and_page(params)?;
    let rating = stars
        .parse::<f64>()
        .ok()
        .and_then(Rating::from_stars)
        .filter(|rating| rating.stars_label() == stars)
        .ok_or(AppError::NotFound)?;
    let label = Stars::from(rating).label;
    let info = ListingInfo {
        listing: Listing::Rating(rating),
        base: urls::rating(&stars),
        heading: format!("Rated {} ({label})", rating.glyphs()),
        title: Some(format!("Films rated {label}")),
        description: format!("Every film rated {label}."),
        feeds: Vec::new(),
    };
    render_listing(&state, &mut tx, info, page, false).await
}

/// `GET /films/{year}`: reviews of films released that year.
pub(crate) async fn film_year(
    State(state): State<AppState>,
    Path(params): Path<Vec<String>>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let (year, page) = slug_and_page(params)?;
    let year_value: i32 = year
        .parse()
        .ok()
        .filter(|y: &i32| (1870..=2200).contains(y) && y.to_string() == year)
        .ok_or(AppError::NotFound)?;
    let info = ListingInfo {
        listing: Listing::FilmYear(year_value),
        base: urls::film_year(&year),
        heading: format!("Films of {year}"),
        title: Some(format!("Reviews of films from {year}")),
        description: format!("Reviews of films released in {year}."),
        feeds: Vec::new(),
    };
    render_listing(&state, &mut tx, info, page, false).await
}

/// `GET /directors/{slug}`
pub(crate) async fn director(
    State(state): State<AppState>,
    Path(params): Path<Vec<String>>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let (slug, page) = slug_and_page(params)?;
    let name = db::reviews::director_name(&mut *tx, state.clock.now(), &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let info = ListingInfo {
        listing: Listing::Director(slug.clone()),
        base: urls::director(&slug),
        heading: format!("Directed by {name}"),
        title: Some(format!("Films directed by {name}")),
        description: format!("Reviews of films directed by {name}."),
        feeds: Vec::new(),
    };
    render_listing(&state, &mut tx, info, page, false).await
}

async fn render_listing(
    state: &AppState,
    tx: &mut SqliteConnection,
    info: ListingInfo,
    page: i64,
    is_home: bool,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let per_page = i64::from(state.site.get().per_page);
    let total = db::reviews::count(&mut *tx, now, &info.listing).await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let rows = db::reviews::list(
        &mut *tx,
        now,
        &info.listing,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let path = page_path(&info.base, page);
    let title = match (&info.title, page) {
        (Some(title), 1) => Some(title.clone()),
        (Some(title), n) => Some(format!("{title}, page {n}")),
        (None, _) => None,
    };
    let mut chrome = Chrome::new(state, tx, &path, title.as_deref(), &info.description).await?;
    chrome.feeds.extend(info.feeds);
    if is_home || matches!(info.listing, Listing::Tag(_)) {
        chrome.og_image = Some(super::cards::site_image(state, tx).await?);
    }
    chrome.section = if is_home {
        Section::Home
    } else {
        Section::Other
    };
    let pagination = Pagination::new(&info.base, page, pages);
    chrome.prev.clone_from(&pagination.prev);
    chrome.next.clone_from(&pagination.next);
    let intro = filters::format_review_count(total);
    let list = ListPage {
        chrome,
        heading: info.heading,
        intro,
        cards: rows.into_iter().map(Card::from).collect(),
        pagination,
        is_home,
    };
    let modified = modified::catalog(tx, &state.options.content_dir, now).await?;
    Ok(Page::new(list).modified(modified).into_response())
}

/// Page 1 is the base path itself (`/` for the home page).
pub(crate) fn page_path(base: &str, page: i64) -> String {
    match (base, page) {
        ("", 1) => "/".to_string(),
        (base, 1) => base.to_string(),
        (base, n) => format!("{base}/page/{n}"),
    }
}

pub(crate) fn parse_page(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>()
        .ok()
        .filter(|page| (1..=1_000_000).contains(page) && page.to_string() == text)
        .ok_or(AppError::NotFound)
}

/// Routes `/{kind}/{key}` and `/{kind}/{key}/page/{n}` share a handler; the
/// page segment must be the literal `page`.
fn slug_and_page(params: Vec<String>) -> Result<(String, i64), AppError> {
    let mut params = params.into_iter();
    let key = params.next().ok_or(AppError::NotFound)?;
    match params.next() {
        None => Ok((key, 1)),
        Some(page) => {
            let page = parse_page(&page)?;
            if page == 1 {
                Err(AppError::NotFound)
            } else {
                Ok((key, page))
            }
        }
    }
}

#[derive(Template)]
#[template(path = "browse/tags.html")]
struct TagsPage {
    chrome: Chrome,
    tags: Vec<TagCount>,
}

/// `GET /tags`
pub(crate) async fn tags(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let tags = db::reviews::tag_counts(&mut *tx, now).await?;
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        "/tags",
        Some("Tags"),
        "Every tag used on the site, with how many reviews carry it.",
    )
    .await?;
    chrome.section = Section::Tags;
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(TagsPage { chrome, tags })
        .modified(modified)
        .into_response())
}

/// One rating's row of the stats table: the rating drawn as on every
/// page, how many reviews have it, and a bar (a `<meter>`) against the most
/// common rating, which the same row's number explains.
#[derive(Debug, Clone)]
struct RatingRow {
    stars: Stars,
    /// "4.5 stars", "1 star".
    label: String,
    count: i64,
    href: String,
}

/// The reviews of films from one year, linked to that year's listing.
#[derive(Debug, Clone)]
struct YearRow {
    year: i32,
    count: i64,
    href: String,
}

#[derive(Template)]
#[template(path = "browse/stats.html")]
struct StatsPage {
    chrome: Chrome,
    total: i64,
    rated: i64,
    ratings: Vec<RatingRow>,
    /// The largest count, the `max` of every rating's meter.
    most: i64,
    years: Vec<YearRow>,
    average: Option<String>,
    /// The diary's years, newest first.
    diary_years: Vec<DiaryYearRow>,
    /// The directors whose films the diary logs most.
    directors: Vec<DirectorRow>,
}

/// How many entries the stats pages' top lists show.
const TOP: i64 = 10;

/// A year of the diary on `/stats`.
#[derive(Debug, Clone)]
struct DiaryYearRow {
    year: i32,
    watched: i64,
    rewatches: i64,
    stats_href: String,
    diary_href: String,
}

/// A director on `/stats`, with the diary entries of their films.
#[derive(Debug, Clone)]
struct DirectorRow {
    name: String,
    href: String,
    watched: i64,
}

/// A rating distribution as the stats tables show it: every rating from
/// five stars down, how many have it, and the mean.
struct RatingRows {
    rows: Vec<RatingRow>,
    rated: i64,
    /// The largest count (at least 1), the `max` of every row's meter.
    most: i64,
    average: Option<String>,
}

impl From<&Vec<(Rating, i64)>> for RatingRows {
    fn from(distribution: &Vec<(Rating, i64)>) -> Self {
        let rated: i64 = distribution.iter().map(|(_, count)| count).sum();
        let most = distribution
            .iter()
            .map(|(_, count)| *count)
            .max()
            .unwrap_or(0);
        let rows = (1..=10)
            .rev()
            .filter_map(Rating::from_halves)
            .map(|rating| {
                let stars = Stars::from(rating);
                let count = distribution
                    .iter()
                    .find(|(r, _)| *r == rating)
                    .map_or(0, |(_, count)| *count);
                RatingRow {
                    href: urls::rating(&stars.value),
                    label: stars_label(&stars.value),
                    stars,
                    count,
                }
            })
            .collect();
        let average = (rated > 0).then(|| {
            let halves: i64 = distribution
                .iter()
                .map(|(rating, count)| i64::from(rating.halves()) * count)
                .sum();
            average_stars(halves, rated)
        });
        Self {
            rows,
            rated,
            most: most.max(1),
            average,
        }
    }
}

/// A month of the year in review.
#[derive(Debug, Clone)]
struct MonthRow {
    name: &'static str,
    watched: i64,
}

/// A film of the year in review's top list.
#[derive(Debug, Clone)]
struct TopRow {
    title: String,
    href: String,
    stars: Stars,
}

#[derive(Template)]
#[template(path = "browse/stats_year.html")]
struct YearInReviewPage {
    chrome: Chrome,
    year: i32,
    watched: i64,
    rewatches: i64,
    reviews: i64,
    ratings: RatingRows,
    months: Vec<MonthRow>,
    /// The months' largest count (at least 1), the `max` of their meters.
    busiest: i64,
    top: Vec<TopRow>,
    diary_href: String,
}

/// `GET /stats/{year}`: a year in review: films watched, reviews written,
/// the average rating, the best-rated films and the ratings' spread.
pub(crate) async fn stats_year(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    let year_value: i32 = year
        .parse()
        .ok()
        .filter(|y: &i32| crate::content::fields::YEARS.contains(y) && y.to_string() == year)
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let reviews = db::stats::reviews_written(&mut *tx, now, year_value).await?;
    let counts = db::stats::diary_years(&mut *tx, now)
        .await?
        .into_iter()
        .find(|row| row.year == year_value);
    if counts.is_none() && reviews == 0 {
        return Err(AppError::NotFound);
    }
    let (watched, rewatches) = counts.map_or((0, 0), |row| (row.watched, row.rewatches));
    let ratings = RatingRows::from(&db::stats::ratings(&mut *tx, now, year_value).await?);
    let per_month = db::stats::months(&mut *tx, now, year_value).await?;
    let months: Vec<MonthRow> = MONTHS
        .iter()
        .zip(1..)
        .map(|(name, number)| MonthRow {
            name,
            watched: per_month
                .iter()
                .find(|(month, _)| *month == number)
                .map_or(0, |(_, count)| *count),
        })
        .collect();
    let busiest = months
        .iter()
        .map(|month| month.watched)
        .max()
        .unwrap_or(0)
        .max(1);
    let top = db::stats::top_rated(&mut *tx, now, year_value, TOP)
        .await?
        .into_iter()
        .map(|film| TopRow {
            title: match film.film_year {
                Some(film_year) => format!("{} ({film_year})", film.film_title),
                None => film.film_title,
            },
            href: urls::film(&film.film_slug),
            stars: Stars::from(film.rating),
        })
        .collect();
    let title = format!("{year} in review");
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        &urls::stats_year(year_value),
        Some(&title),
        &format!("{year} in films: {watched} watched, {reviews} reviewed."),
    )
    .await?;
    chrome.section = Section::Stats;
    let page = YearInReviewPage {
        chrome,
        year: year_value,
        watched,
        rewatches,
        reviews,
        ratings,
        months,
        busiest,
        top,
        diary_href: urls::diary_year(year_value),
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(page).modified(modified).into_response())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `GET /stats`
pub(crate) async fn stats(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let total = db::reviews::count(&mut *tx, now, &Listing::All).await?;
    let distribution = db::reviews::rating_distribution(&mut *tx, now).await?;
    let years = db::reviews::films_per_year(&mut *tx, now)
        .await?
        .into_iter()
        .map(|(year, count)| YearRow {
            year,
            count,
            href: urls::film_year(&year.to_string()),
        })
        .collect();
    let ratings = RatingRows::from(&distribution);
    let diary_years = db::stats::diary_years(&mut *tx, now)
        .await?
        .into_iter()
        .map(|row| DiaryYearRow {
            stats_href: urls::stats_year(row.year),
            diary_href: urls::diary_year(row.year),
            year: row.year,
            watched: row.watched,
            rewatches: row.rewatches,
        })
        .collect();
    let directors = db::stats::most_watched_directors(&mut *tx, now, TOP)
        .await?
        .into_iter()
        .map(|row| DirectorRow {
            href: urls::director(&row.slug),
            name: row.name,
            watched: row.watched,
        })
        .collect();
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        "/stats",
        Some("Stats"),
        "How many films, how they were rated, and when.",
    )
    .await?;
    chrome.section = Section::Stats;
    let page = StatsPage {
        chrome,
        total,
        rated: ratings.rated,
        most: ratings.most,
        average: ratings.average,
        ratings: ratings.rows,
        years,
        diary_years,
        directors,
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(page).modified(modified).into_response())
}

/// "1 star", "4.5 stars": a rating as a count of stars in words.
fn stars_label(value: &str) -> String {
    if value == "1" {
        "1 star".to_string()
    } else {
        format!("{value} stars")
    }
}

/// The mean of `rated` ratings whose half stars add up to `halves`, in
/// stars to one decimal, rounded half up from the exact fraction (4.25
/// shows as 4.3; a float's nearest value below 4.25 would show 4.2).
fn average_stars(halves: i64, rated: i64) -> String {
    let tenths = (halves * 10 + rated) / (2 * rated);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_up_from_the_exact_fraction() {
        // 4 and 4.5 stars: 17 half stars over 2 reviews, 4.25 stars.
        assert_eq!(average_stars(17, 2), "4.3");
        assert_eq!(average_stars(10, 1), "5.0");
        assert_eq!(average_stars(1, 1), "0.5");
        // 3.5, 4 and 4: 23 half stars over 3, 3.833...
        assert_eq!(average_stars(23, 3), "3.8");
    }

    #[test]
    fn one_star_is_singular() {
        assert_eq!(stars_label("1"), "1 star");
        assert_eq!(stars_label("0.5"), "0.5 stars");
        assert_eq!(stars_label("4.5"), "4.5 stars");
    }
}
