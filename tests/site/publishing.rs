//! The editor's story, live: `marquee serve` is running, and every save in
//! `content/` shows on the site within a second, with no restart. Each test
//! runs the real watcher on real files in a temp dir, wired to the real
//! router, and waits by polling with a deadline.

use crate::common;

use std::io::Write;
use std::time::Duration;

use axum::http::StatusCode;
use common::{
    Binary, Options, TestResponse, TestSite, attr_of, eventually, review, text_of, texts_of,
};
use tokio::time::Instant;

/// The product requirement: a save is on the site within a second.
const PUBLISH: Duration = Duration::from_secs(1);

/// A site on an empty content folder with the watcher running.
async fn watched() -> TestSite {
    watched_with(Options::default(), &[]).await
}

async fn watched_with(options: Options, files: &[(&str, &str)]) -> TestSite {
    let options = Options {
        watch: true,
        sample_content: false,
        ..options
    };
    TestSite::build(options, files).await
}

/// The `<h1>` of a page, or `None` while it is not served.
async fn headline(site: &TestSite, path: &str) -> Option<String> {
    headline_of(&site.get(path).await)
}

fn headline_of(response: &TestResponse) -> Option<String> {
    (response.status == StatusCode::OK)
        .then(|| text_of(&response.html(), "h1"))
        .flatten()
}

async fn site_title(site: &TestSite) -> Option<String> {
    text_of(&site.get("/").await.html(), ".site-title")
}

/// The review links on the home page.
async fn home_links(site: &TestSite) -> Vec<String> {
    let html = site.get("/").await.html();
    let selector = scraper::Selector::parse(".card .card-film a").unwrap();
    html.select(&selector)
        .filter_map(|link| link.value().attr("href").map(str::to_string))
        .collect()
}

/// Waits (within `PUBLISH`) until `path`'s headline is `expected` (`None`:
/// until it is gone), and prints how long that took.
async fn until_headline(site: &TestSite, path: &str, expected: Option<&str>) {
    let start = Instant::now();
    let what = format!("{path} to show {expected:?}");
    eventually(PUBLISH, &what, || async {
        (headline(site, path).await.as_deref() == expected).then_some(())
    })
    .await;
    println!("{what}: {:?}", start.elapsed());
}

/// Polls `path` for `pause` (the editor's pause between two writes), failing
/// if it ever shows something other than one of `allowed` headlines, or a
/// content error is reported for the half-written file.
async fn never_shows_other_than(
    site: &TestSite,
    path: &str,
    allowed: &[Option<&str>],
    pause: Duration,
) {
    let until = Instant::now() + pause;
    while Instant::now() < until {
        let response = site.get(path).await;
        let shown = headline_of(&response);
        assert!(
            allowed.contains(&shown.as_deref()),
            "{path} served {shown:?} while the file was being written"
        );
        let paragraphs = texts_of(&response.html(), ".review-body > p");
        assert!(
            !paragraphs.iter().any(|p| p.starts_with("Part")),
            "{path} served a partial body: {paragraphs:?}"
        );
        let errors = marquee::db::sources::errors(&site.site.state.db)
            .await
            .unwrap();
        assert!(
            errors.is_empty(),
            "a file still being written is not an error: {errors:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn three_part_review(title: &str) -> Vec<String> {
    let whole = review(
        title,
        "Slow Film",
        "",
        "Part one.\n\nPart two.\n\nPart three.",
    );
    // Each chunk ends after a whole paragraph, so every prefix of the file
    // is itself a valid review: only the watcher can keep it off the site.
    let two = whole.find("Part two.").unwrap();
    let three = whole.find("Part three.").unwrap();
    vec![
        whole[..two].to_string(),
        whole[two..three].to_string(),
        whole[three..].to_string(),
    ]
}

/// Opens `file` once and writes `chunks` through it, pausing 400 ms after
/// each write (an empty chunk: after the open) while checking the site, as
/// a slow editor or a network drive would; closes the file last.
async fn write_slowly(
    site: &TestSite,
    file: &str,
    chunks: &[String],
    page: &str,
    allowed: &[Option<&str>],
) {
    let pause = Duration::from_millis(400);
    let mut handle = std::fs::File::create(site.content().join(file)).unwrap();
    for chunk in chunks {
        handle.write_all(chunk.as_bytes()).unwrap();
        never_shows_other_than(site, page, allowed, pause).await;
    }
    drop(handle);
}

#[tokio::test]
async fn a_new_file_is_published_and_listed() {
    let site = watched().await;
    assert!(home_links(&site).await.is_empty());
    site.write(
        "reviews/new-film.md",
        &review(
            "Fresh ink",
            "New Film",
            "tags: [Drama]\nrelease_dates:\n  - region: UK\n    date: 2024-07-01\n",
            "Body.",
        ),
    );
    until_headline(&site, "/reviews/new-film", Some("Fresh ink")).await;
    assert_eq!(home_links(&site).await, vec!["/reviews/new-film"]);
    let html = site.get("/reviews/new-film").await.html();
    assert_eq!(texts_of(&html, ".tags a"), vec!["Drama"]);
    assert_eq!(texts_of(&html, ".release-box li").len(), 1);
    let tag = site.get("/tags/drama").await.html();
    assert_eq!(texts_of(&tag, ".card-headline"), vec!["Fresh ink"]);
}

#[tokio::test]
async fn a_changed_file_is_updated_on_the_page_and_in_listings() {
    let first = review("First thoughts", "Film", "", "Body.");
    let site = watched_with(Options::default(), &[("reviews/film.md", &first)]).await;
    // Prime the page cache, so that the change must invalidate it.
    assert_eq!(
        headline(&site, "/reviews/film").await.as_deref(),
        Some("First thoughts")
    );
    assert_eq!(
        texts_of(&site.get("/").await.html(), ".card-headline"),
        vec!["First thoughts"]
    );
    site.write(
        "reviews/film.md",
        &review("Second thoughts", "Film", "", "Body."),
    );
    until_headline(&site, "/reviews/film", Some("Second thoughts")).await;
    assert_eq!(
        texts_of(&site.get("/").await.html(), ".card-headline"),
        vec!["Second thoughts"]
    );
}

#[tokio::test]
async fn a_deleted_file_is_unpublished_everywhere() {
    let text = review("Gone soon", "Film", "tags: [Drama]\n", "Searchable words.");
    let site = watched_with(Options::default(), &[("reviews/film.md", &text)]).await;
    assert_eq!(home_links(&site).await, vec!["/reviews/film"]);
    site.remove("reviews/film.md");
    until_headline(&site, "/reviews/film", None).await;
    assert!(home_links(&site).await.is_empty());
    assert_eq!(
        site.get("/tags/drama").await.status,
        StatusCode::NOT_FOUND,
        "a tag nobody carries is gone"
    );
    let search = site.get("/search?q=searchable").await.html();
    assert!(texts_of(&search, ".search-result").is_empty());
}

#[tokio::test]
async fn a_renamed_file_moves_to_its_new_address() {
    let text = review("Moving house", "Film", "", "Body.");
    let site = watched_with(Options::default(), &[("reviews/old-name.md", &text)]).await;
    assert_eq!(
        headline(&site, "/reviews/old-name").await.as_deref(),
        Some("Moving house")
    );
    std::fs::rename(
        site.content().join("reviews/old-name.md"),
        site.content().join("reviews/new-name.md"),
    )
    .unwrap();
    until_headline(&site, "/reviews/new-name", Some("Moving house")).await;
    until_headline(&site, "/reviews/old-name", None).await;
    assert_eq!(home_links(&site).await, vec!["/reviews/new-name"]);
}

#[tokio::test]
async fn a_temp_file_renamed_into_place_publishes_the_whole_file() {
    let site = watched_with(
        Options::default(),
        &[("reviews/film.md", &review("Before", "Film", "", "Body."))],
    )
    .await;
    assert_eq!(
        headline(&site, "/reviews/film").await.as_deref(),
        Some("Before")
    );
    // How many editors save: write a temporary file beside the real one,
    // then rename it over the real one in one step.
    let temp = site.content().join("reviews/.film.md.tmp-4831");
    common::write_file(&temp, &review("After", "Film", "", "Body."));
    std::fs::rename(&temp, site.content().join("reviews/film.md")).unwrap();
    until_headline(&site, "/reviews/film", Some("After")).await;
    assert_eq!(home_links(&site).await, vec!["/reviews/film"]);
}

#[tokio::test]
async fn a_save_that_moves_the_old_file_away_first_never_unpublishes() {
    let site = watched_with(
        Options::default(),
        &[("reviews/film.md", &review("Good", "Film", "", "Body."))],
    )
    .await;
    // Vim's default save on Linux: rename the file to its backup name, write
    // the new file, then delete the backup. The gap between the rename and
    // the new file is the editor's business; here it is 50 ms.
    let file = site.content().join("reviews/film.md");
    let backup = site.content().join("reviews/film.md~");
    std::fs::rename(&file, &backup).unwrap();
    let renamed = Instant::now();
    let mut written = None;
    let start = Instant::now();
    while start.elapsed() < PUBLISH {
        let shown = headline(&site, "/reviews/film").await;
        assert!(
            shown.is_some(),
            "the review was unpublished during a save (new file written {:?} after the rename)",
            written.map(|at: Instant| at - renamed)
        );
        if shown.as_deref() == Some("Better") {
            return;
        }
        if written.is_none() && renamed.elapsed() >= Duration::from_millis(50) {
            common::write_file(&file, &review("Better", "Film", "", "Body."));
            std::fs::remove_file(&backup).unwrap();
            written = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the new version was not published within {PUBLISH:?}");
}

#[tokio::test]
async fn an_empty_save_keeps_the_good_page_live() {
    let site = watched_with(
        Options::default(),
        &[("reviews/film.md", &review("Good", "Film", "", "Body."))],
    )
    .await;
    site.write("reviews/film.md", "");
    // The empty version is seen (and reported) without unpublishing.
    eventually(PUBLISH, "the empty save to be reported", || async {
        let errors = marquee::db::sources::errors(&site.site.state.db)
            .await
            .unwrap();
        (errors.len() == 1).then_some(())
    })
    .await;
    assert_eq!(
        headline(&site, "/reviews/film").await.as_deref(),
        Some("Good")
    );
    assert_eq!(home_links(&site).await, vec!["/reviews/film"]);
    site.write("reviews/film.md", &review("Better", "Film", "", "Body."));
    until_headline(&site, "/reviews/film", Some("Better")).await;
}

#[tokio::test]
async fn a_new_file_written_in_three_slow_writes_is_never_half_published() {
    let site = watched().await;
    // The editor creates the file, and only later writes to it.
    let mut chunks = three_part_review("Slowly written");
    chunks.insert(0, String::new());
    write_slowly(&site, "reviews/slow.md", &chunks, "/reviews/slow", &[None]).await;
    until_headline(&site, "/reviews/slow", Some("Slowly written")).await;
    let html = site.get("/reviews/slow").await.html();
    assert_eq!(
        texts_of(&html, ".review-body > p"),
        vec!["Part one.", "Part two.", "Part three."]
    );
}

#[tokio::test]
async fn a_new_bundle_written_slowly_is_never_half_published() {
    let site = watched().await;
    // The editor makes the folder, and a moment later starts the file in it.
    std::fs::create_dir(site.content().join("reviews/slow")).unwrap();
    never_shows_other_than(&site, "/reviews/slow", &[None], Duration::from_millis(100)).await;
    let mut chunks = three_part_review("Slow bundle");
    chunks.insert(0, String::new());
    write_slowly(
        &site,
        "reviews/slow/index.md",
        &chunks,
        "/reviews/slow",
        &[None],
    )
    .await;
    until_headline(&site, "/reviews/slow", Some("Slow bundle")).await;
}

#[tokio::test]
async fn a_file_rewritten_in_three_slow_writes_keeps_its_old_version_until_done() {
    let site = watched_with(
        Options::default(),
        &[(
            "reviews/slow.md",
            &review("Old version", "Slow Film", "", "Whole."),
        )],
    )
    .await;
    let chunks = three_part_review("New version");
    write_slowly(
        &site,
        "reviews/slow.md",
        &chunks,
        "/reviews/slow",
        &[Some("Old version")],
    )
    .await;
    until_headline(&site, "/reviews/slow", Some("New version")).await;
    let html = site.get("/reviews/slow").await.html();
    assert_eq!(
        texts_of(&html, ".review-body > p"),
        vec!["Part one.", "Part two.", "Part three."]
    );
}

#[tokio::test]
async fn a_broken_save_keeps_the_good_version_and_reports_the_error() {
    let site = watched_with(
        Options {
            status_token: Some("editor-token".into()),
            ..Options::default()
        },
        &[("reviews/film.md", &review("Good", "Film", "", "Body."))],
    )
    .await;
    let broken = review("Broken", "Film", "rating: 4.3\n", "Body.");
    site.write("reviews/film.md", &broken);
    let auth = [("authorization", "Bearer editor-token")];
    let cells = eventually(PUBLISH, "the error on the status page", || async {
        let html = site.get_with("/status", &auth).await.html();
        let cells = texts_of(&html, "table.errors td");
        (!cells.is_empty()).then_some(cells)
    })
    .await;
    assert_eq!(cells[..3], ["reviews/film.md", "7", "rating"]);
    assert!(cells[3].contains("4.3"), "{cells:?}");
    assert_eq!(
        headline(&site, "/reviews/film").await.as_deref(),
        Some("Good")
    );
    site.write(
        "reviews/film.md",
        &review("Fixed", "Film", "rating: 4.5\n", "Body."),
    );
    until_headline(&site, "/reviews/film", Some("Fixed")).await;
    let html = site.get_with("/status", &auth).await.html();
    assert_eq!(
        text_of(&html, "#errors-heading").unwrap(),
        "No content errors"
    );
}

#[tokio::test]
async fn site_settings_apply_when_saved() {
    let site = watched().await;
    assert_eq!(site_title(&site).await.as_deref(), Some("Marquee"));
    site.write("site.toml", "title = \"Reel Talk\"\n");
    let start = Instant::now();
    eventually(PUBLISH, "the new site title", || async {
        (site_title(&site).await.as_deref() == Some("Reel Talk")).then_some(())
    })
    .await;
    println!("site.toml applied in {:?}", start.elapsed());
    // A broken settings file keeps the last good settings.
    site.write("site.toml", "title = \n");
    eventually(PUBLISH, "the site.toml error", || async {
        let errors = marquee::db::sources::errors(&site.site.state.db)
            .await
            .unwrap();
        errors
            .iter()
            .any(|error| error.path == "site.toml")
            .then_some(())
    })
    .await;
    assert_eq!(site_title(&site).await.as_deref(), Some("Reel Talk"));
}

#[tokio::test]
async fn a_page_bundle_serves_its_images_and_follows_its_folder() {
    let site = watched().await;
    // A new folder, then the review written into it: the watch must pick up
    // the folder, or the later edit below would never be seen.
    std::fs::create_dir(site.content().join("reviews/bundled")).unwrap();
    site.write(
        "reviews/bundled/index.md",
        &review("With pictures", "Film", "", "![still](still.jpg)"),
    );
    until_headline(&site, "/reviews/bundled", Some("With pictures")).await;
    let jpeg = "a still from the film, as bytes";
    std::fs::write(site.content().join("reviews/bundled/still.jpg"), jpeg).unwrap();
    let html = site.get("/reviews/bundled").await.html();
    let src = attr_of(&html, ".review-body img", "src").unwrap();
    assert_eq!(src, "/reviews/bundled/still.jpg");
    let image = site.get(&src).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), Some("image/jpeg"));
    assert_eq!(image.body, jpeg);
    assert_eq!(
        site.get("/reviews/bundled/index.md").await.status,
        StatusCode::NOT_FOUND,
        "the markdown itself stays private"
    );

    site.write(
        "reviews/bundled/index.md",
        &review("Edited in place", "Film", "", "![still](still.jpg)"),
    );
    until_headline(&site, "/reviews/bundled", Some("Edited in place")).await;

    std::fs::rename(
        site.content().join("reviews/bundled"),
        site.content().join("reviews/moved"),
    )
    .unwrap();
    until_headline(&site, "/reviews/moved", Some("Edited in place")).await;
    until_headline(&site, "/reviews/bundled", None).await;
    let html = site.get("/reviews/moved").await.html();
    assert_eq!(
        attr_of(&html, ".review-body img", "src").as_deref(),
        Some("/reviews/moved/still.jpg")
    );
    assert_eq!(
        site.get("/reviews/moved/still.jpg").await.status,
        StatusCode::OK
    );
    // The watch follows the folder to its new name.
    site.write(
        "reviews/moved/index.md",
        &review("Edited after the move", "Film", "", "Body."),
    );
    until_headline(&site, "/reviews/moved", Some("Edited after the move")).await;

    std::fs::remove_dir_all(site.content().join("reviews/moved")).unwrap();
    until_headline(&site, "/reviews/moved", None).await;
    assert!(home_links(&site).await.is_empty());
}

#[tokio::test]
async fn a_standalone_page_is_served_and_linked_from_the_menu() {
    let about = "---\ntitle: About\nmenu: true\nweight: 10\n---\nWho we are.\n";
    let site = watched_with(Options::default(), &[("pages/about.md", about)]).await;
    site.write(
        "pages/colophon.md",
        "---\ntitle: Colophon\nmenu: true\nweight: 1\n---\nHow the site is made.\n",
    );
    until_headline(&site, "/colophon", Some("Colophon")).await;
    let menu = || async {
        let html = site.get("/").await.html();
        texts_of(&html, ".site-nav li")
    };
    assert_eq!(
        menu().await,
        vec!["Reviews", "Tags", "Stats", "Colophon", "About"]
    );
    // Searches keep the menu between content changes, and must drop it then.
    let site = &site;
    let search_menu = |q: &'static str| async move {
        let html = site.get(&format!("/search?q={q}")).await.html();
        texts_of(&html, ".site-nav li")
    };
    assert_eq!(search_menu("who").await, menu().await);
    let html = site.get("/colophon").await.html();
    assert_eq!(
        attr_of(&html, ".site-nav a[aria-current=page]", "href").as_deref(),
        Some("/colophon")
    );
    site.write(
        "pages/colophon.md",
        "---\ntitle: Colophon\n---\nHow the site is made.\n",
    );
    eventually(PUBLISH, "the colophon to leave the menu", || async {
        (menu().await == ["Reviews", "Tags", "Stats", "About"]).then_some(())
    })
    .await;
    assert_eq!(
        search_menu("made").await,
        ["Reviews", "Tags", "Stats", "About"]
    );
    assert_eq!(site.get("/colophon").await.status, StatusCode::OK);
    site.remove("pages/colophon.md");
    until_headline(site, "/colophon", None).await;
}

#[tokio::test]
async fn a_scheduled_review_appears_when_its_time_comes() {
    let site = watched_with(
        Options::default(),
        &[(
            "reviews/now.md",
            &review("Already out", "Film", "tags: [Drama]\n", "Body."),
        )],
    )
    .await;
    site.write(
        "reviews/later.md",
        &review(
            "Worth the wait",
            "Later",
            "tags: [Drama]\n",
            "Patience rewarded.",
        )
        .replace("published: 2024-06-01", "published: 2026-11-24T15:00:00Z"),
    );
    // Until its time, the review is stored but hidden like a draft.
    eventually(PUBLISH, "the scheduled review to be synced", || async {
        let hidden = marquee::db::reviews::hidden(&site.site.state.db, site.clock.now())
            .await
            .unwrap();
        (hidden.len() == 1).then_some(())
    })
    .await;
    let tag_headlines = || async {
        let html = site.get("/tags/drama").await.html();
        texts_of(&html, ".card-headline")
    };
    let search_hits = || async {
        let html = site.get("/search?q=patience").await.html();
        texts_of(&html, ".search-result .card-headline")
    };
    assert_eq!(home_links(&site).await, vec!["/reviews/now"]);
    assert_eq!(tag_headlines().await, vec!["Already out"]);
    assert!(search_hits().await.is_empty());
    assert_eq!(headline(&site, "/reviews/later").await, None);

    // No file is touched: only the clock moves.
    site.clock
        .set(time::macros::datetime!(2026-11-24 15:00:01 UTC));
    eventually(PUBLISH, "the scheduled review on the home page", || async {
        (home_links(&site).await == ["/reviews/later", "/reviews/now"]).then_some(())
    })
    .await;
    assert_eq!(tag_headlines().await, vec!["Worth the wait", "Already out"]);
    assert_eq!(search_hits().await, vec!["Worth the wait"]);
    assert_eq!(
        headline(&site, "/reviews/later").await.as_deref(),
        Some("Worth the wait")
    );
}

#[tokio::test]
async fn drafts_are_hidden_until_published_by_a_save() {
    let draft = review(
        "Work in progress",
        "Draft Film",
        "draft: true\ntags: [Drama]\n",
        "Unfinished musings.",
    );
    let site = watched_with(
        Options::default(),
        &[
            ("reviews/draft.md", &draft),
            (
                "reviews/public.md",
                &review("Public", "Film", "tags: [Comedy]\n", "Body."),
            ),
        ],
    )
    .await;
    assert_eq!(
        site.get("/reviews/draft").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(home_links(&site).await, vec!["/reviews/public"]);
    assert_eq!(site.get("/tags/drama").await.status, StatusCode::NOT_FOUND);
    let tags = texts_of(&site.get("/tags").await.html(), "main li");
    assert!(tags.iter().all(|tag| !tag.contains("Drama")), "{tags:?}");
    let search = site.get("/search?q=musings").await.html();
    assert!(texts_of(&search, ".search-result").is_empty());

    site.write(
        "reviews/draft.md",
        &draft.replace("draft: true", "draft: false"),
    );
    until_headline(&site, "/reviews/draft", Some("Work in progress")).await;
    assert_eq!(
        home_links(&site).await,
        vec!["/reviews/public", "/reviews/draft"]
    );
    let search = site.get("/search?q=musings").await.html();
    assert_eq!(texts_of(&search, ".search-result").len(), 1);
}

#[tokio::test]
async fn preview_mode_shows_drafts_and_scheduled_reviews_with_a_banner() {
    let draft = review("Work in progress", "Film", "draft: true\n", "Body.");
    let scheduled = review("Coming soon", "Film", "", "Body.")
        .replace("published: 2024-06-01", "published: 2027-01-01");
    let site = watched_with(
        Options {
            drafts: true,
            ..Options::default()
        },
        &[
            ("reviews/draft.md", &draft),
            ("reviews/scheduled.md", &scheduled),
        ],
    )
    .await;
    let html = site.get("/reviews/draft").await.html();
    assert_eq!(
        text_of(&html, ".draft-banner strong").as_deref(),
        Some("Draft")
    );
    assert_eq!(
        attr_of(&html, "meta[name=robots]", "content").as_deref(),
        Some("noindex")
    );
    let html = site.get("/reviews/scheduled").await.html();
    assert_eq!(
        text_of(&html, ".draft-banner strong").as_deref(),
        Some("Scheduled")
    );
    assert!(
        home_links(&site).await.is_empty(),
        "previewing does not list"
    );
    site.write(
        "reviews/draft.md",
        &draft.replace("Work in progress", "Still working"),
    );
    until_headline(&site, "/reviews/draft", Some("Still working")).await;
}

#[tokio::test]
async fn updated_reviews_say_when() {
    let site = watched().await;
    site.write(
        "reviews/revised.md",
        &review("Revised", "Film", "updated: 2024-12-03\n", "Body."),
    );
    until_headline(&site, "/reviews/revised", Some("Revised")).await;
    let html = site.get("/reviews/revised").await.html();
    assert_eq!(
        text_of(&html, ".byline .updated").as_deref(),
        Some("Updated 3 December 2024")
    );
    assert_eq!(
        attr_of(&html, ".byline .updated time", "datetime").as_deref(),
        Some("2024-12-03T00:00:00Z")
    );
}

#[tokio::test]
async fn spoiler_blocks_render_closed_without_javascript() {
    let site = watched().await;
    site.write(
        "reviews/twist.md",
        &review(
            "Twisty",
            "Film",
            "",
            "Before.\n\n```spoiler The ending\nShe *leaves*.\n```\n\nAfter.",
        ),
    );
    until_headline(&site, "/reviews/twist", Some("Twisty")).await;
    let html = site.get("/reviews/twist").await.html();
    assert_eq!(
        text_of(&html, ".review-body details.spoiler summary").as_deref(),
        Some("Spoiler: The ending")
    );
    assert_eq!(
        text_of(&html, ".review-body details.spoiler p").as_deref(),
        Some("She leaves.")
    );
    assert_eq!(
        attr_of(&html, ".review-body details.spoiler", "open"),
        None,
        "closed until the reader opens it"
    );
    assert!(
        texts_of(&html, "script:not([type='application/ld+json'])").is_empty(),
        "no JavaScript"
    );
}

#[tokio::test]
async fn the_scheduler_wakes_for_a_review_due_just_as_content_changes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let times: Vec<(String, String)> = (13..=18)
        .map(|hour| {
            let text = review(&format!("At {hour}"), "Film", "", "Body.").replace(
                "published: 2024-06-01",
                &format!("published: 2026-11-24T{hour}:00:00Z"),
            );
            (format!("reviews/at-{hour}.md"), text)
        })
        .collect();
    let files: Vec<(&str, &str)> = times
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &files,
    )
    .await;
    let woken = Arc::new(AtomicUsize::new(0));
    let content_changed = Arc::new(tokio::sync::Notify::new());
    let scheduler = tokio::spawn(marquee::publish::schedule::run(
        site.site.state.db.clone(),
        site.clock.clone(),
        content_changed.clone(),
        {
            let woken = woken.clone();
            move || {
                woken.fetch_add(1, Ordering::SeqCst);
            }
        },
    ));
    for (round, hour) in (13..=18).enumerate() {
        // A sync finishes at the very moment a review's time comes: the
        // scheduler sees both at once, and must not lose the review.
        content_changed.notify_one();
        site.clock
            .set(time::macros::datetime!(2026-11-24 0:00:01 UTC) + time::Duration::hours(hour));
        eventually(PUBLISH, &format!("the wake for {hour}:00"), || async {
            (woken.load(Ordering::SeqCst) > round).then_some(())
        })
        .await;
    }
    scheduler.abort();
}

#[tokio::test]
async fn the_real_server_publishes_saves_in_its_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    common::write_file(
        &content.join("reviews/first.md"),
        &review("First", "Film", "", "Body."),
    );
    let server = Binary::serve::<&str>(dir.path(), &[]);
    // Starting up (compiling nothing, but loading) is not what is timed.
    eventually(Duration::from_secs(20), "the server to start", || async {
        (server.headline("/reviews/first").await.as_deref() == Some("First")).then_some(())
    })
    .await;
    common::write_file(
        &content.join("reviews/second.md"),
        &review("Second", "Film", "", "Body."),
    );
    let start = Instant::now();
    eventually(PUBLISH, "the saved review on the real server", || async {
        (server.headline("/reviews/second").await.as_deref() == Some("Second")).then_some(())
    })
    .await;
    println!("real server published in {:?}", start.elapsed());
    std::fs::remove_file(content.join("reviews/first.md")).unwrap();
    eventually(PUBLISH, "the removed review gone", || async {
        server
            .headline("/reviews/first")
            .await
            .is_none()
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_slug_handed_from_one_file_to_another_in_one_sync_lands() {
    let site = TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &[
            (
                "reviews/a.md",
                &review("A", "Film", "slug: first\n", "Body."),
            ),
            (
                "reviews/b.md",
                &review("B", "Film", "slug: second\n", "Body."),
            ),
        ],
    )
    .await;
    // As a `git pull` might: a.md takes b.md's slug while b.md moves on.
    // a.md sorts first, so it meets the slug before b.md lets go of it.
    site.write(
        "reviews/a.md",
        &review("A", "Film", "slug: second\n", "Body."),
    );
    site.write(
        "reviews/b.md",
        &review("B", "Film", "slug: third\n", "Body."),
    );
    let report = site.sync_everything().await;
    assert!(report.new_errors.is_empty(), "{:?}", report.new_errors);
    assert_eq!(
        headline(&site, "/reviews/second").await.as_deref(),
        Some("A")
    );
    assert_eq!(
        headline(&site, "/reviews/third").await.as_deref(),
        Some("B")
    );
    assert_eq!(headline(&site, "/reviews/first").await, None);
}
