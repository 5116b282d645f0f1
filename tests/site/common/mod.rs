//! The one helper every integration test builds on: a real Marquee site on
//! a temporary content folder and a temporary SQLite file, with the real
//! router called in-process (no socket) and a clock the test controls.

#![allow(
    dead_code,
    reason = "each test file uses a different part of this helper"
)]
#![allow(
    unreachable_pub,
    reason = "a module of each test crate, shared by them all: `pub` says which parts they may use"
)]

pub mod crawl;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use marquee::clock::Clock;
use marquee::config::ServeArgs;
use marquee::content::plan::Scope;
use marquee::db::sync::Indexing;
use marquee::publish::syncer::SyncReport;
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
    /// `--purge-hook`.
    pub purge_hook: Option<String>,
    /// `--cache-mb`: memory for rendered pages (pages it lets go are kept
    /// on disk, up to 64 MB).
    pub cache_mb: u64,
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
            purge_hook: None,
            cache_mb: 16,
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
        // The static folder beside the content folder, as a site keeps it
        // and as `marquee check` looks for posters.
        let static_dir = dir.path().join("static");
        copy_dir(&repo().join("static"), &static_dir);
        for (path, text) in files {
            write_file(&content.join(path), text);
        }
        let args = ServeArgs {
            addr: "127.0.0.1:0".parse().unwrap(),
            content,
            db: dir.path().join("marquee.db"),
            base_url: Some("https://films.example".into()),
            static_dir,
            drafts: options.drafts,
            status_token: options.status_token.clone(),
            cache_mb: options.cache_mb,
            cache_disk_mb: 64,
            no_watch: !options.watch,
            rescan_secs: options.rescan_secs,
            purge_hook: options.purge_hook.clone(),
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

    /// Another instance on the same content folder, with a database of its
    /// own and a clock `ahead` of this one's start: a second server behind
    /// the same load balancer, started later.
    pub async fn another_instance(&self, ahead: Duration) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let args = ServeArgs {
            db: dir.path().join("other.db"),
            ..self.args.clone()
        };
        let clock = Clock::manual(self.clock.now() + ahead);
        Self::start(dir, args, clock).await
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

    /// Syncs as `sync_everything`; the syncer tells the page cache what
    /// changed, as it does for the watcher.
    pub async fn sync_everything_with(&self, indexing: Indexing) -> SyncReport {
        self.site
            .syncer
            .sync_with(Scope::Everything, indexing)
            .await
            .expect("sync")
    }

    pub fn content(&self) -> &Path {
        &self.args.content
    }

    /// Writes a content file (relative to `content/`) in one go.
    pub fn write(&self, path: &str, text: &str) {
        write_file(&self.content().join(path), text);
    }

    /// Writes a binary content file (an image), relative to `content/`.
    pub fn write_bytes(&self, path: &str, bytes: &[u8]) {
        let path = self.content().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Where this site keeps its image derivatives (beside the database).
    pub fn images_dir(&self) -> PathBuf {
        self.args.db.with_file_name("marquee-images")
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

    /// A GET whose body is kept as bytes (images).
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .expect("router answers");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
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

pub fn copy_dir(from: &Path, to: &Path) {
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

/// A JPEG of `width`×`height` pixels: a gradient whose colours depend on
/// `seed`, so two seeds give two different files.
pub fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            seed,
        ])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&image)
        .expect("a JPEG");
    bytes
}

// ---------------------------------------------------------------------------
// Over a real socket: the server as `marquee serve` runs it, and the binary
// ---------------------------------------------------------------------------

/// `app` served on a free port by `serve_on`, as `marquee serve` does.
pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(app: Router, limits: marquee::web::security::Limits) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            server::serve_on(listener, app, &limits, async {
                let _ = stopped.await;
            })
            .await;
        });
        Self {
            addr,
            stop: Some(stop),
            done,
        }
    }

    pub fn shutdown(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
    }
}

/// Sends raw bytes and reads until the server closes or `timeout` passes.
pub fn exchange_bytes(addr: std::net::SocketAddr, request: &[u8], timeout: Duration) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response
}

/// `exchange_bytes`, as text.
pub fn exchange(addr: std::net::SocketAddr, request: &[u8], timeout: Duration) -> String {
    String::from_utf8_lossy(&exchange_bytes(addr, request, timeout)).into_owned()
}

pub fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

/// Runs blocking socket work off the test's runtime.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// One HTTP/1.1 response read off the wire (sent with `Connection: close`
/// or ended by the server, so the body is everything after the head).
pub struct WireResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WireResponse {
    pub fn parse(bytes: &[u8]) -> Self {
        let split = bytes
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(bytes)));
        let head = std::str::from_utf8(&bytes[..split]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Self {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` over a fresh connection, closed after the answer.
pub fn wire_get(addr: std::net::SocketAddr, path: &str) -> WireResponse {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    WireResponse::parse(&exchange_bytes(
        addr,
        request.as_bytes(),
        Duration::from_secs(10),
    ))
}

/// `marquee` run in `dir`, with nothing inherited that would change what
/// it does (`MARQUEE_*` settings); add the subcommand and flags.
pub fn marquee(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"));
    command.current_dir(dir).env("RUST_LOG", "info");
    for name in [
        "MARQUEE_ADDR",
        "MARQUEE_CONTENT",
        "MARQUEE_DB",
        "MARQUEE_BASE_URL",
        "MARQUEE_STATIC",
        "MARQUEE_LOG_FORMAT",
        "MARQUEE_NO_WATCH",
        "MARQUEE_RESCAN_SECS",
        "MARQUEE_STATUS_TOKEN",
    ] {
        command.env_remove(name);
    }
    command
}

/// The real `marquee` binary as a child process, killed when dropped. Its
/// stdout and stderr are read as they come, so that neither pipe can fill
/// and stall it, and are there to look at while it runs and after.
pub struct Binary {
    pub child: std::process::Child,
    /// Where it serves, once `serve` has seen it say so.
    pub addr: std::net::SocketAddr,
    stdout: Output,
    stderr: Output,
    readers: Vec<std::thread::JoinHandle<()>>,
}

type Output = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

/// How a process ended, and everything it wrote.
pub struct Ended {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: Vec<u8>,
}

impl Ended {
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Long enough for a debug build on a busy machine to start or stop.
pub const PROCESS_DEADLINE: Duration = Duration::from_secs(30);

impl Binary {
    /// Runs `marquee serve --addr 127.0.0.1:0 ARGS` in `cwd`, as an editor
    /// would (`content/` and `marquee.db` relative to it unless `args` say
    /// otherwise), and waits until it says where it serves.
    pub fn serve<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> Self {
        let mut command = marquee(cwd);
        command.args(["serve", "--addr", "127.0.0.1:0"]).args(args);
        let mut binary = Self::spawn(command);
        binary.addr = binary.address();
        binary
    }

    /// Starts `command` with its output collected.
    pub fn spawn(mut command: std::process::Command) -> Self {
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("marquee starts");
        let (stdout, stdout_reader) = collect(child.stdout.take().unwrap());
        let (stderr, stderr_reader) = collect(child.stderr.take().unwrap());
        Self {
            child,
            addr: ([0, 0, 0, 0], 0).into(),
            stdout,
            stderr,
            readers: vec![stdout_reader, stderr_reader],
        }
    }

    /// The address a server prints once it serves ("... at http://ADDR/").
    /// Waits for it (blocking: it is another process we wait for).
    pub fn address(&mut self) -> std::net::SocketAddr {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("marquee exited ({status}) before serving:\n{}", self.log());
            }
            let stdout = String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned();
            let printed = stdout.lines().find_map(|line| {
                let (_, url) = line.rsplit_once(" at http://")?;
                url.trim_end_matches('/').parse().ok()
            });
            if let Some(addr) = printed {
                return addr;
            }
            assert!(
                started.elapsed() < PROCESS_DEADLINE,
                "marquee did not say where it serves within {PROCESS_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What it has printed on stdout so far.
    pub fn printed(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Sends a signal (`TERM`, `INT`), as an operator or a supervisor does.
    pub fn send_signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits (blocking) for the process to exit by itself.
    pub fn exit(mut self) -> Ended {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return self.ended(status);
            }
            assert!(
                started.elapsed() < PROCESS_DEADLINE,
                "marquee did not exit within {PROCESS_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops a server with a signal and waits for it to exit.
    pub fn signal(self, name: &str) -> Ended {
        self.send_signal(name);
        self.exit()
    }

    /// Stops a server at once: killed, as it has nothing left to say.
    pub fn stop(mut self) -> Ended {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        self.ended(status)
    }

    fn ended(mut self, status: std::process::ExitStatus) -> Ended {
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        let take = |output: &Output| std::mem::take(&mut *output.lock().unwrap());
        Ended {
            status,
            stdout: String::from_utf8_lossy(&take(&self.stdout)).into_owned(),
            stderr: take(&self.stderr),
        }
    }

    /// The status and body of a GET, or `None` while nothing answers.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let (addr, path) = (self.addr, path.to_string());
        blocking(move || http_get(addr, &path)).await
    }

    /// The `<h1>` of a page, or `None` when it is not a 200.
    pub async fn headline(&self, path: &str) -> Option<String> {
        self.get(path)
            .await
            .filter(|(status, _)| *status == 200)
            .and_then(|(_, body)| text_of(&scraper::Html::parse_document(&body), "h1"))
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a child's pipe to the end on a thread of its own.
fn collect(mut from: impl std::io::Read + Send + 'static) -> (Output, std::thread::JoinHandle<()>) {
    let output = Output::default();
    let sink = output.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = from.read(&mut buffer) {
            if read == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buffer[..read]);
        }
    });
    (output, reader)
}

/// A bare HTTP/1.1 GET: the status and the body, or `None` when nothing
/// answers.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = WireResponse::parse(&response);
    Some((response.status, response.text()))
}
