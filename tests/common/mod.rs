//! The one helper every integration test builds on: a real Marquee site on
//! a temporary content folder and a temporary SQLite file, with the real
//! router called in-process (no socket) and a clock the test controls.

#![allow(
    dead_code,
    reason = "each test file uses a different part of this helper"
)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use marquee::clock::Clock;
use marquee::config::ServeArgs;
use marquee::content::sync::{Indexing, Scope, SyncReport};
use marquee::server::{self, Site};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;

/// The default "now" of test clocks: after every sample review's
/// publication, before the sample's upcoming release.
pub const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

pub struct TestSite {
    pub dir: TempDir,
    pub site: Site,
    pub router: Router,
    pub clock: Clock,
    pub args: ServeArgs,
}

/// How to build a test site.
#[derive(Clone)]
pub struct Options {
    pub watch: bool,
    pub drafts: bool,
    pub status_token: Option<String>,
    pub now: OffsetDateTime,
    /// Copy the repository's own `content/` (the sample site) first.
    pub sample_content: bool,
    /// The periodic rescan's period (`--rescan-secs`); 0, the tests'
    /// default, turns it off so that nothing syncs behind a test's back.
    pub rescan_secs: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            watch: false,
            drafts: false,
            status_token: None,
            now: NOW,
            sample_content: true,
            rescan_secs: 0,
        }
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The repository's folder, for its sample content and static files.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl TestSite {
    /// The sample site, not watched, at the default test time.
    pub async fn sample() -> Self {
        Self::build(Options::default(), &[]).await
    }

    /// A site with extra (or replaced) files, paths relative to `content/`.
    pub async fn build(options: Options, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("reviews")).unwrap();
        if options.sample_content {
            copy_dir(&repo().join("content"), &content);
        }
        for (path, text) in files {
            write_file(&content.join(path), text);
        }
        let args = ServeArgs {
            addr: "127.0.0.1:0".parse().unwrap(),
            content,
            db: dir.path().join("marquee.db"),
            base_url: Some("https://films.example".into()),
            static_dir: repo().join("static"),
            drafts: options.drafts,
            status_token: options.status_token.clone(),
            cache_mb: 16,
            no_watch: !options.watch,
            rescan_secs: options.rescan_secs,
        };
        Self::start(dir, args, Clock::manual(options.now)).await
    }

    /// Loads the site on `args` and wires the real router to it.
    async fn start(dir: TempDir, args: ServeArgs, clock: Clock) -> Self {
        let site = server::load(&args, clock.clone())
            .await
            .expect("site loads");
        let router = marquee::router(site.state.clone());
        Self {
            dir,
            site,
            router,
            clock,
            args,
        }
    }

    /// Stops the site and starts it again on the same files and database,
    /// as restarting the server would; `between` runs while it is down.
    pub async fn restart(self, between: impl FnOnce(&ServeArgs)) -> Self {
        let TestSite {
            dir,
            site,
            router,
            clock,
            args,
        } = self;
        drop(router);
        drop(site);
        between(&args);
        Self::start(dir, args, clock).await
    }

    /// Syncs the whole content folder now, as a start does: for tests that
    /// change files without the watcher.
    pub async fn sync_everything(&self) -> SyncReport {
        self.sync_everything_with(Indexing::Inline).await
    }

    /// Syncs as `sync_everything`, and empties the page cache when the
    /// sync changed anything, as the watcher does.
    pub async fn sync_everything_with(&self, indexing: Indexing) -> SyncReport {
        let report = self
            .site
            .syncer
            .sync_with(Scope::Everything, indexing)
            .await
            .expect("sync");
        if report.changed() {
            self.site.state.cache.invalidate();
        }
        report
    }

    pub fn content(&self) -> &Path {
        &self.args.content
    }

    /// Writes a content file (relative to `content/`) in one go.
    pub fn write(&self, path: &str, text: &str) {
        write_file(&self.content().join(path), text);
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.content().join(path)).unwrap();
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.request(request.body(Body::empty()).unwrap()).await
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// Polls `check` until it returns `Some`, or panics after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Text of the first element matching a CSS selector.
pub fn text_of(html: &scraper::Html, selector: &str) -> Option<String> {
    let selector = scraper::Selector::parse(selector).expect("valid selector");
    html.select(&selector).next().map(|element| {
        element
            .text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Texts of every element matching a CSS selector.
pub fn texts_of(html: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("valid selector");
    html.select(&selector)
        .map(|element| {
            element
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// An attribute of the first element matching a CSS selector.
pub fn attr_of(html: &scraper::Html, selector: &str, attribute: &str) -> Option<String> {
    let selector = scraper::Selector::parse(selector).expect("valid selector");
    html.select(&selector)
        .next()
        .and_then(|element| element.value().attr(attribute))
        .map(str::to_string)
}

/// A minimal valid review, for tests that need one more.
pub fn review(title: &str, film: &str, extra_front_matter: &str, body: &str) -> String {
    format!(
        "---\ntitle: {title}\nfilm:\n  title: {film}\n  year: 2024\npublished: 2024-06-01\n{extra_front_matter}---\n{body}\n"
    )
}

/// `marquee serve` as a child process on a free port, stopped when dropped.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Runs the built binary in `dir` with its defaults, as an editor
    /// would: `content/` and `marquee.db` relative to where it runs, with
    /// `args` added.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_with(dir, args, |_| {})
    }

    /// As `start`, with the command adjusted first (its user, its
    /// environment).
    pub fn start_with(
        dir: &Path,
        args: &[&str],
        adjust: impl FnOnce(&mut std::process::Command),
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
        command
            .current_dir(dir)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--static"])
            .arg(repo().join("static"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        adjust(&mut command);
        let child = command.spawn().expect("marquee serve starts");
        Self { child, port }
    }

    /// Stops the server as an operator would (SIGTERM) and waits for it
    /// to exit; returns its exit code.
    pub fn terminate(mut self, deadline: Duration) -> Option<i32> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(
                started.elapsed() < deadline,
                "the server did not stop within {deadline:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The status and body of a GET, or `None` while nothing answers.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let (port, path) = (self.port, path.to_string());
        tokio::task::spawn_blocking(move || http_get(port, &path))
            .await
            .unwrap()
    }

    /// The `<h1>` of a page, or `None` when it is not a 200.
    pub async fn headline(&self, path: &str) -> Option<String> {
        self.get(path)
            .await
            .filter(|(status, _)| *status == 200)
            .and_then(|(_, body)| text_of(&scraper::Html::parse_document(&body), "h1"))
    }
}

/// A bare HTTP/1.1 GET: the status and the body.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_string()))
}
