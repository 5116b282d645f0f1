//! The ceiling for Marquee's cached pages on this machine: a bare axum
//! handler answering with bytes held in memory and the headers a cached
//! page carries, on the same runtime and socket settings as Marquee, with
//! no middleware, routing table or cache lookup. `scripts/bench` runs it
//! beside Marquee and nginx, on the same files it gives nginx:
//!
//! ```sh
//! cargo bench --bench axum_ceiling -- 127.0.0.1:3999 SITE_DIR
//! ```
//!
//! `/` answers `SITE_DIR/index.html`, `/search` answers `search.html`,
//! `/feed.xml` answers as RSS, and any other path the file at that path.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;

type Pages = Arc<HashMap<String, (HeaderValue, Bytes)>>;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let (Some(addr), Some(site)) = (args.next(), args.next()) else {
        // A plain `cargo bench` lands here: this is a server for
        // scripts/bench, not a measurement of its own.
        eprintln!("axum_ceiling: run by scripts/bench (usage: axum_ceiling ADDR SITE_DIR)");
        return;
    };
    let mut pages = HashMap::new();
    load(Path::new(&site), Path::new(&site), &mut pages);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("cannot listen")
        .tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
    let app = axum::Router::new()
        .fallback(serve)
        .with_state(Arc::new(pages));
    axum::serve(listener, app).await.expect("server failed");
}

fn load(root: &Path, dir: &Path, pages: &mut HashMap<String, (HeaderValue, Bytes)>) {
    for entry in std::fs::read_dir(dir)
        .expect("cannot read the site")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            load(root, &path, pages);
            continue;
        }
        let relative = path.strip_prefix(root).expect("under the root");
        let name = relative.to_string_lossy().replace('\\', "/");
        let url = match name.as_str() {
            "index.html" => "/".to_string(),
            "search.html" => "/search".to_string(),
            other => format!("/{other}"),
        };
        let content_type = if name.ends_with(".xml") {
            "application/rss+xml; charset=utf-8"
        } else {
            "text/html; charset=utf-8"
        };
        let bytes = Bytes::from(std::fs::read(&path).expect("cannot read a page"));
        pages.insert(url, (HeaderValue::from_static(content_type), bytes));
    }
}

async fn serve(State(pages): State<Pages>, request: Request) -> Response {
    let Some((content_type, bytes)) = pages.get(request.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(header::CONTENT_TYPE, content_type.clone());
    headers.insert(
        header::ETAG,
        HeaderValue::from_static("W/\"0123456789abcdef\""),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_static("Mon, 24 Nov 2026 12:00:00 GMT"),
    );
    let mut response = Response::new(Body::from(bytes.clone()));
    *response.headers_mut() = headers;
    response
}
