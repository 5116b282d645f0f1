//! Starting Marquee as a person or a deploy script does: the real binary,
//! in temporary folders, on ports it picks itself. A mistyped content
//! folder fails loudly and leaves nothing behind; links name the address
//! served when nothing else does; logs suit whatever reads them.

use crate::common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use axum::http::{Request, StatusCode, header};
use bytes::Bytes;
use common::{Binary, Ended, marquee};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

/// A command line, after the program's name.
type Args<'a> = &'a [&'a str];
/// Environment variables, beside the command line.
type Env<'a> = &'a [(&'a str, &'a str)];

/// A GET over a real socket: the status and the body.
async fn get(addr: SocketAddr, path: &str) -> (StatusCode, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get(path)
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// The names in a folder, to show that nothing was created in it.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// A content folder with one review and the given `site.toml`.
fn content_with_site(dir: &Path, site_toml: &str) -> std::path::PathBuf {
    let content = dir.join("content");
    common::write_file(&content.join("site.toml"), site_toml);
    common::write_file(
        &content.join("reviews/anora.md"),
        &common::review("An anti-Fairytale", "Anora", "", "Body."),
    );
    content
}

/// `marquee serve` on `content`, on a port it picks, its database beside.
fn serve(dir: &Path, content: &Path, extra: &[&str]) -> Binary {
    let mut command = marquee(dir);
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--no-watch", "--content"])
        .arg(content)
        .arg("--db")
        .arg(dir.join("marquee.db"))
        .args(extra);
    Binary::spawn(command)
}

fn select_attr(html: &str, selector: &str, attr: &str) -> Option<String> {
    let html = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    html.select(&selector)
        .next()
        .and_then(|element| element.value().attr(attr))
        .map(str::to_string)
}

/// Every stderr line as a JSON object; panics on a line that is not one.
fn json_lines(ended: &Ended) -> Vec<serde_json::Map<String, serde_json::Value>> {
    ended
        .stderr()
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not a JSON object ({error}): {line:?}"))
        })
        .collect()
}

/// The WARN lines (JSON logs) about links pointing at this machine.
fn loopback_warnings(ended: &Ended) -> Vec<serde_json::Map<String, serde_json::Value>> {
    json_lines(ended)
        .into_iter()
        .filter(|line| line["level"] == "WARN" && line.contains_key("base_url"))
        .collect()
}

#[tokio::test]
async fn a_missing_content_folder_is_an_error_that_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(&dir.path().join("notes.txt"), "not a folder");
    let before = names_in(dir.path());
    let cases: [(Args, Env, &str, &str); 7] = [
        (
            &[],
            &[("MARQUEE_ADDR", "127.0.0.1:0")],
            "content",
            "does not exist",
        ),
        (
            &["serve", "--addr", "127.0.0.1:0", "--content", "./typo"],
            &[],
            "./typo",
            "does not exist",
        ),
        (
            &["--addr", "127.0.0.1:0", "--content", "notes.txt"],
            &[],
            "notes.txt",
            "is a file",
        ),
        (
            &["check", "--content", "./typo"],
            &[],
            "./typo",
            "does not exist",
        ),
        (
            &["check"],
            &[("MARQUEE_CONTENT", "typo")],
            "typo",
            "does not exist",
        ),
        (
            &["check", "--content", "notes.txt"],
            &[],
            "notes.txt",
            "is a file",
        ),
        (
            &["new", "Anora", "--content", "./typo"],
            &[],
            "./typo",
            "does not exist",
        ),
    ];
    for (args, envs, path, reason) in cases {
        let mut command = marquee(dir.path());
        command.args(args).envs(envs.iter().copied());
        let ended = Binary::spawn(command).exit();
        let stderr = ended.stderr();
        assert!(!ended.status.success(), "{args:?} succeeded: {stderr}");
        // One line, naming the folder, what is wrong and how to say another.
        let message = stderr.trim();
        assert!(!message.contains('\n'), "{args:?}: {stderr}");
        assert!(
            message.contains(&format!("`{path}` {reason}")),
            "{args:?}: {stderr}"
        );
        assert!(message.contains("--content"), "{args:?}: {stderr}");
        assert!(message.contains("MARQUEE_CONTENT"), "{args:?}: {stderr}");
        assert_eq!(ended.stdout, "", "{args:?}");
        assert_eq!(names_in(dir.path()), before, "{args:?} created files");
    }
}

#[test]
fn check_reports_a_missing_folder_rather_than_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let error = marquee::content::check(&dir.path().join("typo")).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn new_never_creates_the_content_folder_itself() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let today = time::macros::date!(2026 - 11 - 24);
    assert!(marquee::content::scaffold::new_review(&missing, "Anora", today).is_err());
    assert!(!missing.exists());
}

#[tokio::test]
async fn new_makes_reviews_inside_an_existing_content_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("content")).unwrap();
    let mut command = marquee(dir.path());
    command.args(["new", "Past Lives"]);
    let ended = Binary::spawn(command).exit();
    assert!(ended.status.success(), "{}", ended.stderr());
    assert!(dir.path().join("content/reviews/past-lives.md").is_file());
}

#[tokio::test]
async fn without_a_base_url_links_name_the_address_served() {
    let dir = tempfile::tempdir().unwrap();
    let content = content_with_site(dir.path(), "title = \"Reel\"\n");
    let mut server = serve(dir.path(), &content, &[]);
    let addr = server.address();
    let base = format!("http://{addr}");

    let (status, home) = get(addr, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select_attr(&home, "link[rel=canonical]", "href"),
        Some(format!("{base}/"))
    );
    let (status, review) = get(addr, "/reviews/anora").await;
    assert_eq!(status, StatusCode::OK);
    let review_url = format!("{base}/reviews/anora");
    assert_eq!(
        select_attr(&review, "meta[property='og:url']", "content").as_ref(),
        Some(&review_url)
    );
    assert_eq!(
        select_attr(&review, "link[rel=canonical]", "href").as_ref(),
        Some(&review_url)
    );

    let (status, rss) = get(addr, "/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    let rss = roxmltree::Document::parse(&rss).unwrap();
    let links: Vec<&str> = rss
        .descendants()
        .filter(|node| node.has_tag_name("link"))
        .map(|node| node.text().or(node.attribute("href")).unwrap())
        .collect();
    assert_eq!(
        links,
        [
            &format!("{base}/"),
            &format!("{base}/feed.xml"),
            &review_url
        ]
    );

    let (status, json) = get(addr, "/feed.json").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["home_page_url"], format!("{base}/"));
    assert_eq!(json["feed_url"], format!("{base}/feed.json"));
    assert_eq!(json["items"][0]["url"], review_url);

    let (status, sitemap) = get(addr, "/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    let sitemap = roxmltree::Document::parse(&sitemap).unwrap();
    let locs: BTreeSet<&str> = sitemap
        .descendants()
        .filter(|node| node.has_tag_name("loc"))
        .filter_map(|node| node.text())
        .collect();
    assert!(locs.contains(review_url.as_str()), "{locs:?}");
    assert!(locs.iter().all(|loc| loc.starts_with(&base)), "{locs:?}");
}

#[tokio::test]
async fn links_to_this_machine_are_warned_about_once_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let content = content_with_site(dir.path(), "title = \"Reel\"\n");
    let mut server = serve(dir.path(), &content, &["--log-format", "json"]);
    let addr = server.address();
    for path in ["/", "/feed.xml", "/reviews/anora"] {
        assert_eq!(get(addr, path).await.0, StatusCode::OK);
    }
    let ended = server.stop();
    let warnings = loopback_warnings(&ended);
    assert_eq!(warnings.len(), 1, "{}", ended.stderr());
    assert_eq!(warnings[0]["base_url"], format!("http://{addr}"));
}

#[tokio::test]
async fn a_base_url_in_site_toml_or_on_the_command_line_is_kept() {
    for (site_toml, flag, expected) in [
        (
            "base_url = \"https://films.example.com/\"\n",
            None,
            "https://films.example.com/",
        ),
        (
            "base_url = \"https://films.example.com\"\n",
            Some("https://flag.example/"),
            "https://flag.example/",
        ),
        ("", Some("https://flag.example"), "https://flag.example/"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let content = content_with_site(dir.path(), site_toml);
        let mut extra = vec!["--log-format", "json"];
        extra.extend(flag.iter().flat_map(|url| ["--base-url", url]));
        let mut server = serve(dir.path(), &content, &extra);
        let addr = server.address();
        let (_, home) = get(addr, "/").await;
        assert_eq!(
            select_attr(&home, "link[rel=canonical]", "href").as_deref(),
            Some(expected),
            "{site_toml} {flag:?}"
        );
        let ended = server.stop();
        assert!(loopback_warnings(&ended).is_empty(), "{}", ended.stderr());
    }
}

#[tokio::test]
async fn logs_into_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let content = content_with_site(dir.path(), "");
    let mut server = serve(dir.path(), &content, &[]);
    server.address();
    let ended = server.stop();
    let log = ended.stderr();
    assert!(log.contains("content synced"), "{log}");
    assert!(!ended.stderr.contains(&0x1b), "{log:?}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let content = content_with_site(dir.path(), "");
    let mut server = serve(dir.path(), &content, &["--log-format", "json"]);
    server.address();
    let ended = server.stop();
    let lines = json_lines(&ended);
    assert!(
        lines.iter().any(|line| line["level"] == "INFO"
            && line["message"] == "content synced"
            && line["files_read"] == 2),
        "{}",
        ended.stderr()
    );
    assert!(lines.iter().all(|line| line.contains_key("timestamp")));

    // The flag (or its variable) works with every command, wherever it is
    // written, and the reason a command fails is a JSON line too.
    let with_flag: [(Args, Env); 3] = [
        (&["--log-format", "json", "check", "--content", "typo"], &[]),
        (&["check", "--content", "typo", "--log-format", "json"], &[]),
        (
            &["new", "Anora", "--content", "typo"],
            &[("MARQUEE_LOG_FORMAT", "json")],
        ),
    ];
    for (args, envs) in with_flag {
        let mut command = marquee(dir.path());
        command.args(args).envs(envs.iter().copied());
        let ended = Binary::spawn(command).exit();
        assert!(!ended.status.success());
        let lines = json_lines(&ended);
        assert_eq!(lines.len(), 1, "{args:?}: {}", ended.stderr());
        assert_eq!(lines[0]["level"], "ERROR");
        let message = lines[0]["message"].as_str().unwrap();
        assert!(message.contains("`typo` does not exist"), "{message}");
    }
}

#[tokio::test]
async fn each_request_is_logged_at_debug_with_its_route_status_and_cache() {
    let dir = tempfile::tempdir().unwrap();
    let content = content_with_site(dir.path(), "title = \"Reel\"\n");
    let mut command = marquee(dir.path());
    command
        .env("RUST_LOG", "info,marquee::web::metrics=debug")
        .args(["serve", "--addr", "127.0.0.1:0", "--no-watch", "--content"])
        .arg(&content)
        .arg("--db")
        .arg(dir.path().join("marquee.db"))
        .args(["--log-format", "json"]);
    let mut server = Binary::spawn(command);
    let addr = server.address();
    for path in ["/reviews/anora", "/reviews/anora", "/no-such-page"] {
        get(addr, path).await;
    }
    let ended = server.stop();
    let answered: Vec<_> = json_lines(&ended)
        .into_iter()
        .filter(|line| line["message"] == "answered")
        .collect();
    let seen: Vec<(String, u64, String)> = answered
        .iter()
        .map(|line| {
            (
                line["route"].as_str().unwrap_or_default().to_string(),
                line["status"].as_u64().unwrap_or_default(),
                line["cache"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("/reviews/:slug".to_string(), 200, "miss".to_string()),
            ("/reviews/:slug".to_string(), 200, "hit".to_string()),
            ("/:slug".to_string(), 404, "pass".to_string()),
        ],
        "{}",
        ended.stderr()
    );
    // Each in a span numbering the request, for errors logged inside it.
    let ids: BTreeSet<u64> = answered
        .iter()
        .filter_map(|line| line["span"]["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), 3, "{answered:?}");
    assert!(answered.iter().all(|line| line["method"] == "GET"));
}
