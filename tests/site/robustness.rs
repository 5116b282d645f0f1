//! Broken input and broken circumstances: content files of any bytes and
//! shape, a database that is garbage or belongs to someone else, clients
//! that send too much or too slowly, and shutdown while requests and syncs
//! are in flight. Each must end in a clear error or a served site, never a
//! panic, a hang or a broken site.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::{Options, Server, TestSite, blocking, exchange, status_line};
use marquee::content::error::ContentError;
use marquee::content::loader::{self, Document, SourceFile};
use marquee::db::sync::Indexing;
use marquee::web::security::Limits;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Content files of any shape
// ---------------------------------------------------------------------------

fn source(path: &str) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        abs: PathBuf::new(),
        kind: loader::classify(path).expect("a content path"),
        mtime_ns: 0,
        size: 0,
    }
}

/// Parses `bytes` as each kind of content file; panics, if any, fail the
/// test. Returns the review's result.
fn parse_every_kind(bytes: &[u8]) -> Result<Document, ContentError> {
    for path in ["pages/page.md", "site.toml", "reviews/bundle/index.md"] {
        let _ = loader::parse(&source(path), bytes, &[]);
    }
    loader::parse(&source("reviews/review.md"), bytes, &[])
}

const VALID: &str = "---\ntitle: Headline\nfilm:\n  title: Film\n  year: 2024\n  director: Someone\nrating: 3.5\npublished: 2024-10-18\ntags: [Drama]\nrelease_dates:\n  - region: UK\n    date: 2024-11-01\n---\nFirst paragraph.\n\n## Heading\n\nSecond, with [a link](https://example.com).\n";

fn review_of(result: Result<Document, ContentError>) -> Box<marquee::content::review::Review> {
    match result {
        Ok(Document::Review(review)) => review,
        other => panic!("expected a review, got {other:?}"),
    }
}

/// Edits that files go through in the wild: cut short, bytes flipped,
/// junk inserted, line endings changed.
fn mangled(text: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let length = text.len();
    prop_oneof![
        (0..=length).prop_map(move |cut| text.as_bytes()[..cut].to_vec()),
        (0..length, any::<u8>()).prop_map(move |(at, byte)| {
            let mut bytes = text.as_bytes().to_vec();
            bytes[at] = byte;
            bytes
        }),
        (0..=length, prop::collection::vec(any::<u8>(), 1..64)).prop_map(move |(at, junk)| {
            let mut bytes = text.as_bytes().to_vec();
            bytes.splice(at..at, junk);
            bytes
        }),
        (0..=length, "[\\[\\]{}:&*!|>'\"%@`#,?-]{1,40}").prop_map(move |(at, yaml)| {
            let mut bytes = text.as_bytes().to_vec();
            bytes.splice(at..at, yaml.into_bytes());
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_every_kind(&bytes);
        let mut fenced = b"---\n".to_vec();
        fenced.extend_from_slice(&bytes);
        let _ = parse_every_kind(&fenced);
        let mut toml = b"+++\n".to_vec();
        toml.extend_from_slice(&bytes);
        toml.extend_from_slice(b"\n+++\n");
        let _ = parse_every_kind(&toml);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse_every_kind(text.as_bytes());
        let _ = parse_every_kind(format!("{VALID}{text}").as_bytes());
        let _ = parse_every_kind(format!("---\ntitle: {text}\n---\n").as_bytes());
    }

    #[test]
    fn a_mangled_review_is_an_error_naming_its_file_or_a_review(bytes in mangled(VALID)) {
        match parse_every_kind(&bytes) {
            Ok(_) => {}
            Err(error) => {
                prop_assert_eq!(&error.path, "reviews/review.md");
                prop_assert!(!error.reason.trim().is_empty());
                if let Some(line) = error.line {
                    let lines = bytes.split(|&b| b == b'\n').count();
                    prop_assert!(line >= 1 && line <= lines, "line {} of {}", line, lines);
                }
            }
        }
    }

    #[test]
    fn any_string_in_a_field_comes_back_exactly_or_is_refused(text in any::<String>()) {
        // Written the way a YAML editor would quote it.
        let quoted = serde_json::to_string(&text).unwrap();
        let file = VALID.replace("title: Headline", &format!("title: {quoted}"));
        match parse_every_kind(file.as_bytes()) {
            Ok(Document::Review(review)) => prop_assert_eq!(review.title, text.trim()),
            Ok(other) => prop_assert!(false, "{other:?}"),
            Err(error) => {
                prop_assert_eq!(error.field.as_deref(), Some("title"), "{}", error);
                prop_assert!(text.trim().is_empty(), "refused {text:?}: {error}");
            }
        }
    }
}

#[test]
fn a_bom_and_crlf_line_endings_change_nothing() {
    let plain = review_of(parse_every_kind(VALID.as_bytes()));
    let crlf = VALID.replace('\n', "\r\n");
    for variant in [
        format!("\u{feff}{VALID}"),
        crlf.clone(),
        format!("\u{feff}{crlf}"),
    ] {
        let review = review_of(parse_every_kind(variant.as_bytes()));
        assert_eq!(review.title, plain.title);
        assert_eq!(review.film, plain.film);
        assert_eq!(review.rating, plain.rating);
        assert_eq!(review.releases, plain.releases);
        assert_eq!(review.tags, plain.tags);
        assert_eq!(review.summary, plain.summary);
        assert_eq!(
            review.body_html.replace("\r\n", "\n"),
            plain.body_html,
            "{variant:?}"
        );
    }
}

#[test]
fn broken_files_get_clear_errors() {
    let cases: &[(&str, Vec<u8>, &str)] = &[
        ("empty", Vec::new(), "empty"),
        ("only a BOM", "\u{feff}".into(), "empty"),
        ("blank lines", "\n\r\n  \n".into(), "empty"),
        (
            "no front matter",
            "# Just markdown\n".into(),
            "must start with front matter",
        ),
        (
            "unterminated",
            "---\ntitle: A\n\nBody".into(),
            "never closed",
        ),
        (
            "unterminated toml",
            "+++\ntitle = \"A\"\n".into(),
            "never closed",
        ),
        (
            "invalid UTF-8",
            b"---\ntitle: \xff\xfe\n---\n".to_vec(),
            "not valid UTF-8",
        ),
        (
            "UTF-16",
            b"\xff\xfe-\0-\0-\0\n\0".to_vec(),
            "not valid UTF-8",
        ),
        (
            "NUL bytes",
            b"---\0\n---\n".to_vec(),
            "field `title`: is required but missing",
        ),
        (
            "30 February",
            VALID.replace("2024-10-18", "2024-02-30").into(),
            "February 2024 has 29 days",
        ),
        (
            "29 February 2023",
            VALID.replace("2024-10-18", "2023-02-29").into(),
            "February 2023 has 28 days",
        ),
        (
            "month 13",
            VALID.replace("2024-11-01", "2024-13-01").into(),
            "there is no month 13",
        ),
        (
            "hour 25",
            VALID.replace("2024-10-18", "2024-10-18T25:00:00Z").into(),
            "not a valid date",
        ),
        (
            "year 99999",
            VALID.replace("2024-10-18", "99999-10-18").into(),
            "not a valid date",
        ),
        (
            "huge year",
            VALID
                .replace("year: 2024", "year: 99999999999999999999999")
                .into(),
            "film.year",
        ),
        (
            "year 0",
            VALID.replace("year: 2024", "year: 0").into(),
            "not a plausible film year",
        ),
        (
            "huge rating",
            VALID.replace("rating: 3.5", "rating: 1e308").into(),
            "between 0.5 and 5",
        ),
        (
            "infinite rating",
            VALID.replace("rating: 3.5", "rating: .inf").into(),
            "between 0.5 and 5",
        ),
        (
            "NaN rating",
            VALID.replace("rating: 3.5", "rating: .nan").into(),
            "between 0.5 and 5",
        ),
        (
            "negative runtime",
            VALID.replace("director: Someone", "runtime: -5").into(),
            "film.runtime",
        ),
        (
            "huge runtime",
            VALID
                .replace("director: Someone", "runtime: 4294967296")
                .into(),
            "film.runtime",
        ),
        (
            "deep nesting",
            VALID
                .replace("tags: [Drama]", &format!("tags: {}", "[".repeat(10_000)))
                .into(),
            "nest more than",
        ),
        (
            "an alias bomb",
            VALID.replace("tags: [Drama]", &alias_bomb()).into(),
            "tags",
        ),
        (
            "a tab-indented key",
            VALID.replace("  title: Film", "\ttitle: Film").into(),
            "",
        ),
        (
            "a duplicated key",
            VALID
                .replace("rating: 3.5", "rating: 3.5\nrating: 4")
                .into(),
            "field `rating`: is written twice",
        ),
    ];
    for (what, bytes, expected) in cases {
        let started = Instant::now();
        let error = parse_every_kind(bytes).expect_err(what);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what}: {:?}",
            started.elapsed()
        );
        assert_eq!(error.path, "reviews/review.md", "{what}");
        assert!(
            error.to_string().contains(expected),
            "{what}: expected {expected:?} in {error}"
        );
    }
}

/// A billion laughs: nine levels of nine aliases each.
fn alias_bomb() -> String {
    let mut bomb = String::from("tags: [&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]");
    for (level, name) in "bcdefghi".chars().enumerate() {
        let previous = (b'a' + level as u8) as char;
        let aliases = vec![format!("*{previous}"); 9].join(", ");
        bomb.push_str(&format!(", &{name} [{aliases}]"));
    }
    bomb.push(']');
    bomb
}

/// Inputs that are slow in parsers written without care: each must parse
/// (or fail) in bounded time. At half a megabyte a quadratic cost shows as
/// minutes, not the second or so these take in an unoptimised build.
#[test]
fn pathological_markdown_renders_in_bounded_time() {
    let head = "---\ntitle: T\nfilm:\n  title: F\npublished: 2024-01-01\n---\n";
    let half_megabyte = 1 << 19;
    let cases: Vec<(&str, String)> = vec![
        (
            "one heading title over and over",
            "# a\n".repeat(half_megabyte / 4),
        ),
        (
            "one explicit heading id over and over",
            "# a {#x}\n".repeat(half_megabyte / 10),
        ),
        (
            "nested block quotes",
            format!("{} x\n", ">".repeat(half_megabyte)),
        ),
        ("nested lists", "- ".repeat(half_megabyte / 2) + "x\n"),
        ("unclosed links", "[".repeat(half_megabyte)),
        ("unclosed images", "![".repeat(half_megabyte / 2)),
        ("emphasis", "*a".repeat(half_megabyte / 2)),
        ("backticks", "`".repeat(half_megabyte)),
        (
            "a wide table",
            format!(
                "{}\n{}\n",
                "|a".repeat(half_megabyte / 8),
                "|-".repeat(half_megabyte / 8)
            ),
        ),
        (
            "a long table",
            format!("|a|\n|-|\n{}", "|x|\n".repeat(half_megabyte / 4)),
        ),
        (
            "footnotes",
            (0..half_megabyte / 16)
                .map(|i| format!("[^{i}]\n\n[^{i}]: n\n"))
                .collect(),
        ),
        (
            "link references",
            "[a]: /u\n".repeat(half_megabyte / 16) + &"[a] ".repeat(half_megabyte / 8),
        ),
        (
            "spoilers",
            "```spoiler\nx\n```\n".repeat(half_megabyte / 16),
        ),
        (
            "nested spoilers",
            (0..50)
                .map(|i| format!("{}spoiler\n", "`".repeat(60 - i)))
                .collect(),
        ),
        ("nested divs", "<div>".repeat(half_megabyte / 5)),
        (
            "nested divs under the sanitizing limit",
            "<div>".repeat(9_000),
        ),
        (
            "many raw HTML paragraphs",
            "<p onclick=x>a</p>\n".repeat(half_megabyte / 20),
        ),
        (
            "an unclosed comment",
            format!("<!--{}", "a".repeat(half_megabyte)),
        ),
        ("NUL bytes", "\0".repeat(half_megabyte)),
        (
            "entities",
            "&#99999999;&#x0;&amp".repeat(half_megabyte / 20),
        ),
        (
            "a long heading of accents",
            format!("# {}\n", "é".repeat(half_megabyte / 2)),
        ),
    ];
    for (what, body) in cases {
        let text = format!("{head}{body}");
        assert!(text.len() as u64 <= loader::MAX_FILE_BYTES, "{what}");
        // On a thread of its own, so that a hang fails the test rather than
        // stalling it; the bound is generous for an unoptimised build.
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(loader::parse(
                &source("reviews/review.md"),
                text.as_bytes(),
                &[],
            ));
        });
        let result = result
            .recv_timeout(Duration::from_secs(15))
            .unwrap_or_else(|_| panic!("{what}: still parsing after 15 s"));
        if let Err(error) = result {
            assert!(
                error.reason.contains("raw HTML")
                    || error.reason.starts_with("the body renders to"),
                "{what}: only too much raw HTML, or a page too large to cache, is refused: {error}"
            );
        }
    }
}

#[tokio::test]
async fn a_site_full_of_broken_files_still_serves_the_good_ones() {
    let ten_megabytes = format!("{VALID}{}", "x".repeat(10 << 20));
    let bad_date = VALID.replace("2024-10-18", "2024-02-30");
    let too_much_html = format!("{VALID}{}", "<i>x</i>\n\n".repeat(12_000));
    let files: Vec<(&str, &str)> = vec![
        ("reviews/empty.md", ""),
        ("reviews/ten-megabytes.md", &ten_megabytes),
        ("reviews/bad-date.md", &bad_date),
        ("reviews/unterminated.md", "---\ntitle: A\n"),
        ("reviews/too-much-html.md", &too_much_html),
        (
            "reviews/crlf.md",
            "---\r\ntitle: CRLF\r\nfilm:\r\n  title: Film\r\npublished: 2024-01-01\r\n---\r\nBody.\r\n",
        ),
        ("pages/broken.md", "---\ntitle: [\n---\n"),
    ];
    let site = TestSite::build(Options::default(), &files).await;
    std::fs::write(
        site.content().join("reviews/binary.md"),
        [0xffu8, 0xfe, 0, 1, 2],
    )
    .unwrap();
    site.sync_everything().await;
    let errors = marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap();
    let mut broken: Vec<(&str, &str)> = errors
        .iter()
        .map(|error| (error.path.as_str(), error.reason.as_str()))
        .collect();
    broken.sort();
    let paths: Vec<&str> = broken.iter().map(|(path, _)| *path).collect();
    assert_eq!(
        paths,
        [
            "pages/broken.md",
            "reviews/bad-date.md",
            "reviews/binary.md",
            "reviews/empty.md",
            "reviews/ten-megabytes.md",
            "reviews/too-much-html.md",
            "reviews/unterminated.md",
        ]
    );
    assert!(broken[4].1.contains("larger than 2 MB"), "{broken:?}");
    for path in [
        "/",
        "/reviews/anora",
        "/reviews/crlf",
        "/stats",
        "/search?q=film",
    ] {
        assert_eq!(site.get(path).await.status, StatusCode::OK, "{path}");
    }
}

// ---------------------------------------------------------------------------
// A database that is garbage, damaged, foreign, or gone
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_restart_on_the_same_database_serves_the_same_site() {
    let site = survives(|_| {}).await;
    let html = site.get("/").await.html();
    // site.toml did not change, so the sync skips it; its settings must
    // still apply.
    assert_eq!(
        common::text_of(&html, ".site-footer p").as_deref(),
        Some("Marquee · Film reviews, written in markdown · by The Marquee critic")
    );
    assert!(moved_aside(site.dir.path()).is_empty());
}

fn moved_aside(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("marquee.db.corrupt-"))
        .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect();
    names.sort();
    names
}

/// Stops the site, lets `damage` do its worst to the database file, starts
/// again, and checks that the same pages are served.
async fn survives(damage: impl FnOnce(&std::path::Path)) -> TestSite {
    let site = TestSite::sample().await;
    let before = site.get("/reviews/anora").await.body;
    let (args, clock) = (site.args.clone(), site.clock.clone());
    site.site.state.db.close().await;
    drop(site.router);
    drop(site.site);
    damage(&args.db);
    let reloaded = marquee::server::load(&args, clock.clone())
        .await
        .expect("the site starts");
    let router = marquee::router(reloaded.state.clone());
    let rebuilt = TestSite {
        dir: site.dir,
        site: reloaded,
        router,
        clock,
        args,
    };
    assert!(
        rebuilt.get("/reviews/anora").await.body == before,
        "the review page differs after the restart"
    );
    assert_eq!(rebuilt.get("/").await.status, StatusCode::OK);
    rebuilt
}

#[tokio::test]
async fn a_garbage_database_file_is_moved_aside_and_rebuilt() {
    let site = survives(|db| {
        let garbage: Vec<u8> = (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(db, garbage).unwrap();
    })
    .await;
    let aside = moved_aside(site.dir.path());
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(site.dir.path().join(&aside[0]))
            .unwrap()
            .len(),
        100_000,
        "the old file is kept as it was"
    );
}

/// Runs SQL against the database file with a connection of its own.
fn query_file(db: &std::path::Path, sql: &'static str) -> Vec<i64> {
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        rt.block_on(async {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db)
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            let rows: Vec<i64> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_file_is_moved_aside_and_rebuilt() {
    let site = survives(|db| {
        // Wreck the pages of the reviews table only: the header, the schema
        // and the migrations table stay readable, so only a check of every
        // page finds the damage before readers do.
        let page_size = query_file(db, "PRAGMA page_size")[0] as usize;
        let roots = query_file(
            db,
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'reviews' AND rootpage > 0",
        );
        let mut bytes = std::fs::read(db).unwrap();
        for root in roots {
            let start = (root as usize - 1) * page_size;
            bytes[start..start + page_size].fill(0x5a);
        }
        std::fs::write(db, bytes).unwrap();
    })
    .await;
    assert_eq!(moved_aside(site.dir.path()).len(), 1);
}

#[tokio::test]
async fn a_database_cut_short_is_moved_aside_and_rebuilt() {
    let site = survives(|db| {
        let bytes = std::fs::read(db).unwrap();
        std::fs::write(db, &bytes[..bytes.len() / 2]).unwrap();
    })
    .await;
    assert_eq!(moved_aside(site.dir.path()).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_programs_database_is_moved_aside_and_rebuilt() {
    let site = survives(|db| {
        std::fs::remove_file(db).unwrap();
        query_file(db, "CREATE TABLE reviews (name TEXT, stars REAL)");
    })
    .await;
    assert_eq!(moved_aside(site.dir.path()).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_database_is_rebuilt_even_beside_a_stale_journal() {
    // What a crash leaves behind: the WAL of a database with changes not
    // yet checkpointed. Capture one from a live site.
    let probe = TestSite::sample().await;
    sqlx::query("UPDATE reviews SET title = 'stale'")
        .execute(&probe.site.state.db)
        .await
        .unwrap();
    let stale_wal = std::fs::read(format!("{}-wal", probe.args.db.display())).unwrap();
    assert!(!stale_wal.is_empty());
    // The editor then deletes the database, but not its journal.
    let site = survives(move |db| {
        std::fs::remove_file(db).unwrap();
        std::fs::write(format!("{}-wal", db.display()), &stale_wal).unwrap();
    })
    .await;
    assert!(moved_aside(site.dir.path()).is_empty());
    assert_eq!(
        common::text_of(&site.get("/reviews/anora").await.html(), "h1").as_deref(),
        Some("An anti-Fairytale of New York")
    );
}

// ---------------------------------------------------------------------------
// Clients over a real socket: limits hyper enforces, and graceful shutdown
// ---------------------------------------------------------------------------

#[tokio::test]
async fn malformed_and_oversized_requests_get_clean_4xx_over_the_wire() {
    let site = TestSite::sample().await;
    let server = Server::start(site.router.clone(), Limits::default()).await;
    let addr = server.addr;
    let long_path = "a".repeat(8 * 1024);
    let huge_path = "a".repeat(64 * 1024);
    let big_header = "x".repeat(20 * 1024);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a page", b"GET /reviews/anora HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), "200"),
        ("a long path", format!("GET /{long_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes(), "414"),
        ("a long query", format!("GET /search?q={long_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes(), "414"),
        ("a huge request line", format!("GET /{huge_path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(), "431"),
        ("a huge header", format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big_header}\r\n\r\n").into_bytes(), "431"),
        ("many headers", format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-A: b\r\n".repeat(200)).into_bytes(), "431"),
        ("bytes that are not UTF-8 in the path", b"GET /reviews/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), "400"),
        ("a backslash path", b"GET /static/..\\..\\Cargo.toml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), "40"),
        ("an unknown method", b"BREW /reviews/anora HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), "405"),
        ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n".to_vec(), "40"),
        ("an absolute URI", b"GET http://evil.example/reviews/anora HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), "200"),
        ("a body too large", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n".to_vec(), "413"),
        ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n".to_vec(), "400"),
        ("HTTP/0.9", b"GET /\r\n\r\n".to_vec(), "400"),
        ("a bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), "40"),
    ];
    for (what, request, expected) in cases {
        let response = blocking(move || exchange(addr, &request, Duration::from_secs(5))).await;
        let status = status_line(&response);
        assert!(
            status.starts_with(&format!("HTTP/1.1 {expected}")),
            "{what}: {status:?}"
        );
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let site = TestSite::sample().await;
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = Server::start(site.router.clone(), limits).await;
    let addr = server.addr;
    let (response, elapsed) = blocking(move || {
        let started = Instant::now();
        let response = exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: x\r\n",
            Duration::from_secs(10),
        );
        (response, started.elapsed())
    })
    .await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(!response.contains("200 OK"), "{response}");
    // An idle kept-alive connection is closed the same way.
    let (response, elapsed) = blocking(move || {
        let started = Instant::now();
        let response = exchange(
            addr,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            Duration::from_secs(10),
        );
        (response, started.elapsed())
    })
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_refuses_new_ones() {
    let site = TestSite::sample().await;
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "finished"
        }),
    );
    let app = marquee::web::with_layers(slow, site.site.state.clone());
    let mut server = Server::start(app, Limits::default()).await;
    let addr = server.addr;
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            tokio::task::spawn_blocking(move || {
                exchange(
                    addr,
                    b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n",
                    Duration::from_secs(10),
                )
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    server.shutdown();
    for request in in_flight {
        let response = request.await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("finished"), "{response}");
    }
    tokio::time::timeout(Duration::from_secs(5), &mut server.done)
        .await
        .expect("the server stops once requests are done")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(TcpStream::connect(addr).is_err(), "no longer accepting");
}

#[tokio::test]
async fn shutdown_gives_up_on_stuck_requests_after_the_grace_period() {
    let site = TestSite::sample().await;
    let stuck = Router::new().route(
        "/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "never"
        }),
    );
    let limits = Limits {
        request_timeout: Duration::from_secs(3600),
        shutdown_grace: Duration::from_millis(300),
        ..Limits::default()
    };
    let app = marquee::web::with_layers(stuck, site.site.state.clone());
    let mut server = Server::start(app, limits).await;
    let addr = server.addr;
    let _client = tokio::task::spawn_blocking(move || {
        exchange(
            addr,
            b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n",
            Duration::from_secs(10),
        )
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.shutdown();
    tokio::time::timeout(Duration::from_secs(3), &mut server.done)
        .await
        .expect("the grace period bounds the shutdown")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_sync_in_progress_and_lets_none_start() {
    use marquee::content::plan::Scope;
    let site = TestSite::sample().await;
    for index in 0..600 {
        site.write(
            &format!("reviews/many-{index:03}.md"),
            &common::review(&format!("Many {index}"), "Film", "", &"Words. ".repeat(200)),
        );
    }
    let syncer = site.site.syncer.clone();
    let started = Instant::now();
    let sync = tokio::spawn(async move { syncer.sync(Scope::Everything).await });
    // The sync takes its lock as soon as it runs, long before it commits.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let paused = site.site.syncer.pause().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM reviews WHERE slug LIKE 'many-%'")
        .fetch_one(&site.site.state.db)
        .await
        .unwrap();
    assert_eq!(
        stored,
        600,
        "pause returned {:?} after the sync began, before it committed",
        started.elapsed()
    );
    assert_eq!(sync.await.unwrap().unwrap().documents_changed, 600);

    // While paused, a new sync waits.
    site.write(
        "reviews/late.md",
        &common::review("Late", "Film", "", "Body."),
    );
    let syncer = site.site.syncer.clone();
    let waiting = tokio::spawn(async move { syncer.sync(Scope::Everything).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "a sync ran while paused");
    drop(paused);
    assert_eq!(waiting.await.unwrap().unwrap().documents_changed, 1);
}

// ---------------------------------------------------------------------------
// The real binary: SIGTERM and Ctrl-C
// ---------------------------------------------------------------------------

/// `marquee serve` on a copy of the sample content, with a large file in its
/// static folder so that a download can be in flight at the signal.
struct Process {
    binary: common::Binary,
    _dir: tempfile::TempDir,
}

const LARGE_FILE_BYTES: usize = 48 << 20;

impl Process {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        let static_dir = dir.path().join("static");
        common::write_file(
            &content.join("reviews/one.md"),
            &common::review("One", "Film", "", "Body."),
        );
        std::fs::create_dir_all(&static_dir).unwrap();
        std::fs::write(static_dir.join("large.bin"), vec![7u8; LARGE_FILE_BYTES]).unwrap();
        let db = dir.path().join("marquee.db");
        let binary = common::Binary::serve(
            dir.path(),
            &[
                "--no-watch".as_ref(),
                "--content".as_ref(),
                content.as_os_str(),
                "--db".as_ref(),
                db.as_os_str(),
                "--static".as_ref(),
                static_dir.as_os_str(),
            ],
        );
        Self { binary, _dir: dir }
    }
}

#[test]
fn sigterm_and_ctrl_c_finish_a_download_in_flight_then_exit_cleanly() {
    for signal in ["TERM", "INT"] {
        let process = Process::start();
        let mut stream = TcpStream::connect(process.binary.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream
            .write_all(b"GET /static/large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        // Read the start only: the rest waits in the server's buffers.
        let mut first = vec![0u8; 64 * 1024];
        let read = stream.read(&mut first).unwrap();
        assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"));
        process.binary.send_signal(signal);
        std::thread::sleep(Duration::from_millis(300));
        // New connections are refused while the download goes on.
        assert!(
            TcpStream::connect(process.binary.addr).is_err(),
            "SIG{signal}"
        );
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        let head_end = first[..read]
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap()
            + 4;
        let ended = process.binary.exit();
        let (code, log) = (ended.status.code(), ended.stderr());
        assert_eq!(
            read - head_end + rest.len(),
            LARGE_FILE_BYTES,
            "SIG{signal}: the whole file arrived; head {:?}; exit {code:?}; log {log}",
            String::from_utf8_lossy(&first[..head_end])
        );
        assert_eq!(code, Some(0), "SIG{signal}: {log}");
        assert!(log.contains("stopped"), "SIG{signal}: {log}");
    }
}

/// Three reviews that only a search for `quixotic` finds.
fn quixotic_reviews(site: &TestSite) -> Vec<String> {
    (1..=3)
        .map(|n| {
            let slug = format!("windmill-{n}");
            site.write(
                &format!("reviews/{slug}.md"),
                &common::review(
                    &format!("Windmills, part {n}"),
                    "Windmills",
                    "",
                    "A quixotic film about a miller.",
                ),
            );
            slug
        })
        .collect()
}

/// What `/search?q=quixotic` shows: the result count, and whether the page
/// says that the index is incomplete.
async fn quixotic_search(site: &TestSite) -> (usize, bool) {
    site.site
        .state
        .cache
        .invalidate(&marquee::db::changes::Changes::everything());
    let response = site.get("/search?q=quixotic").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    let results = common::texts_of(&html, ".search-result h2").len();
    let notice = common::text_of(&html, ".search-incomplete").is_some();
    (results, notice)
}

#[tokio::test]
async fn a_large_sync_serves_pages_first_and_says_search_is_incomplete_until_indexed() {
    let site = TestSite::sample().await;
    assert_eq!(quixotic_search(&site).await, (0, false));
    let slugs = quixotic_reviews(&site);
    let report = site
        .sync_everything_with(Indexing::Deferred { at_least: 3 })
        .await;
    let syncer = &site.site.syncer;
    assert!(report.search_pending);
    for slug in &slugs {
        let page = site.get(&format!("/reviews/{slug}")).await;
        assert_eq!(page.status, StatusCode::OK, "{slug} is served at once");
    }
    assert_eq!(
        quixotic_search(&site).await,
        (0, true),
        "search says it is incomplete rather than that nothing matches"
    );

    assert_eq!(syncer.index_pending().await.unwrap(), 3);
    assert_eq!(quixotic_search(&site).await, (3, false));
    assert_eq!(syncer.index_pending().await.unwrap(), 0);
}

#[tokio::test]
async fn a_sync_below_the_threshold_indexes_in_its_own_transaction() {
    let site = TestSite::sample().await;
    quixotic_reviews(&site);
    let report = site
        .sync_everything_with(Indexing::Deferred { at_least: 4 })
        .await;
    assert!(!report.search_pending);
    assert_eq!(quixotic_search(&site).await, (3, false));
}

#[tokio::test]
async fn reviews_left_unindexed_by_a_crash_are_indexed_by_the_next_start() {
    let site = TestSite::sample().await;
    quixotic_reviews(&site);
    let report = site
        .sync_everything_with(Indexing::Deferred { at_least: 1 })
        .await;
    assert!(report.search_pending);
    // Stopped before `index_pending` ran, as a crash would.
    let site = site.restart(|_| {}).await;
    assert_eq!(quixotic_search(&site).await, (3, false));
}

#[tokio::test]
async fn a_client_that_stops_reading_a_large_page_is_dropped() {
    const BODY: usize = 64 * 1024 * 1024;
    let app = Router::new().route("/large", get(|| async { vec![b'x'; BODY] }));
    let limits = Limits {
        write_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = Server::start(app, limits).await;
    let addr = server.addr;
    let (read, elapsed) = blocking(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // The client stalls, as one that never reads does, for longer than
        // the write timeout: the input of this test, not a wait for it.
        std::thread::sleep(Duration::from_secs(1));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut read = 0;
        let mut buffer = vec![0; 1 << 16];
        while let Ok(count) = stream.read(&mut buffer) {
            if count == 0 {
                break;
            }
            read += count;
        }
        (read, started.elapsed())
    })
    .await;
    assert!(read < BODY, "the whole page was still sent: {read} bytes");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
}
