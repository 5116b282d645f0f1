//! The ceiling for Marquee's cached pages on this machine: a bare axum
//! handler answering with bytes held in memory, on the same runtime and
//! socket settings as Marquee, with no middleware, routing table or cache
//! lookup. `scripts/bench` runs it beside Marquee and nginx, on the files
//! it gives nginx, with the headers Marquee sent for each page, so that its
//! responses are Marquee's byte for byte:
//!
//! ```sh
//! cargo bench --bench axum_ceiling -- 127.0.0.1:3999 SITE_DIR [HEADERS_JSON]
//! ```
//!
//! `/` answers `SITE_DIR/index.html`, `/search` answers `search.html`, any
//! other path the file at that path. `HEADERS_JSON` maps a path to its
//! `[name, value]` pairs; a path without any gets a content type only.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;

type Pages = Arc<HashMap<String, (HeaderMap, Bytes)>>;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let (Some(addr), Some(site)) = (args.next(), args.next()) else {
        // A plain `cargo bench` lands here: this is a server for
        // scripts/bench, not a measurement of its own.
        eprintln!("axum_ceiling: run by scripts/bench (usage: ADDR SITE_DIR [HEADERS_JSON])");
        return;
    };
    let headers: HashMap<String, Vec<(String, String)>> = args
        .next()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("cannot read the headers");
            serde_json::from_str(&text).expect("the headers are not JSON")
        })
        .unwrap_or_default();
    let mut pages = HashMap::new();
    load(Path::new(&site), Path::new(&site), &headers, &mut pages);
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

fn load(
    root: &Path,
    dir: &Path,
    headers: &HashMap<String, Vec<(String, String)>>,
    pages: &mut HashMap<String, (HeaderMap, Bytes)>,
) {
    for entry in std::fs::read_dir(dir)
        .expect("cannot read the site")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            load(root, &path, headers, pages);
            continue;
        }
        let relative = path.strip_prefix(root).expect("under the root");
        let name = relative.to_string_lossy().replace('\\', "/");
        let url = match name.as_str() {
            "index.html" => "/".to_string(),
            "search.html" => "/search".to_string(),
            other => format!("/{other}"),
        };
        let mut map = HeaderMap::new();
        for (name, value) in headers.get(&url).into_iter().flatten() {
            map.append(
                HeaderName::try_from(name.as_str()).expect("a header name"),
                HeaderValue::try_from(value.as_str()).expect("a header value"),
            );
        }
        map.entry(header::CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("text/html; charset=utf-8"));
        let bytes = Bytes::from(std::fs::read(&path).expect("cannot read a page"));
        pages.insert(url, (map, bytes));
    }
}

async fn serve(State(pages): State<Pages>, request: Request) -> Response {
    // `/search?q=...` is one page here, as it is for nginx.
    let Some((headers, bytes)) = pages.get(request.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = Response::new(Body::from(bytes.clone()));
    *response.headers_mut() = headers.clone();
    response
}
