//! A reader's story: the home page, a review with its rating, spoiler
//! notice and release box, the 404 page, and a site that survives broken
//! files and a deleted database.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, attr_of, text_of, texts_of};

#[tokio::test]
async fn anora_page_shows_rating_notice_and_release_dates() {
    let site = TestSite::sample().await;
    let response = site.get("/reviews/anora").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    assert_eq!(
        text_of(&html, "h1").as_deref(),
        Some("An anti-Fairytale of New York")
    );
    assert_eq!(
        attr_of(&html, ".review-rating [role=img]", "aria-label").as_deref(),
        Some("5 out of 5 stars")
    );
    // Five outlined stars with solid ones laid over them, cut to the
    // rating by the class: all five here.
    assert_eq!(
        attr_of(&html, ".review-rating [role=img]", "class").as_deref(),
        Some("rating rating-h10")
    );
    assert_eq!(
        text_of(&html, ".review-rating .stars-full").as_deref(),
        Some("★★★★★")
    );
    let notice = text_of(&html, ".spoiler-notice").expect("spoiler notice");
    assert!(
        notice.contains("This review may reveal later elements of the plot."),
        "{notice}"
    );
    let releases = texts_of(&html, ".release-box li");
    assert_eq!(releases.len(), 2, "{releases:?}");
    assert!(
        releases[0].starts_with("US 18 October 2024"),
        "{releases:?}"
    );
    assert!(
        releases[1].starts_with("UK 1 November 2024"),
        "{releases:?}"
    );
    assert_eq!(
        texts_of(&html, ".release-box time").len(),
        2,
        "each release date is a <time>"
    );
    let facts = text_of(&html, ".facts").unwrap();
    assert!(
        facts.contains("Sean Baker") && facts.contains("2h 18m") && facts.contains("2024"),
        "{facts}"
    );
}

#[tokio::test]
async fn anora_body_is_the_users_text_word_for_word() {
    let site = TestSite::sample().await;
    let html = site.get("/reviews/anora").await.html();
    let paragraphs = texts_of(&html, ".review-body > p");
    assert_eq!(paragraphs.len(), 12);
    assert!(paragraphs[0].starts_with(
        "An anti-Fairytale of New York, Anora is an emotional triumph—a Cinderella story"
    ));
    assert!(
        paragraphs[11]
            .starts_with("Anora is an emotional triumph and Sean Baker’s greatest film to date.")
    );
    let body = text_of(&html, ".review-body").unwrap();
    assert!(
        !body.contains("★"),
        "the rating line is front matter, not body"
    );
    assert!(
        !body.contains("Anora releases on"),
        "the release line is front matter, not body"
    );
}

#[tokio::test]
async fn half_stars_fill_half_a_star() {
    let site = TestSite::sample().await;
    let html = site.get("/reviews/the-brutalist").await.html();
    assert_eq!(
        attr_of(&html, ".review-rating [role=img]", "class").as_deref(),
        Some("rating rating-h7"),
        "seven half stars of ten"
    );
    assert_eq!(
        attr_of(&html, ".review-rating [role=img]", "aria-label").as_deref(),
        Some("3.5 out of 5 stars")
    );
}

#[tokio::test]
async fn a_review_without_spoilers_has_no_notice() {
    let site = TestSite::sample().await;
    let html = site.get("/reviews/perfect-days").await.html();
    assert_eq!(text_of(&html, ".spoiler-notice"), None);
}

#[tokio::test]
async fn upcoming_and_released_dates_are_marked() {
    let site = TestSite::sample().await;
    let html = site.get("/reviews/paper-lanterns").await.html();
    assert_eq!(texts_of(&html, ".release-box li.is-upcoming").len(), 1);
    let html = site.get("/reviews/anora").await.html();
    assert_eq!(texts_of(&html, ".release-box li.is-out").len(), 2);
}

#[tokio::test]
async fn home_lists_reviews_newest_first() {
    let site = TestSite::sample().await;
    let response = site.get("/").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    let films = texts_of(&html, ".card .card-film");
    assert_eq!(
        films,
        vec![
            "Paper Lanterns (2026)",
            "The Brutalist (2024)",
            "Anora (2024)",
            "Perfect Days (2023)"
        ]
    );
    let first_date = attr_of(&html, ".card time", "datetime");
    assert_eq!(first_date.as_deref(), Some("2026-11-20"));
    let classes: Vec<String> = html
        .select(&scraper::Selector::parse(".card .rating").unwrap())
        .filter_map(|rating| rating.value().attr("class").map(str::to_string))
        .collect();
    assert_eq!(classes[1], "rating rating-h7");
}

#[tokio::test]
async fn unknown_paths_get_a_404_page_in_the_layout() {
    let site = TestSite::sample().await;
    for path in [
        "/reviews/no-such-film",
        "/no/such/page",
        "/tags/nothing",
        "/page/99",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        let html = response.html();
        assert_eq!(
            text_of(&html, "h1").as_deref(),
            Some("Page not found"),
            "{path}"
        );
        assert_eq!(
            text_of(&html, ".site-title").as_deref(),
            Some("Marquee"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn static_files_health_and_favicon_are_served() {
    let site = TestSite::sample().await;
    let html = site.get("/").await.html();
    let stylesheet = attr_of(&html, "link[rel=stylesheet]", "href").unwrap();
    let css = site.get(&stylesheet).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
    assert_eq!(site.get("/healthz").await.status, StatusCode::OK);
    let favicon = site.get("/favicon.ico").await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(
        site.get("/static/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_broken_file_does_not_stop_the_rest() {
    let broken = "---\ntitle: Broken\nfilm:\n  title: Broken\nrating: 4.3\npublished: 2024-01-01\n---\nText.\n";
    let site = TestSite::build(
        Options::default(),
        &[("reviews/broken.md", broken), ("reviews/empty.md", "")],
    )
    .await;
    assert_eq!(site.get("/reviews/anora").await.status, StatusCode::OK);
    assert_eq!(
        site.get("/reviews/broken").await.status,
        StatusCode::NOT_FOUND
    );
    let errors = marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap();
    let paths: Vec<_> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.field.as_deref(), e.line))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("reviews/broken.md", Some("rating"), Some(5)),
            ("reviews/empty.md", None, None)
        ]
    );
}

#[tokio::test]
async fn a_second_take_on_a_slug_loses_to_the_review_published_first() {
    let duplicate = "---\ntitle: Second take\nfilm:\n  title: Anora\nslug: anora\n\
                     published: 2025-06-01\n---\nAnother opinion.\n";
    let site = TestSite::build(
        Options::default(),
        &[("reviews/anora-second-take.md", duplicate)],
    )
    .await;
    let html = site.get("/reviews/anora").await.html();
    assert_eq!(
        text_of(&html, "h1").as_deref(),
        Some("An anti-Fairytale of New York")
    );
    let errors = marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "reviews/anora-second-take.md");
    assert_eq!(errors[0].field.as_deref(), Some("slug"));
    assert_eq!(errors[0].line, Some(5), "the line of `slug:`");
    assert!(
        errors[0].reason.contains("reviews/anora.md"),
        "{}",
        errors[0]
    );
}

#[tokio::test]
async fn a_rebuilt_database_serves_the_same_site() {
    let site = TestSite::sample().await;
    let paths = [
        "/",
        "/reviews/anora",
        "/reviews/the-brutalist",
        "/tags",
        "/stats",
        "/about",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(site.get(path).await.body);
    }
    let site = site
        .restart(|args| {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", args.db.display()));
            }
        })
        .await;
    assert!(site.args.db.exists());
    assert!(
        site.site.initial.documents_changed > 0,
        "the database was rebuilt"
    );
    for (path, old) in paths.iter().zip(before) {
        assert_eq!(
            site.get(path).await.body,
            old,
            "{path} differs after rebuild"
        );
    }
}

#[test]
fn check_exits_1_naming_the_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(
        &dir.path().join("reviews/good.md"),
        &common::review("Fine", "Film", "", "Body."),
    );
    common::write_file(
        &dir.path().join("reviews/bad-date.md"),
        &common::review("Bad", "Film", "", "Body.").replace("2024-06-01", "2024-02-30"),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(["check", "--content"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("reviews/bad-date.md:6: field `published`"),
        "{stdout}"
    );
    assert!(!stdout.contains("good.md"), "{stdout}");

    let clean = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(["check", "--content"])
        .arg(common::repo().join("content"))
        .output()
        .unwrap();
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}

#[tokio::test]
async fn changing_site_settings_moves_every_validator() {
    let site = TestSite::sample().await;
    let paths = ["/", "/reviews/anora", "/about", "/feed.xml"];
    let mut before = Vec::new();
    for path in paths {
        before.push(site.get(path).await);
    }
    // Later than any file's mtime, so the change must show in Last-Modified.
    site.clock
        .set(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let settings = std::fs::read_to_string(site.content().join("site.toml")).unwrap();
    site.write(
        "site.toml",
        &settings.replace("title = \"Marquee\"", "title = \"Reel Notes\""),
    );
    let report = site.sync_everything().await;
    assert!(report.site_changed);
    site.site
        .state
        .cache
        .invalidate(&marquee::db::changes::Changes::everything());
    for (path, old) in paths.iter().zip(before) {
        let new = site.get(path).await;
        assert_ne!(
            new.header("etag"),
            old.header("etag"),
            "{path}: ETag must change"
        );
        let modified = |response: &common::TestResponse| {
            httpdate::parse_http_date(response.header("last-modified").expect("Last-Modified"))
                .unwrap()
        };
        assert!(
            modified(&new) > modified(&old),
            "{path}: Last-Modified must move forward"
        );
        let conditional = site
            .get_with(
                path,
                &[("if-modified-since", old.header("last-modified").unwrap())],
            )
            .await;
        assert_eq!(
            conditional.status,
            StatusCode::OK,
            "{path}: a stale copy must not get a 304"
        );
    }
}

#[tokio::test]
async fn a_restart_on_an_up_to_date_database_keeps_the_site_settings() {
    let site = TestSite::sample().await;
    let tagline = |html: &scraper::Html| text_of(html, ".page-intro");
    let first = tagline(&site.get("/").await.html());
    assert_eq!(first.as_deref(), Some("Film reviews, written in markdown"));
    let site = site.restart(|_| {}).await;
    assert_eq!(
        site.site.initial.documents_changed, 0,
        "nothing changed on disk"
    );
    assert_eq!(tagline(&site.get("/").await.html()), first);
    assert_eq!(site.site.state.site.get().per_page, 10);
    assert_eq!(site.site.state.site.get().author, "The Marquee critic");
}

#[tokio::test]
async fn search_ranks_highlights_and_takes_any_query_shape() {
    let site = TestSite::sample().await;
    let html = site.get("/search?q=%22Big+Apple%22").await.html();
    assert_eq!(
        texts_of(&html, ".search-result .card-film"),
        vec!["Anora (2024)"]
    );
    assert_eq!(texts_of(&html, ".search-result mark"), vec!["Big Apple"]);
    let repeated = site.get("/search?q=wenders&q=anora&page=1&page=x").await;
    assert_eq!(repeated.status, StatusCode::OK);
    assert_eq!(
        texts_of(&repeated.html(), ".search-result .card-film"),
        vec!["Perfect Days (2023)"]
    );
}

#[tokio::test]
async fn a_head_request_first_does_not_blank_the_page_for_later_gets() {
    let site = TestSite::sample().await;
    let head = site
        .request(
            axum::http::Request::head("/reviews/anora")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    for _ in 0..2 {
        let page = site.get("/reviews/anora").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            text_of(&page.html(), "h1").as_deref(),
            Some("An anti-Fairytale of New York")
        );
    }
}

#[tokio::test]
async fn a_capitalised_slug_is_sent_to_the_page_s_one_address() {
    let site = TestSite::sample().await;
    for (asked, address) in [
        ("/reviews/Anora", "/reviews/anora"),
        ("/REVIEWS/anora", ""),
        ("/tags/Drama?utm_source=x", "/tags/drama?utm_source=x"),
        ("/About", "/about"),
    ] {
        let response = site.get(asked).await;
        if address.is_empty() {
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{asked}");
            continue;
        }
        assert_eq!(response.status, StatusCode::PERMANENT_REDIRECT, "{asked}");
        assert_eq!(response.header("location"), Some(address), "{asked}");
        let path = address.split('?').next().unwrap();
        assert_eq!(site.get(path).await.status, StatusCode::OK, "{address}");
    }
}

#[tokio::test]
async fn the_stats_page_has_one_row_per_rating_and_links_each_film_year() {
    let site = TestSite::sample().await;
    let html = site.get("/stats").await.html();
    let rows = scraper::Selector::parse(".ratings-table tbody tr").unwrap();
    let rows: Vec<_> = html.select(&rows).collect();
    assert_eq!(
        rows.len(),
        10,
        "every rating from five stars to half a star"
    );
    let link = scraper::Selector::parse("th a").unwrap();
    let meter = scraper::Selector::parse("meter").unwrap();
    let mut counted = 0;
    for (row, halves) in rows.iter().zip((1..=10).rev()) {
        let stars = if halves % 2 == 0 {
            (halves / 2).to_string()
        } else {
            format!("{}.5", halves / 2)
        };
        let href = row
            .select(&link)
            .next()
            .and_then(|a| a.value().attr("href"));
        assert_eq!(href, Some(format!("/ratings/{stars}").as_str()));
        // What a screen reader hears: the words, the drawn stars hidden.
        let anchor = row.select(&link).next().unwrap();
        let hidden: String = anchor
            .select(&scraper::Selector::parse("[aria-hidden=true]").unwrap())
            .next()
            .map(|element| element.text().collect())
            .unwrap_or_default();
        let words: String = anchor.text().collect();
        let heard = words.replacen(&hidden, "", 1);
        let expected = if stars == "1" {
            "1 star".to_string()
        } else {
            format!("{stars} stars")
        };
        assert_eq!(heard.trim(), expected);
        let value = row
            .select(&meter)
            .next()
            .and_then(|m| m.value().attr("value"));
        counted += value.unwrap().parse::<i64>().unwrap();
    }
    // The sample rates four visible reviews (one is scheduled): 5, 4.5,
    // 3.5 and 4 stars, or whichever are public at the test's clock.
    let rated: i64 = text_of(&html, ".ratings-table caption")
        .unwrap()
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap();
    assert_eq!(counted, rated, "the rows add up to the rated reviews");
    // No second chart repeating the table.
    assert!(
        html.select(&scraper::Selector::parse("svg").unwrap())
            .next()
            .is_none()
    );
    // Film years link to their listing, and each listing has that many.
    let years = scraper::Selector::parse("#years-heading ~ table tbody tr").unwrap();
    for row in html.select(&years) {
        let href = row
            .select(&link)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        let cell = scraper::Selector::parse("td").unwrap();
        let count: usize = row
            .select(&cell)
            .next()
            .unwrap()
            .text()
            .collect::<String>()
            .trim()
            .parse()
            .unwrap();
        let listing = site.get(href).await;
        assert_eq!(listing.status, StatusCode::OK, "{href}");
        assert_eq!(texts_of(&listing.html(), ".card").len(), count, "{href}");
    }
}

#[tokio::test]
async fn cards_say_the_director_directed_the_film() {
    let site = TestSite::sample().await;
    let html = site.get("/").await.html();
    let directors = texts_of(&html, ".card .card-director");
    assert!(
        directors.contains(&"dir. Sean Baker".to_string()),
        "{directors:?}"
    );
    assert_eq!(
        attr_of(&html, ".card .card-director abbr", "title").as_deref(),
        Some("directed by")
    );
}
