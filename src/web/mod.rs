//! The web layer: one shared state, one router, one module per area.
//!
//! A handler that reads more than once does so inside one read transaction
//! (`state.db.begin()`): in WAL mode that is a snapshot, so a page never
//! mixes the content of two syncs (a review without its tags, a count that
//! disagrees with its list).

pub mod assets;
pub mod browse;
pub mod cache;
pub mod error;
pub mod feeds;
pub(crate) mod heads;
pub mod layout;
mod modified;
pub mod pages;
mod respond;
pub mod reviews;
pub mod search;
pub mod security;
pub mod seo;
pub mod status;
mod urls;

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sqlx::SqlitePool;

use crate::clock::Clock;
use crate::content::site::SiteCell;
use crate::publish::health::SyncHealth;
use assets::Assets;
use cache::PageCache;
use error::ErrorPage;
use layout::Chrome;
use pages::ErrorView;

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

/// What `AppState` points to.
#[derive(Clone)]
pub struct Shared {
    pub db: SqlitePool,
    pub site: SiteCell,
    pub cache: PageCache,
    pub clock: Clock,
    pub assets: Arc<Assets>,
    pub options: Arc<WebOptions>,
    /// Whether publishing works, for the status page.
    pub health: SyncHealth,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
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
        .route("/directors/{slug}", get(browse::director))
        .route("/directors/{slug}/page/{page}", get(browse::director))
        .route("/stats", get(browse::stats))
        .route("/search", get(search::search))
        .route("/feed.xml", get(feeds::site_rss))
        .route("/atom.xml", get(feeds::site_atom))
        .route("/feed.json", get(feeds::site_json))
        .route("/sitemap.xml", get(seo::sitemap))
        .route("/robots.txt", get(seo::robots))
        .route("/{slug}", get(pages::show))
        .route_layer(middleware::from_fn(cache::mark_cacheable))
        .route_layer(middleware::from_fn(lowercase_slugs));
    let files_and_operations = Router::new()
        .route("/static/{*path}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/reviews/{slug}/{file}", get(reviews::bundle_file))
        .route("/healthz", get(status::healthz))
        .route("/status", get(status::status));
    let cache = state.cache.clone();
    let clock = state.clock.clone();
    let site = with_layers(
        readers
            .merge(files_and_operations)
            .fallback(pages::not_found),
        state,
    );
    // In front of routing and every layer: a cached page costs a lookup.
    cache::in_front(site, cache, clock)
}

/// Slugs are lower case (`Anora.md` and `anora.md` are one slug), so an
/// address that capitalises one (`/reviews/Anora`, `/tags/Drama`, `/About`)
/// is sent to the page's one address instead of a 404.
async fn lowercase_slugs(request: Request, next: Next) -> Response {
    match lowercased(request.uri().path()) {
        Some(mut path) => {
            if let Some(query) = request.uri().query() {
                path.push('?');
                path.push_str(query);
            }
            axum::response::Redirect::permanent(&path).into_response()
        }
        None => next.run(request).await,
    }
}

/// The path with its slug segment in lower case, if that changes it: the
/// segment after `/reviews/`, `/tags/` or `/directors/`, or a standalone
/// page's only segment. Other segments (a region, a page number) are left.
fn lowercased(path: &str) -> Option<String> {
    let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
    let slug = match segments.get(1).map(String::as_str) {
        Some("reviews" | "tags" | "directors") => 2,
        Some(_) if segments.len() == 2 => 1,
        _ => return None,
    };
    let segment = segments.get_mut(slug)?;
    // Only what would be a slug once lowered: letters, digits and hyphens,
    // some of them capitals (`%2F` is an escape, not a capital F).
    let slug_like = segment
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if !slug_like || !segment.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return None;
    }
    segment.make_ascii_lowercase();
    Some(segments.join("/"))
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
                render_error_pages,
            ))
            .layer(security::catch_panics()),
    );
    security::harden(routes, state.site.clone(), &state.options.limits).with_state(state)
}

/// Turns the bare error responses of `AppError`, and the plain-text ones
/// axum gives for a request it cannot route or parse (a 405, a path that is
/// not UTF-8), into pages in the site's layout; and answers the stand-in
/// for a request head hyper would have refused (see `heads`) with its page
/// without running the route. The menu is read if the database allows; an
/// error page must render even when the database is what failed.
async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(heads::RefusedHead(status)) = request.extensions().get().copied() {
        return error_page(&state, "/", status).await;
    }
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let Some(status) = error_page_status(&response) else {
        return response;
    };
    let mut page = error_page(&state, &path, status).await;
    // A 405 must still say which methods the address takes, and a 416 how
    // long the file is.
    for name in [header::ALLOW, header::CONTENT_RANGE] {
        if let Some(value) = response.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

/// The error page for `status`, never cached.
async fn error_page(state: &AppState, path: &str, status: StatusCode) -> Response {
    let menu = crate::db::pages::menu(&state.db).await.unwrap_or_default();
    let (heading, message) = ErrorView::text_for(status);
    let mut chrome = Chrome::with_menu(state, state.site.get(), menu, path, Some(heading), message);
    chrome.noindex = true;
    let view = ErrorView {
        chrome,
        status: status.as_u16(),
        heading,
        message,
    };
    let mut page = match view.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot render the error page");
            (status, heading).into_response()
        }
    };
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from(cache::CachePolicy::NoStore),
    );
    page
}

/// The status to render a page for, if the response is a bare error.
fn error_page_status(response: &Response) -> Option<StatusCode> {
    if let Some(ErrorPage { status }) = response.extensions().get::<ErrorPage>() {
        return Some(*status);
    }
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    (status.is_client_error() || status.is_server_error())
        .then_some(status)
        .filter(|_| !is_html)
}

#[cfg(test)]
mod tests {
    use super::lowercased;

    #[test]
    fn only_the_slug_segment_is_lowered() {
        assert_eq!(
            lowercased("/reviews/Anora").as_deref(),
            Some("/reviews/anora")
        );
        assert_eq!(
            lowercased("/tags/New-York/page/2").as_deref(),
            Some("/tags/new-york/page/2")
        );
        assert_eq!(
            lowercased("/reviews/Anora/release/UK.ics").as_deref(),
            Some("/reviews/anora/release/UK.ics")
        );
        assert_eq!(lowercased("/About").as_deref(), Some("/about"));
        for unchanged in [
            "/reviews/anora",
            "/static/Style.css",
            "/ratings/4.5",
            "/",
            "/films/2024",
            "/tags/..%2F..%2Fetc/atom.xml",
            "/reviews/%C3%89t%C3%A9",
            "/Feed.XML",
        ] {
            assert_eq!(lowercased(unchanged), None, "{unchanged}");
        }
    }
}
