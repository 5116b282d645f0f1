//! Static files from `static/`, served by tower-http's `ServeDir` (ETags,
//! Last-Modified, ranges, 304s, and its refusal of `..` paths).
//!
//! Each file also gets a fingerprinted name (`style.3f2a9c1b.css`) computed
//! from its bytes at start-up; pages link that name, and it is served with
//! `Cache-Control: immutable`, so browsers never re-ask for a stylesheet
//! until it really changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=3600";

#[derive(Debug, Default)]
pub struct Assets {
    dir: PathBuf,
    /// `style.css` → `style.3f2a9c1b.css`
    fingerprinted: HashMap<String, String>,
    /// `style.3f2a9c1b.css` → `style.css`
    originals: HashMap<String, String>,
}

impl Assets {
    /// Fingerprints the files directly in `dir`. A missing folder is not an
    /// error: the site still works, only unstyled.
    pub fn load(dir: &Path) -> Self {
        let mut assets = Assets {
            dir: dir.to_path_buf(),
            ..Assets::default()
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            tracing::warn!(dir = %dir.display(), "no static folder: pages will be unstyled");
            return assets;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            let hash = format!("{:08x}", xxhash_rust::xxh3::xxh3_64(&bytes) as u32);
            let fingerprinted = match name.rsplit_once('.') {
                Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
                None => format!("{name}.{hash}"),
            };
            assets.originals.insert(fingerprinted.clone(), name.clone());
            assets.fingerprinted.insert(name, fingerprinted);
        }
        assets
    }

    /// The URL to link for a static file: fingerprinted when known.
    pub fn url(&self, name: &str) -> String {
        match self.fingerprinted.get(name) {
            Some(fingerprinted) => format!("/static/{fingerprinted}"),
            None => format!("/static/{name}"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `GET /static/*`: a fingerprinted name maps to its file and is cached for
/// a year; any other path is looked up as is and cached for an hour.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let raw = request
        .uri()
        .path()
        .strip_prefix("/static/")
        .unwrap_or_default()
        .to_string();
    let (path, cache_control) = match state.assets.originals.get(&raw) {
        Some(original) => (original.clone(), IMMUTABLE),
        None => (raw, SHORT),
    };
    serve_file(state.assets.dir(), &path, request, cache_control).await
}

/// `GET /favicon.ico`, which browsers ask for whatever the page says.
pub async fn favicon(State(state): State<AppState>, request: Request) -> Response {
    serve_file(state.assets.dir(), "favicon.ico", request, SHORT).await
}

/// Serves `relative` (still percent-encoded) from `dir` with `ServeDir`.
pub async fn serve_file(
    dir: &Path,
    relative: &str,
    request: Request,
    cache_control: &'static str,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(uri) = format!("/{}", relative.trim_start_matches('/')).parse::<Uri>() else {
        return super::error::AppError::NotFound.into_response();
    };
    parts.uri = uri;
    let request = Request::from_parts(parts, body);
    let response = match ServeDir::new(dir).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(infallible) => match infallible {},
    };
    if !response.status().is_success() && response.status() != axum::http::StatusCode::NOT_MODIFIED
    {
        return super::error::AppError::NotFound.into_response();
    }
    let mut response = response;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_files_by_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("style.css"), "body{}").unwrap();
        let assets = Assets::load(dir.path());
        let url = assets.url("style.css");
        assert!(
            url.starts_with("/static/style.")
                && url.ends_with(".css")
                && url.len() > "/static/style.css".len(),
            "{url}"
        );
        assert_eq!(assets.url("missing.png"), "/static/missing.png");
        std::fs::write(dir.path().join("style.css"), "body{color:red}").unwrap();
        assert_ne!(Assets::load(dir.path()).url("style.css"), url);
    }
}
