//! An editor's mistakes: each is refused with a message that names the
//! file, the line and the field and says what would be right, and none of
//! them can make a page or a feed fail, or put raw control characters in
//! front of readers.
//!
//! `marquee check` runs `content::check` on a folder; the served site is
//! the real router on the sample content plus the broken files.

use crate::common;

use std::path::Path;

use axum::http::StatusCode;
use common::{Options, TestSite, review, text_of};
use marquee::content;

/// The files a `check` of `files` finds errors in, as `marquee check` prints
/// them, with the `content` folder's sample files beside them.
fn check(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        common::write_file(&dir.path().join(path), text);
    }
    check_folder(dir.path())
}

fn check_folder(folder: &Path) -> Vec<String> {
    let report = content::check(folder).expect("the folder reads");
    let mut errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    errors.sort();
    errors
}

/// Parses a sitemap and returns every `<loc>`.
fn sitemap_locations(xml: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(xml).expect("a well-formed sitemap");
    document
        .descendants()
        .filter(|node| node.has_tag_name("loc"))
        .filter_map(|node| node.text().map(str::to_string))
        .collect()
}

/// Dates no output can format: a year 0, a year -1, and both in `updated`
/// and a release date.
const BAD_DATES: [(&str, &str, &str); 4] = [
    (
        "reviews/minus-one.md",
        "published: 2024-06-01",
        "published: -0001-01-01",
    ),
    (
        "reviews/minus-hundred.md",
        "published: 2024-06-01",
        "published: 2024-06-01\nupdated: -0100-01-01",
    ),
    (
        "reviews/year-zero.md",
        "published: 2024-06-01",
        "published: 0000-06-01T10:00:00Z",
    ),
    (
        "reviews/ancient-release.md",
        "published: 2024-06-01",
        "published: 2024-06-01\nrelease_dates:\n  - region: UK\n    date: 0999-12-31",
    ),
];

fn bad_date_files() -> Vec<(String, String)> {
    BAD_DATES
        .iter()
        .map(|(path, from, to)| {
            let text = review("Headline", "A Film", "", "Body.").replace(from, to);
            (path.to_string(), text)
        })
        .collect()
}

#[test]
fn check_refuses_dates_outside_the_years_every_output_can_show() {
    let files = bad_date_files();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let bound =
        "is not a date pages and feeds can show; write a year from 1000 to 9999, e.g. 2024-10-18";
    assert_eq!(
        check(&files),
        [
            format!(
                "reviews/ancient-release.md:9: field `release_dates[0].date`: `0999-12-31` {bound}"
            ),
            format!("reviews/minus-hundred.md:7: field `updated`: `-0100-01-01` {bound}"),
            format!("reviews/minus-one.md:6: field `published`: `-0001-01-01` {bound}"),
            format!("reviews/year-zero.md:6: field `published`: `0000-06-01T10:00:00Z` {bound}"),
        ]
    );
}

#[tokio::test]
async fn a_date_no_output_can_show_is_not_published_and_every_page_still_answers() {
    let files = bad_date_files();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = TestSite::build(Options::default(), &files).await;
    for path in [
        "/",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/reviews/anora",
        "/films/2024",
        "/stats",
    ] {
        assert_eq!(site.get(path).await.status, StatusCode::OK, "{path}");
    }
    for slug in ["minus-one", "minus-hundred", "year-zero", "ancient-release"] {
        let path = format!("/reviews/{slug}");
        assert_eq!(
            site.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        let locations = sitemap_locations(&site.get("/sitemap.xml").await.body);
        assert!(
            !locations.iter().any(|url| url.ends_with(&path)),
            "{path} in {locations:?}"
        );
        let feed: serde_json::Value =
            serde_json::from_str(&site.get("/feed.json").await.body).expect("JSON Feed");
        let urls: Vec<&str> = feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|item| item["url"].as_str())
            .collect();
        assert!(
            !urls.iter().any(|url| url.ends_with(&path)),
            "{path} in {urls:?}"
        );
        assert!(
            urls.iter().any(|url| url.ends_with("/reviews/anora")),
            "{urls:?}"
        );
    }
}

#[tokio::test]
async fn names_without_letters_or_digits_are_refused_instead_of_linking_to_a_404() {
    let director = review("Headline", "A Film", "", "Body.")
        .replace("  year: 2024\n", "  year: 2024\n  director: \"!!!\"\n");
    let region = review(
        "Headline",
        "A Film",
        "release_dates:\n  - region: UK\n    date: 2024-06-01\n  - region: \"???\"\n    date: 2024-06-02\n",
        "Body.",
    );
    let files = [
        ("reviews/director.md", director.as_str()),
        ("reviews/region.md", region.as_str()),
    ];
    assert_eq!(
        check(&files),
        [
            "reviews/director.md:6: field `film.director`: the name `!!!` has no letters or digits, so its director page would have no address; write the director's name, such as Sean Baker",
            "reviews/region.md:10: field `release_dates[1].region`: the region `???` has no letters or digits, so its calendar link would have no address; write a region, such as UK",
        ]
    );
    let site = TestSite::build(Options::default(), &files).await;
    for path in ["/reviews/director", "/reviews/region"] {
        assert_eq!(site.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Characters that must never reach a reader: C0 controls but tab and line
/// breaks, DEL, C1 controls, U+FFFE and U+FFFF.
fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

#[tokio::test]
async fn control_characters_are_dropped_from_titles_and_bodies() {
    // YAML escapes give an ESC and a NUL in the title, a NEL (C1) in the
    // film's title; the body holds NUL, VT, ESC, DEL, a C1 and U+FFFF raw.
    let text = "---\ntitle: \"\\e[31mRed\\e[0m alert\\0\"\nfilm:\n  title: \"Film\\N\"\n  year: 2024\npublished: 2024-06-01\n---\nA body\u{0} with\u{b} raw\u{1b}[2J control\u{7f} characters\u{85}\u{ffff}.\n";
    let files = [("reviews/controls.md", text)];
    assert_eq!(check(&files), Vec::<String>::new());

    let site = TestSite::build(Options::default(), &files).await;
    let response = site.get("/reviews/controls").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(!response.body.contains(is_forbidden), "{:?}", response.body);
    let html = response.html();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("[31mRed[0m alert"));
    assert_eq!(
        text_of(&html, ".review-film").as_deref(),
        Some("Film (2024)")
    );
    assert_eq!(
        text_of(&html, ".review-body p").as_deref(),
        Some("A body with raw[2J control characters.")
    );
    let all_text: String = html.root_element().text().collect();
    assert!(!all_text.contains(is_forbidden), "{all_text:?}");
    for feed in ["/feed.xml", "/atom.xml", "/feed.json"] {
        let body = site.get(feed).await.body;
        assert!(body.contains("Red[0m alert"), "{feed}");
        assert!(!body.contains(is_forbidden), "{feed}: {body:?}");
    }
}

#[test]
fn every_message_names_the_field_once_and_says_what_would_be_right() {
    let minimal = "---\ntitle: A\nfilm:\n  title: F\npublished: 2024-01-01\n---\nBody.\n";
    let indented = minimal.replace("  title: F\n", "  title: F\n   director: Sean Baker\n");
    let tab = minimal.replace("  title: F\n", "  title: F\n\tdirector: Sean Baker\n");
    let february = minimal.replace("2024-01-01", "2023-02-30");
    let format = minimal.replace("2024-01-01", "30/01/2023");
    let rating = minimal.replace("published:", "rating: ten\npublished:");
    let misspelt = minimal.replace("  title: F\n", "  title: F\n  directr: Sean Baker\n");
    let far_off = minimal.replace("title: A\n", "title: A\ncolour: red\n");
    let files = [
        ("reviews/indented.md", indented.as_str()),
        ("reviews/tab.md", tab.as_str()),
        ("reviews/february.md", february.as_str()),
        ("reviews/format.md", format.as_str()),
        ("reviews/rating.md", rating.as_str()),
        ("reviews/misspelt.md", misspelt.as_str()),
        ("reviews/far-off.md", far_off.as_str()),
        ("site.toml", "title = \"Reel\"\nper_page = \"ten\"\n"),
    ];
    let errors = check(&files);
    assert_eq!(
        errors,
        [
            "reviews/far-off.md:3: field `colour`: unknown field `colour`; the fields here are `title`, `film`, `rating`, `spoilers`, `published`, `updated`, `draft`, `release_dates`, `tags`, `summary`, `slug`, `author`, `watched`, `letterboxd`",
            "reviews/february.md:5: field `published`: `2023-02-30` does not exist: February 2023 has 28 days",
            "reviews/format.md:5: field `published`: `30/01/2023` is not a valid date; write a date such as 2024-10-18 or a date-time such as 2024-10-18T09:00:00Z",
            "reviews/indented.md:5: field `film.director`: YAML cannot read this line: a value that contains `: ` must be in quotes (title: \"Mission: Impossible\"), and a field must line up with the fields beside it",
            "reviews/misspelt.md:5: field `film.directr`: unknown field `directr`; did you mean `director`?",
            "reviews/rating.md:5: field `rating`: found string \"ten\"; write a rating from 0.5 to 5 in steps of 0.5, such as 4.5",
            "reviews/tab.md:5: field `film.director`: YAML does not allow tabs for indentation; indent this line with spaces",
            "site.toml:2: field `per_page`: found string \"ten\"; write a whole number from 1 to 200",
        ]
    );
    for error in &errors {
        assert!(
            !error.contains('?') || error.ends_with("did you mean `director`?"),
            "{error}"
        );
        let field = error.split('`').nth(1).expect("a field");
        assert_eq!(error.matches(&format!("{field}:")).count(), 0, "{error}");
    }
}

#[test]
fn a_new_review_is_refused_until_filled_in_and_publishes_nothing_made_up() {
    let dir = tempfile::tempdir().unwrap();
    let today = time::macros::date!(2026 - 11 - 24);
    let path = content::scaffold::new_review(dir.path(), "Past Lives", today).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        check_folder(dir.path()),
        [
            "reviews/past-lives.md:5: field `title`: is empty; write a title in words, such as An anti-Fairytale of New York"
        ]
    );
    let titled = written.replacen("title: ", "title: Longing, in two languages", 1);
    std::fs::write(&path, &titled).unwrap();
    assert_eq!(
        check_folder(dir.path()),
        [
            "reviews/past-lives.md:14: field `published`: needs a date; write a date such as 2024-10-18 or a date-time such as 2024-10-18T09:00:00Z"
        ]
    );
    let dated = titled.replacen("published: ", "published: 2026-11-20", 1);
    std::fs::write(&path, &dated).unwrap();
    assert_eq!(check_folder(dir.path()), Vec::<String>::new());
    // Every field is still there to read about.
    for field in [
        "year:",
        "director:",
        "runtime:",
        "poster:",
        "rating:",
        "spoilers:",
        "updated:",
        "release_dates:",
        "tags:",
        "summary:",
        "slug:",
        "author:",
        "```spoiler",
    ] {
        assert!(dated.contains(field), "{field}");
    }
    let published = dated
        .lines()
        .filter(|line| !line.starts_with("draft:"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, &published).unwrap();
    assert_eq!(check_folder(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_filled_in_new_review_shows_no_made_up_rating_year_release_or_spoiler() {
    let dir = tempfile::tempdir().unwrap();
    let today = time::macros::date!(2026 - 11 - 24);
    let path = content::scaffold::new_review(dir.path(), "Past Lives", today).unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("title: ", "title: Longing, in two languages", 1)
        .replacen("published: ", "published: 2026-11-20", 1)
        .replacen("draft: true", "draft: false", 1)
        + "The review.\n";
    let site = TestSite::build(Options::default(), &[("reviews/past-lives.md", &text)]).await;
    let response = site.get("/reviews/past-lives").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    assert_eq!(
        text_of(&html, "h1").as_deref(),
        Some("Longing, in two languages")
    );
    assert_eq!(
        text_of(&html, ".review-film").as_deref(),
        Some("Past Lives")
    );
    for absent in [
        ".review-rating",
        ".film-year",
        ".spoiler-notice",
        "details",
        ".release-box",
        ".tags",
    ] {
        assert_eq!(text_of(&html, absent), None, "{absent}");
    }
    assert_eq!(
        text_of(&html, ".review-body").as_deref(),
        Some("The review.")
    );
}

#[tokio::test]
async fn the_status_page_shows_code_as_code_and_scheduled_times() {
    let hostile = review(
        "Headline",
        "A Film",
        "\"<script>alert(1)</script>\": x\n",
        "Body.",
    );
    let misspelt = review("Headline", "A Film", "ratng: 4\n", "Body.");
    let scheduled = review("Soon", "A Film", "", "Body.").replace(
        "published: 2024-06-01",
        "published: 2026-12-01T09:30:00+01:00",
    );
    let site = TestSite::build(
        Options {
            status_token: Some("token".into()),
            ..Options::default()
        },
        &[
            ("reviews/hostile.md", &hostile),
            ("reviews/misspelt.md", &misspelt),
            ("reviews/scheduled.md", &scheduled),
        ],
    )
    .await;
    let response = site.get("/status?token=token").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    let rows = scraper::Selector::parse("table.errors tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    let code = scraper::Selector::parse("code").unwrap();
    let mut reasons = Vec::new();
    for row in html.select(&rows) {
        let reason = row.select(&cell).nth(3).expect("a reason cell");
        let text: String = reason.text().collect();
        assert!(!text.contains('`'), "{text}");
        let codes: Vec<String> = reason.select(&code).map(|c| c.text().collect()).collect();
        reasons.push((text, codes));
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [
            (
                "unknown field <script>alert(1)</script>; the fields here are title, film, rating, spoilers, published, updated, draft, release_dates, tags, summary, slug, author, watched, letterboxd".to_string(),
                ["<script>alert(1)</script>", "title", "film", "rating", "spoilers", "published", "updated", "draft", "release_dates", "tags", "summary", "slug", "author", "watched", "letterboxd"].map(String::from).to_vec()
            ),
            (
                "unknown field ratng; did you mean rating?".to_string(),
                vec!["ratng".to_string(), "rating".to_string()]
            ),
        ]
    );
    assert_eq!(
        html.select(&scraper::Selector::parse("main script").unwrap())
            .count(),
        0
    );
    let scheduled = common::texts_of(&html, "#hidden-heading + ul li");
    assert!(
        scheduled.contains(&"Soon — scheduled for 1 December 2026, 08:30 UTC".to_string()),
        "{scheduled:?}"
    );
}
