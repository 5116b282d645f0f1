//! The web layer: one shared state, one router, one module per area.
//!
//! A handler that reads more than once does so inside one read transaction
//! (`state.db.begin()`): in WAL mode that is a snapshot, so a page never
//! mixes the content of two syncs (a review without its tags, a count that
//! disagrees with its list).

// The `pub` modules are the ones integration tests reach into (a static
// folder and a cache of their own, the limits, `json_for_script`); the rest
// is the crate's own.
pub mod assets;
mod browse;
pub mod cache;
mod cards;
mod diary;
mod error;
mod feeds;
mod films;
pub(crate) mod heads;
mod images;
mod layout;
mod lists;
pub(crate) mod metrics;
mod modified;
mod pages;
mod related;
mod releases;
mod respond;
pub mod reviews;
mod search;
pub mod security;
mod seo;
mod status;
pub(crate) mod urls;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use sqlx::SqlitePool;

use crate::clock::Clock;
use crate::content::site::SiteCell;
use crate::publish::health::SyncHealth;
use assets::Assets;
use cache::PageCache;

/// Settings the handlers need, fixed for the life of the server.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Preview mode: drafts and scheduled reviews are reachable (with a
    /// banner), for the editor's eyes.
    pub drafts: bool,
    /// The editor's status page answers only requests carrying this token.
    pub status_token: Option<String>,
    /// For serving a page bundle's images.
    pub content_dir: PathBuf,
    /// Timeouts and size limits for requests.
    pub limits: security::Limits,
}

/// Everything a handler may need, passed by axum's `State`. It is one
/// pointer to `Shared` because axum clones the state for every request in
/// every middleware and extractor: cloning six fields (seven reference
/// counts) each time was a fifth of the cost of serving a cached page.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What `AppState` points to. The fields tests replace or read through
/// the state are public; the rest are the server's own.
#[derive(Clone)]
pub struct Shared {
    /// The pool handlers read from; the syncer writes through a clone of it
    /// (none does on a site served read-only from a full disk).
    pub db: SqlitePool,
    /// The search index the syncer feeds (`crate::search`).
    pub search: Arc<crate::search::SearchIndex>,
    /// The current `site.toml` settings, swapped whole when the file
    /// changes.
    pub site: SiteCell,
    /// Rendered pages, invalidated by every content change.
    pub cache: PageCache,
    /// Which reviews are visible depends on the time: handlers ask this
    /// clock, the scheduler's, so a test can move it forward.
    pub(crate) clock: Clock,
    /// Fingerprinted static file names, fixed at start-up.
    pub assets: Arc<Assets>,
    /// The settings from the command line.
    pub options: Arc<WebOptions>,
    /// Whether publishing works, for the status page.
    pub(crate) health: SyncHealth,
    /// What `/metrics` exports.
    pub(crate) metrics: Arc<metrics::Metrics>,
    /// Share cards, drawn on first request and kept beside the database.
    pub cards: Arc<crate::cards::Cards>,
    /// The posters' sources and derivatives, for `/images/`.
    pub imaging: Arc<crate::publish::imaging::Imaging>,
}

impl AppState {
    pub(crate) fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Changing a field of a clone (tests do, to try other settings) copies the
/// fields first, so the state keeps the value semantics it had as a plain
/// struct.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// The query parameters the reader routes read, for the page cache's keys:
/// any other parameter (`?utm_source=…`) is the same page, kept once.
/// A route that starts reading one must be listed here.
const QUERY_PARAMETERS: cache::RouteParams = &[
    ("/", browse::HOME_PARAMETERS),
    ("/search", search::PARAMETERS),
];

/// All routes, grouped by audience. Reader-facing pages are kept by the page
/// cache; files, health and the editor's status page are not.
pub fn router(state: AppState) -> Router {
    let readers = Router::new()
        .route("/", get(browse::home))
        .route("/page/{page}", get(browse::home_page))
        .route("/reviews/{slug}", get(reviews::show))
        .route(
            "/reviews/{slug}/release/{file}",
            get(reviews::release_calendar),
        )
        .route("/tags", get(browse::tags))
        .route("/tags/{tag}", get(browse::tag))
        .route("/tags/{tag}/page/{page}", get(browse::tag))
        .route("/tags/{tag}/feed.xml", get(feeds::tag_rss))
        .route("/tags/{tag}/atom.xml", get(feeds::tag_atom))
        .route("/ratings/{stars}", get(browse::rating))
        .route("/ratings/{stars}/page/{page}", get(browse::rating))
        .route("/films/{year}", get(browse::film_year))
        .route("/films/{year}/page/{page}", get(browse::film_year))
        .route("/film/{slug}", get(films::show))
        .route("/directors/{slug}", get(browse::director))
        .route("/directors/{slug}/page/{page}", get(browse::director))
        .route("/stats", get(browse::stats))
        .route("/stats/{year}", get(browse::stats_year))
        .route("/releases", get(releases::page))
        .route("/releases.ics", get(releases::calendar_file))
        .route("/lists", get(lists::index))
        .route("/lists/feed.xml", get(feeds::lists_rss))
        .route("/lists/{slug}", get(lists::show))
        .route("/diary", get(diary::index))
        .route("/diary/page/{page}", get(diary::index_page))
        .route("/diary/feed.xml", get(feeds::diary_rss))
        .route("/diary/{year}", get(diary::year))
        .route(
            "/search",
            get(search::search).layer(middleware::from_fn_with_state(
                security::SearchPermits::new(&state.options.limits),
                security::take_turn,
            )),
        )
        .route("/feed.xml", get(feeds::site_rss))
        .route("/atom.xml", get(feeds::site_atom))
        .route("/feed.json", get(feeds::site_json))
        .route("/sitemap.xml", get(seo::sitemap))
        .route("/robots.txt", get(seo::robots))
        .route("/{slug}", get(pages::show))
        .route_layer(middleware::from_fn(cache::mark_cacheable))
        .route_layer(middleware::from_fn(metrics::note_route))
        .route_layer(middleware::from_fn(urls::lowercase_slugs));
    let files_and_operations = Router::new()
        .route("/static/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/images/{name}", get(images::derivative))
        .route("/reviews/{slug}/{file}", get(reviews::bundle_file))
        .route("/cards/reviews/{file}", get(cards::review))
        .route("/cards/{file}", get(cards::site))
        .route("/healthz", get(status::healthz))
        .route("/status", get(status::status))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn(metrics::note_route));
    let cache = state.cache.clone();
    let clock = state.clock.clone();
    let counted = state.clone();
    let site = with_layers(
        readers
            .merge(files_and_operations)
            .fallback(pages::not_found),
        state,
    );
    // In front of routing and every layer: a cached page costs a lookup.
    // Counted in front of that, so that hits are counted too.
    cache::in_front(site, cache, clock, QUERY_PARAMETERS)
        .layer(middleware::from_fn_with_state(counted, metrics::count))
}

/// Wraps routes in everything around them: panics and errors become pages
/// in the site's layout, no Last-Modified is later than now, then the
/// limits and security headers of `security`. Public so that tests can
/// wrap a route of their own (one that panics, one that is slow) in exactly
/// the production stack.
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let routes = routes.layer(
        tower::ServiceBuilder::new()
            .layer(middleware::map_response_with_state(
                state.clock.clone(),
                cache::clamp_last_modified,
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                error::render_error_pages,
            ))
            .layer(security::catch_panics()),
    );
    security::harden(routes, state.site.clone(), &state.options.limits).with_state(state)
}
