//! The editor's tools: `marquee new` to start a review, `marquee check` to
//! see every content error, the token-protected status page on the running
//! server, and errors reported once rather than on every sync.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use axum::http::StatusCode;
use common::{Options, TestSite, review, texts_of};
use marquee::content::plan::Scope;

fn marquee(args: &[&str], content: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(args)
        .arg("--content")
        .arg(content)
        .output()
        .expect("the marquee binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn new_writes_a_draft_that_check_refuses_until_filled_in_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let created = marquee(&["new", "The Zone of Interest"], dir.path());
    assert!(created.status.success(), "{created:?}");
    let path = dir.path().join("reviews/the-zone-of-interest.md");
    let text = std::fs::read_to_string(&path).expect("the review file exists");
    assert!(stdout(&created).contains("the-zone-of-interest.md"));
    for field in [
        "title:",
        "film:",
        "year:",
        "director:",
        "runtime:",
        "poster:",
        "rating:",
        "spoilers:",
        "published:",
        "updated:",
        "draft: true",
        "release_dates:",
        "tags:",
        "summary:",
        "slug:",
        "author:",
    ] {
        assert!(text.contains(field), "`{field}` is filled in or commented");
    }
    assert!(text.contains("```spoiler"), "shows the spoiler syntax");

    // Refused until the editor writes the headline and the date.
    let checked = marquee(&["check"], dir.path());
    assert_eq!(checked.status.code(), Some(1), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("the-zone-of-interest.md:5: field `title`: is empty; write"),
        "{}",
        stdout(&checked)
    );
    let filled = text.replacen("title: ", "title: Headline", 1).replacen(
        "published: ",
        "published: 2026-12-01",
        1,
    );
    std::fs::write(&path, &filled).unwrap();
    let checked = marquee(&["check"], dir.path());
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("no errors"),
        "{}",
        stdout(&checked)
    );

    let again = marquee(&["new", "The Zone of Interest"], dir.path());
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), filled, "unchanged");
}

#[tokio::test]
async fn a_new_review_is_a_draft_until_the_editor_publishes_it() {
    let site = TestSite::build(
        Options {
            watch: true,
            drafts: true,
            sample_content: false,
            ..Options::default()
        },
        &[],
    )
    .await;
    let created = marquee(&["new", "Past Lives"], site.content());
    assert!(created.status.success(), "{created:?}");
    let path = site.content().join("reviews/past-lives.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("title: ", "title: Headline", 1).replacen(
            "published: ",
            "published: 2026-12-01",
            1,
        ),
    )
    .unwrap();
    let banner = common::eventually(
        std::time::Duration::from_secs(1),
        "the new draft in preview",
        || async {
            let html = site.get("/reviews/past-lives").await.html();
            common::text_of(&html, ".draft-banner strong")
        },
    )
    .await;
    assert_eq!(banner, "Draft");
    assert!(texts_of(&site.get("/").await.html(), ".card").is_empty());
}

const BROKEN: &str = "reviews/broken.md";

fn broken_review() -> String {
    review("Broken", "Film", "rating: 4.3\n", "Body.")
}

#[tokio::test]
async fn the_status_page_is_off_without_a_token() {
    let site = TestSite::build(Options::default(), &[(BROKEN, &broken_review())]).await;
    let response = site
        .get_with("/status", &[("authorization", "Bearer anything")])
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_status_page_answers_only_the_token() {
    let site = TestSite::build(
        Options {
            status_token: Some("s3cret-token".into()),
            ..Options::default()
        },
        &[(BROKEN, &broken_review())],
    )
    .await;
    for headers in [
        &[][..],
        &[("authorization", "Bearer wrong")],
        &[("authorization", "Bearer s3cret-token-and-more")],
        &[("authorization", "s3cret-token")],
        // The client address proves nothing behind a proxy.
        &[("x-forwarded-for", "127.0.0.1"), ("x-real-ip", "127.0.0.1")],
    ] {
        let response = site.get_with("/status", headers).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{headers:?}");
        assert!(!response.body.contains(BROKEN), "{headers:?}");
    }
    assert_eq!(
        site.get("/status?token=wrong").await.status,
        StatusCode::NOT_FOUND
    );

    let response = site
        .get_with("/status", &[("authorization", "Bearer s3cret-token")])
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let html = response.html();
    let cells = texts_of(&html, "table.errors td");
    assert_eq!(cells[..3], [BROKEN, "7", "rating"], "{cells:?}");
    assert!(cells[3].contains("4.3"), "{cells:?}");
    // Cached pages must not leak it to the next, token-less request.
    assert_eq!(site.get("/status").await.status, StatusCode::NOT_FOUND);
}

#[test]
fn check_prints_every_error_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(&dir.path().join(BROKEN), &broken_review());
    common::write_file(&dir.path().join("site.toml"), "per_page = 0\n");
    let output = marquee(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("reviews/broken.md:7: field `rating`"),
        "{text}"
    );
    assert!(text.contains("site.toml:1: field `per_page`"), "{text}");
}

#[tokio::test]
async fn an_error_is_reported_once_not_on_every_sync() {
    let site = TestSite::build(Options::default(), &[(BROKEN, &broken_review())]).await;
    let first: Vec<String> = site
        .site
        .initial
        .new_errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].starts_with("reviews/broken.md:7: field `rating`"));

    let syncer = &site.site.syncer;
    let again = syncer.sync(Scope::Everything).await.unwrap();
    assert!(again.new_errors.is_empty(), "{:?}", again.new_errors);
    let touched = syncer
        .sync(Scope::Paths(vec![BROKEN.into()]))
        .await
        .unwrap();
    assert!(touched.new_errors.is_empty(), "{:?}", touched.new_errors);

    // A different mistake in the same file is news again.
    site.write(BROKEN, &broken_review().replace("4.3", "6"));
    let changed = syncer
        .sync(Scope::Paths(vec![BROKEN.into()]))
        .await
        .unwrap();
    assert_eq!(changed.new_errors.len(), 1);
    assert!(changed.new_errors[0].reason.contains('6'));
}
