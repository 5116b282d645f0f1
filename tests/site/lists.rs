//! A list-maker's story: a ranked list numbers its films, shows the
//! reviewed ones as their review cards and links every film to its page;
//! a film with no review still has its entry; drafts and scheduled lists
//! stay hidden; the list is structured data and in its feed.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, attr_of, text_of, texts_of};

const TOP: &str = "---
title: Top three
ranked: true
published: 2025-01-02
films:
  - title: Anora
    year: 2024
    note: First by a mile.
  - title: Never Reviewed
    year: 2025
  - title: Perfect Days
    year: 2023
---
The *year* in three.
";

fn child_texts(html: &scraper::Html, selector: &str) -> Vec<(Option<String>, String)> {
    let selector = scraper::Selector::parse(selector).unwrap();
    html.select(&selector)
        .map(|element| {
            let text = element.text().collect::<String>();
            (
                element.value().attr("value").map(str::to_string),
                text.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_ranked_list_numbers_its_films_and_links_the_reviewed_ones() {
    let site = TestSite::build(Options::default(), &[("lists/top-three.md", TOP)]).await;
    let response = site.get("/lists/top-three").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Top three"));
    assert_eq!(text_of(&html, ".list-intro em").as_deref(), Some("year"));
    let entries = child_texts(&html, "ol.list-films > li");
    let ranks: Vec<Option<&str>> = entries.iter().map(|(rank, _)| rank.as_deref()).collect();
    assert_eq!(ranks, [Some("1"), Some("2"), Some("3")]);

    // Reviewed films are their review cards, linked to review and film.
    let card_links = texts_of(&html, "ol.list-films > li .card-film a");
    assert_eq!(
        card_links,
        [
            "Anora (2024)",
            "Never Reviewed (2025)",
            "Perfect Days (2023)"
        ]
    );
    let hrefs: Vec<String> = {
        let selector = scraper::Selector::parse("ol.list-films > li .card-film a").unwrap();
        html.select(&selector)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect()
    };
    assert_eq!(
        hrefs,
        [
            "/reviews/anora",
            "/film/never-reviewed-2025",
            "/reviews/perfect-days"
        ]
    );
    let film_links: Vec<String> = {
        let selector = scraper::Selector::parse("ol.list-films > li .list-film-link a").unwrap();
        html.select(&selector)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect()
    };
    assert_eq!(film_links, ["/film/anora-2024", "/film/perfect-days-2023"]);
    assert_eq!(
        attr_of(
            &html,
            "ol.list-films > li:first-child [role=img]",
            "aria-label"
        )
        .as_deref(),
        Some("5 out of 5 stars")
    );
    assert_eq!(
        text_of(&html, "ol.list-films > li:first-child .list-note").as_deref(),
        Some("First by a mile.")
    );

    // The film with no review has its page too, saying which list it is on.
    let film = site.get("/film/never-reviewed-2025").await;
    assert_eq!(film.status, StatusCode::OK);
    let film = film.html();
    assert_eq!(
        text_of(&film, ".film-lists li").as_deref(),
        Some("Top three No. 2")
    );

    // Structured data: an ordered ItemList of the film pages.
    let json: serde_json::Value =
        serde_json::from_str(&text_of(&html, "script[type='application/ld+json']").unwrap())
            .unwrap();
    assert_eq!(json["@type"], "ItemList");
    assert_eq!(json["numberOfItems"], 3);
    assert_eq!(json["itemListElement"][1]["position"], 2);
    assert_eq!(
        json["itemListElement"][1]["url"],
        "https://films.example/film/never-reviewed-2025"
    );
}

#[tokio::test]
async fn an_unranked_list_is_not_numbered_and_drafts_stay_hidden() {
    let unranked = TOP.replace("ranked: true\n", "");
    let draft = TOP.replace("ranked: true\n", "draft: true\n");
    let scheduled = TOP.replace("published: 2025-01-02", "published: 2027-01-01");
    let site = TestSite::build(
        Options::default(),
        &[
            ("lists/unranked.md", &unranked),
            ("lists/draft.md", &draft),
            ("lists/later.md", &scheduled),
        ],
    )
    .await;
    let html = site.get("/lists/unranked").await.html();
    assert_eq!(texts_of(&html, "ol.list-films").len(), 0);
    assert_eq!(texts_of(&html, "ul.list-films > li").len(), 3);
    assert_eq!(site.get("/lists/draft").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/lists/later").await.status, StatusCode::NOT_FOUND);
    let index = site.get("/lists").await.html();
    let titles = texts_of(&index, ".list-summary h2");
    assert!(titles.contains(&"Top three".to_string()), "{titles:?}");
    assert!(
        titles.contains(&"The best films of 2024".to_string()),
        "{titles:?}"
    );
    assert_eq!(titles.len(), 2, "{titles:?}");

    // The sitemap has the visible lists, the lists page and the diary.
    let sitemap = site.get("/sitemap.xml").await.body;
    let document = roxmltree::Document::parse(&sitemap).expect("a well-formed sitemap");
    let locations: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("loc"))
        .filter_map(|node| node.text())
        .collect();
    for present in ["/lists", "/lists/unranked", "/lists/best-of-2024", "/diary"] {
        let url = format!("https://films.example{present}");
        assert!(
            locations.contains(&url.as_str()),
            "{present}: {locations:?}"
        );
    }
    for absent in ["/lists/draft", "/lists/later"] {
        let url = format!("https://films.example{absent}");
        assert!(!locations.contains(&url.as_str()), "{absent}");
    }
}

#[tokio::test]
async fn the_lists_feed_has_an_item_per_visible_list() {
    let site = TestSite::build(Options::default(), &[("lists/top-three.md", TOP)]).await;
    let response = site.get("/lists/feed.xml").await;
    assert_eq!(response.status, StatusCode::OK);
    let feed = feed_rs::parser::parse(response.body.as_bytes()).expect("RSS parses");
    let titles: Vec<String> = feed
        .entries
        .iter()
        .filter_map(|entry| entry.title.as_ref().map(|title| title.content.clone()))
        .collect();
    assert_eq!(titles, ["Top three", "The best films of 2024"]);
    assert_eq!(
        feed.entries[0].links[0].href,
        "https://films.example/lists/top-three"
    );
}

#[tokio::test]
async fn a_list_file_name_must_be_its_address() {
    let site = TestSite::build(Options::default(), &[("lists/Top Three.md", TOP)]).await;
    let report = marquee::content::check(site.content()).unwrap();
    let paths: Vec<&str> = report
        .errors
        .iter()
        .map(|error| error.path.as_str())
        .collect();
    assert_eq!(paths, ["lists/Top Three.md"]);
}

#[test]
fn marquee_new_list_starts_a_draft_list_that_check_refuses_until_dated() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        common::marquee(dir.path())
            .args(args)
            .arg("--content")
            .arg(dir.path())
            .output()
            .expect("the marquee binary runs")
    };
    let created = run(&["new", "--list", "Best of 2024"]);
    assert!(created.status.success(), "{created:?}");
    let path = dir.path().join("lists/best-of-2024.md");
    assert!(String::from_utf8_lossy(&created.stdout).contains("best-of-2024.md"));
    let checked = run(&["check"]);
    assert_eq!(checked.status.code(), Some(1));
    let report = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert!(
        report.contains("lists/best-of-2024.md:8: field `published`"),
        "{report}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("published:  ", "published: 2024-12-30", 1),
    )
    .unwrap();
    assert_eq!(run(&["check"]).status.code(), Some(0));
    // Never overwritten; a review title and --list together are refused.
    assert_eq!(
        run(&["new", "--list", "Best of 2024"]).status.code(),
        Some(1)
    );
    assert_eq!(run(&["new", "Anora", "--list", "X"]).status.code(), Some(2));
}

#[tokio::test]
async fn a_film_logged_but_not_reviewed_shows_its_latest_diary_stars_on_a_placeholder() {
    let diary = "entries:
  - date: 2025-01-01
    film: { title: Never Reviewed, year: 2025 }
    rating: 2
  - date: 2025-02-01
    film: { title: Never Reviewed, year: 2025 }
    rating: 3.5
    rewatch: true
  - date: 2025-03-01
    film: { title: Never Reviewed, year: 2025 }
";
    let site = TestSite::build(
        Options::default(),
        &[("lists/top-three.md", TOP), ("diary/2025.yaml", diary)],
    )
    .await;
    let html = site.get("/lists/top-three").await.html();
    let entry = "ol.list-films > li:nth-child(2)";
    // The newest rated viewing gives the stars (the unrated one after it
    // does not take them away).
    assert_eq!(
        attr_of(&html, &format!("{entry} [role=img]"), "aria-label").as_deref(),
        Some("3.5 out of 5 stars")
    );
    assert_eq!(
        text_of(&html, &format!("{entry} .card-meta")).as_deref(),
        Some("Logged in the diary, not reviewed")
    );
    // No poster is known for it: the film's title on a tinted placeholder,
    // hidden from assistive technology (the heading names the film).
    assert_eq!(
        text_of(&html, &format!("{entry} .poster-placeholder")).as_deref(),
        Some("Never Reviewed")
    );
    assert_eq!(
        attr_of(
            &html,
            &format!("{entry} .poster-placeholder"),
            "aria-hidden"
        )
        .as_deref(),
        Some("true")
    );

    // Without a diary entry, the entry says only that it is not reviewed.
    let bare = TestSite::build(Options::default(), &[("lists/top-three.md", TOP)]).await;
    let html = bare.get("/lists/top-three").await.html();
    assert_eq!(
        attr_of(&html, &format!("{entry} [role=img]"), "aria-label"),
        None
    );
    assert_eq!(
        text_of(&html, &format!("{entry} .card-meta")).as_deref(),
        Some("Not reviewed")
    );
}
