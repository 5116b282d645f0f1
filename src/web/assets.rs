//! Static files. The repository's `static/` (stylesheet, favicon) is built
//! into the binary with rust-embed, so `marquee` serves a styled site from
//! any folder. A site may add or replace files with a folder of its own
//! (`--static`): a file there wins over the built-in one of the same name.
//!
//! Each file also gets a fingerprinted name (`style.3f2a9c1b.css`) computed
//! from its bytes at start-up; pages link that name, and it is served with
//! `Cache-Control: immutable`, so browsers never re-ask for a stylesheet
//! until it really changes.
//!
//! Files on disk (the static folder, page bundles) are served by
//! tower-http's `ServeFile` (ETag, Last-Modified, ranges, 304s), and only
//! once their real path, every symlink resolved, is known to lie inside
//! their folder: a link from a bundle to `/etc/shadow` is a 404 like any
//! unknown file. Built-in files are answered from memory with a strong
//! ETag and ranges.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{self, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::AppState;
use super::cache::{self, CachePolicy};
use super::error::AppError;

/// The repository's `static/`, inside the binary (in debug builds too, so
/// that tests run what a release runs).
#[derive(rust_embed::Embed)]
#[folder = "static/"]
#[exclude = "posters/*"]
struct BuiltIn;

/// The static files a site serves and the fingerprinted name of each:
/// built once at start-up, since fingerprinting reads every file. Public
/// so that tests can point a site at a static folder of their own.
#[derive(Debug, Default)]
pub struct Assets {
    /// The site's own static folder; it need not exist.
    dir: PathBuf,
    /// `style.css` → `style.3f2a9c1b.css`
    fingerprinted: HashMap<String, String>,
    /// `style.3f2a9c1b.css` → `style.css`
    originals: HashMap<String, String>,
}

impl Assets {
    /// Fingerprints the built-in files, then the files directly in `dir`,
    /// which replace built-in ones of the same name. A missing folder is
    /// not an error: the built-in files are all a site needs.
    pub fn load(dir: &Path) -> Self {
        let mut assets = Assets {
            dir: dir.to_path_buf(),
            ..Assets::default()
        };
        for name in BuiltIn::iter() {
            if let Some(file) = BuiltIn::get(&name) {
                assets.fingerprint(&name, &file.data);
            }
        }
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Some(bytes) = confined(dir, dir, &name).and_then(|real| std::fs::read(real).ok())
            else {
                continue;
            };
            assets.fingerprint(&name, &bytes);
        }
        assets
    }

    fn fingerprint(&mut self, name: &str, bytes: &[u8]) {
        let hash = format!("{:08x}", xxhash_rust::xxh3::xxh3_64(bytes) as u32);
        let fingerprinted = match name.rsplit_once('.') {
            Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
            None => format!("{name}.{hash}"),
        };
        if let Some(previous) = self
            .fingerprinted
            .insert(name.to_string(), fingerprinted.clone())
        {
            self.originals.remove(&previous);
        }
        self.originals.insert(fingerprinted, name.to_string());
    }

    /// The site's own static folder (share cards read posters from it).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL to link for a static file: fingerprinted when known.
    pub(crate) fn url(&self, name: &str) -> String {
        match self.fingerprinted.get(name) {
            Some(fingerprinted) => format!("/static/{fingerprinted}"),
            None => format!("/static/{name}"),
        }
    }

    /// The site's file called `name` if it has one, else the built-in one.
    async fn respond(
        &self,
        name: &str,
        request: Request,
        cache_control: CachePolicy,
        now: SystemTime,
    ) -> Response {
        let (dir, relative) = (self.dir.clone(), name.to_string());
        let on_disk = tokio::task::spawn_blocking(move || confined(&dir, &dir, &relative))
            .await
            .ok()
            .flatten();
        if let Some(real) = on_disk {
            return serve_file(real, request, cache_control, now).await;
        }
        match BuiltIn::get(name) {
            Some(file) => built_in(&file, request.headers(), cache_control),
            None => AppError::NotFound.into_response(),
        }
    }
}

/// `GET /static/*`: a fingerprinted name maps to its file and is cached for
/// a year; any other path is looked up as is and cached for an hour.
pub(crate) async fn serve(
    State(state): State<AppState>,
    extract::Path(path): extract::Path<String>,
    request: Request,
) -> Response {
    let (name, cache_control) = match state.assets.originals.get(&path) {
        Some(original) => (original.as_str(), CachePolicy::Immutable),
        None => (path.as_str(), CachePolicy::ForAnHour),
    };
    let now = state.clock.now().into();
    state
        .assets
        .respond(name, request, cache_control, now)
        .await
}

/// `GET /favicon.ico`, which browsers ask for whatever the page says.
pub(crate) async fn favicon(State(state): State<AppState>, request: Request) -> Response {
    let now = state.clock.now().into();
    state
        .assets
        .respond("favicon.ico", request, CachePolicy::ForAnHour, now)
        .await
}

/// The real path of `relative` (already percent-decoded) under `base`, if
/// it names a file whose real path, every symlink resolved, lies inside
/// `root`. `..`, absolute paths and backslashes are refused before the
/// file system is asked. A link whose target stays inside `root` is fine.
pub(crate) fn confined(root: &Path, base: &Path, relative: &str) -> Option<PathBuf> {
    if relative.contains('\\') {
        return None;
    }
    let mut path = base.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let real = std::fs::canonicalize(&path).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// Serves a file on disk (its real path, from `confined`) with `ServeFile`.
/// Its own answers pass through (206, 304, 412, 416); a file that vanished
/// meanwhile, or cannot be read, is a 404 like any unknown file.
pub(crate) async fn serve_file(
    real: PathBuf,
    mut request: Request,
    cache_control: CachePolicy,
    now: SystemTime,
) -> Response {
    if cache::if_modified_since(request.headers(), now).is_none() {
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
    }
    let served = ServeFile::new(real)
        .ignore_multi_range_requests(true)
        .oneshot(request)
        .await;
    let mut response = match served {
        Ok(response) => response.map(Body::new),
        Err(infallible) => match infallible {},
    };
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status.is_server_error() {
        return AppError::NotFound.into_response();
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, cache_control.into());
    response
}

/// A built-in file: a strong ETag from the hash rust-embed made at build
/// time, a 304 when the client has it, and one range if asked for (several
/// get the whole file, as `ServeFile` is told to do).
fn built_in(
    file: &rust_embed::EmbeddedFile,
    request: &HeaderMap,
    cache_control: CachePolicy,
) -> Response {
    let hash = file.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, cache_control.into());
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| cache::none_match(tags, &etag))
    {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let data = match &file.data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::copy_from_slice(bytes),
    };
    let size = data.len() as u64;
    let range = |text: String| HeaderValue::from_str(&text).ok();
    match requested_range(request, size) {
        None => {
            headers.insert(header::CONTENT_TYPE, mime(file));
            (headers, data).into_response()
        }
        Some(Ok(wanted)) => {
            headers.insert(header::CONTENT_TYPE, mime(file));
            if let Some(value) = range(format!("bytes {}-{}/{size}", wanted.start(), wanted.end()))
            {
                headers.insert(header::CONTENT_RANGE, value);
            }
            let part = data.slice(*wanted.start() as usize..=*wanted.end() as usize);
            (StatusCode::PARTIAL_CONTENT, headers, part).into_response()
        }
        Some(Err(Unsatisfiable)) => {
            if let Some(value) = range(format!("bytes */{size}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response()
        }
    }
}

fn mime(file: &rust_embed::EmbeddedFile) -> HeaderValue {
    HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// A Range header no part of the file can answer.
struct Unsatisfiable;

/// The one byte range asked for, if any: `None` for no Range header (or
/// several ranges, which get the whole file), an error for a range outside
/// the file or one that does not parse, as `ServeFile` answers them.
fn requested_range(
    request: &HeaderMap,
    size: u64,
) -> Option<Result<RangeInclusive<u64>, Unsatisfiable>> {
    let value = request.get(header::RANGE)?;
    let Ok(parsed) = value
        .to_str()
        .map_err(|_| ())
        .and_then(|text| http_range_header::parse_range_header(text).map_err(|_| ()))
    else {
        return Some(Err(Unsatisfiable));
    };
    if parsed.ranges.len() > 1 {
        return None;
    }
    Some(
        parsed
            .validate(size)
            .ok()
            .and_then(|mut ranges| ranges.pop())
            .ok_or(Unsatisfiable),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_files_by_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("extra.css"), "body{}").unwrap();
        let assets = Assets::load(dir.path());
        let url = assets.url("extra.css");
        assert!(
            url.starts_with("/static/extra.")
                && url.ends_with(".css")
                && url.len() > "/static/extra.css".len(),
            "{url}"
        );
        assert_eq!(assets.url("missing.png"), "/static/missing.png");
        std::fs::write(dir.path().join("extra.css"), "body{color:red}").unwrap();
        assert_ne!(Assets::load(dir.path()).url("extra.css"), url);
    }

    #[test]
    fn a_site_file_replaces_the_built_in_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let built_in = Assets::load(&dir.path().join("missing")).url("style.css");
        assert!(built_in.starts_with("/static/style."), "{built_in}");
        std::fs::write(dir.path().join("style.css"), "body{color:red}").unwrap();
        let assets = Assets::load(dir.path());
        let own = assets.url("style.css");
        assert_ne!(own, built_in);
        let old_name = built_in.trim_start_matches("/static/");
        assert!(!assets.originals.contains_key(old_name));
    }

    #[test]
    fn ranges_are_read_as_serve_file_reads_them() {
        let ask = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
            requested_range(&headers, 10)
        };
        assert!(matches!(ask("bytes=2-4"), Some(Ok(range)) if range == (2..=4)));
        assert!(matches!(ask("bytes=-3"), Some(Ok(range)) if range == (7..=9)));
        assert!(matches!(ask("bytes=8-"), Some(Ok(range)) if range == (8..=9)));
        assert!(matches!(ask("bytes=20-30"), Some(Err(Unsatisfiable))));
        assert!(matches!(ask("lines=1-2"), Some(Err(Unsatisfiable))));
        assert!(ask("bytes=0-1, 4-5").is_none());
        assert!(requested_range(&HeaderMap::new(), 10).is_none());
    }
}
