//! What a script or a supervisor reads from a start: besides the sentence
//! for people, one JSON object per line on stdout says where Marquee serves
//! and what its start did, and when a deferred search index is complete.

use crate::common;

use common::{Binary, PROCESS_DEADLINE, eventually, review, write_file};
use serde_json::Value;

/// Every JSON object Marquee printed on stdout. Any other line must be the
/// sentence for people, so that a reader of objects can skip the rest.
fn announcements(printed: &str) -> Vec<Value> {
    printed
        .lines()
        .filter(|line| !line.starts_with("Marquee is serving "))
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not a JSON object ({error}): {line:?}"))
        })
        .collect()
}

/// The announcements of one event.
fn announced(printed: &str, event: &str) -> Vec<Value> {
    announcements(printed)
        .into_iter()
        .filter(|object| object["event"] == event)
        .collect()
}

/// Waits for the first announcement of `event`.
async fn first(server: &Binary, event: &str) -> Value {
    eventually(PROCESS_DEADLINE, event, || async {
        announced(&server.printed(), event).into_iter().next()
    })
    .await
}

#[tokio::test]
async fn a_start_announces_its_address_and_figures_in_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    write_file(&content.join("site.toml"), "title = \"Films\"\n");
    for (file, film) in [("anora.md", "Anora"), ("past-lives.md", "Past Lives")] {
        write_file(
            &content.join("reviews").join(file),
            &review("A review", film, "", "Body."),
        );
    }
    write_file(
        &content.join("reviews/broken.md"),
        &review("Broken", "Broken", "rating: 7\n", "Body."),
    );

    let mut server = Binary::serve(dir.path(), &["--no-watch"]);
    let serving = first(&server, "serving").await;
    assert_eq!(serving["addr"], server.addr.to_string());
    assert_eq!(serving["read_only"], false);
    assert_eq!(serving["files_read"], 4, "site.toml and three reviews");
    assert_eq!(serving["changed"], 2, "the broken review is not stored");
    assert_eq!(serving["content_errors"], 1);
    assert!(serving["elapsed_ms"].is_u64(), "{serving}");
    // The sentence for people is still there, with the same address.
    assert_eq!(server.address(), server.addr);
    let ended = server.signal("TERM");
    assert!(ended.status.success(), "{}", ended.stderr());
    assert_eq!(announced(&ended.stdout, "serving").len(), 1);
    // A small start indexes search as it stores the reviews: nothing later
    // to announce.
    assert_eq!(
        announced(&ended.stdout, "search_indexed"),
        Vec::<Value>::new()
    );

    // Restarted on the same database: nothing changed, and the figures are
    // those the log gives.
    let server = Binary::serve(dir.path(), &["--no-watch", "--log-format", "json"]);
    let serving = first(&server, "serving").await;
    assert_eq!(serving["addr"], server.addr.to_string());
    assert_eq!(serving["changed"], 0);
    assert_eq!(serving["content_errors"], 1);
    let ended = server.signal("TERM");
    let synced = ended
        .stderr()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line["message"] == "content synced")
        .unwrap_or_else(|| panic!("no `content synced` line: {}", ended.stderr()));
    for figure in ["files_read", "changed", "content_errors", "elapsed_ms"] {
        assert_eq!(serving[figure], synced[figure], "{figure}");
    }
}

#[tokio::test]
async fn a_large_first_start_announces_when_search_is_complete() {
    // From 1,000 reviews a first start serves before it indexes search.
    const REVIEWS: u64 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let reviews = dir.path().join("content/reviews");
    for n in 0..REVIEWS {
        write_file(
            &reviews.join(format!("film-{n}.md")),
            &review(&format!("Review {n}"), &format!("Film {n}"), "", "Body."),
        );
    }

    let server = Binary::serve(dir.path(), &["--no-watch"]);
    let serving = first(&server, "serving").await;
    assert_eq!(serving["changed"], REVIEWS);
    let indexed = first(&server, "search_indexed").await;
    assert_eq!(indexed["reviews"], REVIEWS);
    assert!(indexed["elapsed_ms"].is_u64(), "{indexed}");
    let (status, page) = server.get("/search?q=film").await.unwrap();
    assert_eq!(status, 200);
    let page = scraper::Html::parse_document(&page);
    let incomplete = scraper::Selector::parse(".search-incomplete").unwrap();
    assert_eq!(page.select(&incomplete).count(), 0, "search is complete");
}
