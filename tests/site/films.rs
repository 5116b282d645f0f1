//! A film's story: every review of one film, whatever its title's case and
//! punctuation, meets on the film's page; each review links there; the ids
//! an editor gives are checked and become `sameAs` links.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, attr_of, text_of, texts_of};

fn review_of(
    title: &str,
    film: &str,
    year: i32,
    rating: f64,
    published: &str,
    extra: &str,
) -> String {
    format!(
        "---\ntitle: {title}\nfilm:\n  title: \"{film}\"\n  year: {year}\n{extra}rating: {rating}\npublished: {published}\n---\nText.\n"
    )
}

fn json_ld(html: &scraper::Html) -> serde_json::Value {
    let text = text_of(html, "script[type='application/ld+json']").expect("JSON-LD");
    serde_json::from_str(&text).expect("JSON-LD parses")
}

#[tokio::test]
async fn two_reviews_of_one_film_meet_on_its_page_with_both_ratings() {
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/stalker-first.md",
                &review_of(
                    "The Zone, at first sight",
                    "Stalker",
                    1979,
                    3.5,
                    "2019-03-01",
                    "",
                ),
            ),
            (
                "reviews/stalker-again.md",
                &review_of("The Zone, again", "STALKER!", 1979, 5.0, "2025-03-01", ""),
            ),
        ],
    )
    .await;
    let response = site.get("/film/stalker-1979").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    // Named as the newest review writes it.
    assert_eq!(text_of(&html, "h1").as_deref(), Some("STALKER! (1979)"));
    let headlines = texts_of(&html, ".card .card-headline");
    assert_eq!(headlines, ["The Zone, again", "The Zone, at first sight"]);
    let ratings: Vec<String> = {
        let selector = scraper::Selector::parse(".card [role=img]").unwrap();
        html.select(&selector)
            .filter_map(|element| element.value().attr("aria-label").map(str::to_string))
            .collect()
    };
    assert_eq!(ratings, ["5 out of 5 stars", "3.5 out of 5 stars"]);

    // Each review page links to the film page.
    for slug in ["stalker-first", "stalker-again"] {
        let page = site.get(&format!("/reviews/{slug}")).await.html();
        assert_eq!(
            attr_of(&page, ".facts a.film-link", "href").as_deref(),
            Some("/film/stalker-1979"),
            "{slug}"
        );
    }
}

#[tokio::test]
async fn a_film_with_nothing_visible_is_not_found() {
    let site = TestSite::build(
        Options::default(),
        &[(
            "reviews/hidden.md",
            &review_of(
                "Not yet",
                "Hidden",
                2024,
                4.0,
                "2024-06-01",
                "draft: true\n",
            ),
        )],
    )
    .await;
    assert_eq!(
        site.get("/film/hidden-2024").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/film/no-such-film").await.status,
        StatusCode::NOT_FOUND
    );
    // The sample's own films have pages.
    assert_eq!(site.get("/film/anora-2024").await.status, StatusCode::OK);
}

#[tokio::test]
async fn film_ids_become_same_as_links_and_join_other_titles() {
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/solaris.md",
                &review_of(
                    "Ocean",
                    "Solaris",
                    1972,
                    4.0,
                    "2020-01-01",
                    "  tmdb: 593\n  imdb: tt0069293\n",
                ),
            ),
            (
                "reviews/solyaris.md",
                &review_of(
                    "Ocean again",
                    "Solyaris",
                    1972,
                    4.5,
                    "2021-01-01",
                    "  tmdb: 593\n",
                ),
            ),
        ],
    )
    .await;
    let page = site.get("/reviews/solaris").await.html();
    let movie = &json_ld(&page)["itemReviewed"];
    assert_eq!(movie["@type"], "Movie");
    assert_eq!(
        movie["sameAs"],
        serde_json::json!([
            "https://www.themoviedb.org/movie/593",
            "https://www.imdb.com/title/tt0069293/"
        ])
    );
    // One TMDB id, two titles: either page holds both reviews.
    let film = site.get("/film/solyaris-1972").await.html();
    assert_eq!(texts_of(&film, ".card").len(), 2);
    assert_eq!(
        json_ld(&film)["sameAs"][0],
        "https://www.themoviedb.org/movie/593"
    );
}

#[tokio::test]
async fn bad_film_ids_are_reported_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    common::write_file(
        &dir.path().join("reviews/bad.md"),
        "---\ntitle: T\nfilm:\n  title: F\n  imdb: 12345\npublished: 2024-01-01\n---\n",
    );
    let report = marquee::content::check(dir.path()).unwrap();
    let error = &report.errors[0];
    assert_eq!(
        (error.line, error.field.as_deref()),
        (Some(5), Some("film.imdb")),
        "{error}"
    );
    assert!(error.reason.contains("IMDb title id"), "{error}");
}

fn with_releases(title: &str, film: &str, published: &str, releases: &str) -> String {
    format!(
        "---\ntitle: {title}\nfilm:\n  title: {film}\n  year: 2026\npublished: {published}\nrelease_dates:\n{releases}---\nText.\n"
    )
}

/// `(uid, start date)` of every event in an iCalendar text, parsed.
fn events(text: &str) -> Vec<(String, String)> {
    use icalendar::Component;
    let calendar: icalendar::Calendar = text.parse().expect("the calendar parses");
    let mut events: Vec<(String, String)> = calendar
        .components
        .iter()
        .filter_map(|component| match component {
            icalendar::CalendarComponent::Event(event) => Some((
                event.get_uid().expect("a UID").to_string(),
                format!("{:?}", event.get_start().expect("a start")),
            )),
            _ => None,
        })
        .collect();
    events.sort();
    events
}

#[tokio::test]
async fn the_release_calendar_has_one_event_per_region_and_date_with_stable_uids() {
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/soon.md",
                &with_releases(
                    "Coming",
                    "Soon",
                    "2026-10-01",
                    "  - region: UK\n    date: 2026-12-05\n  - region: US\n    date: 2026-12-01\n",
                ),
            ),
            (
                "reviews/soon-again.md",
                &with_releases(
                    "Coming, again",
                    "Soon",
                    "2026-11-01",
                    "  - region: UK\n    date: 2026-12-05\n",
                ),
            ),
            (
                "reviews/recent.md",
                &with_releases(
                    "Just out",
                    "Recent",
                    "2026-10-01",
                    "  - region: UK\n    date: 2026-11-10\n",
                ),
            ),
            (
                "reviews/draft-release.md",
                &with_releases(
                    "Hidden",
                    "Hidden",
                    "2026-10-01",
                    "  - region: UK\n    date: 2026-12-02\n",
                )
                .replace("published:", "draft: true\npublished:"),
            ),
        ],
    )
    .await;
    let response = site.get("/releases.ics").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let first = events(&response.body);
    let uids: Vec<&str> = first.iter().map(|(uid, _)| uid.as_str()).collect();
    // The sample's own releases are there too; the film reviewed twice has
    // its UK date once, from its newer review; the draft has none.
    for uid in [
        "release-soon-again-uk@films.example",
        "release-soon-us@films.example",
        "release-recent-uk@films.example",
        "release-anora-uk@films.example",
    ] {
        assert!(uids.contains(&uid), "{uid}: {uids:?}");
    }
    assert!(!uids.contains(&"release-soon-uk@films.example"), "{uids:?}");
    assert!(
        !uids.iter().any(|uid| uid.contains("draft-release")),
        "{uids:?}"
    );
    let mut seen = std::collections::HashSet::new();
    assert!(
        first.iter().all(|event| seen.insert(event.clone())),
        "{first:?}"
    );

    // A review's own calendar file names its event with the same UID.
    let own = events(&site.get("/reviews/soon/release/us.ics").await.body);
    assert_eq!(own[0].0, "release-soon-us@films.example");

    // Restarted, and rebuilt from scratch, the events keep their UIDs.
    let site = site.restart(|_| {}).await;
    assert_eq!(events(&site.get("/releases.ics").await.body), first);
    let site = site
        .restart(|args| std::fs::remove_file(&args.db).unwrap())
        .await;
    assert_eq!(events(&site.get("/releases.ics").await.body), first);

    // The page: upcoming per region, soonest first; last month's marked out.
    let html = site.get("/releases").await.html();
    let uk = texts_of(&html, "section[aria-label='UK'] li");
    assert_eq!(uk.len(), 3, "{uk:?}");
    assert!(
        uk[0].starts_with("10 November 2026 Recent (2026) Out now"),
        "{uk:?}"
    );
    assert!(
        uk[1].starts_with("5 December 2026 Soon (2026) Upcoming"),
        "{uk:?}"
    );
    // The sample's Paper Lanterns.
    assert!(
        uk[2].starts_with("12 March 2027 Paper Lanterns (2026)"),
        "{uk:?}"
    );
    assert_eq!(
        attr_of(&html, "section[aria-label='UK'] li a", "href").as_deref(),
        Some("/film/recent-2026")
    );
}

#[tokio::test]
async fn related_reviews_never_include_the_review_itself_or_a_draft() {
    let tagged = |title: &str, director: &str, tags: &str, rating: f64, extra: &str| {
        format!(
            "---\ntitle: {title}\nfilm:\n  title: {title}\n  year: 2020\n  director: {director}\nrating: {rating}\ntags: [{tags}]\npublished: 2024-01-01\n{extra}---\nText.\n"
        )
    };
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/one.md",
                &tagged("One", "Ana Lily", "Noir, Rain, Night", 4.0, ""),
            ),
            (
                "reviews/two.md",
                &tagged("Two", "Bo Widerberg", "Noir, Rain, Night", 2.0, ""),
            ),
            (
                "reviews/three.md",
                &tagged("Three", "Céline Sciamma", "Noir, Rain", 4.0, ""),
            ),
            (
                "reviews/four.md",
                &tagged("Four", "Dee Rees", "Noir", 4.0, ""),
            ),
            (
                "reviews/five.md",
                &tagged("Five", "Ana Lily", "Noir, Rain, Night", 4.0, ""),
            ),
            (
                "reviews/six.md",
                &tagged("Six", "Ana Lily", "Noir", 3.0, ""),
            ),
            (
                "reviews/draft.md",
                &tagged("Draft", "Eve", "Noir, Rain, Night", 4.0, "draft: true\n"),
            ),
            (
                "reviews/later.md",
                &tagged(
                    "Later",
                    "Ana Lily",
                    "Noir, Rain, Night",
                    4.0,
                    "published: 2027-01-01\n",
                )
                .replace("published: 2024-01-01\n", ""),
            ),
        ],
    )
    .await;
    let html = site.get("/reviews/one").await.html();
    // Most shared tags first, then the closest rating; never itself, the
    // draft, the scheduled review or the director's own (under "More by").
    assert_eq!(
        texts_of(&html, ".related .card-headline"),
        ["Two", "Three", "Four"]
    );
    assert_eq!(
        text_of(&html, "#more-by-heading").as_deref(),
        Some("More by Ana Lily")
    );
    let mut more_by = texts_of(&html, ".more-by .card-headline");
    more_by.sort();
    assert_eq!(more_by, ["Five", "Six"]);
    for headline in texts_of(&html, ".suggestions .card-headline") {
        assert!(
            !["One", "Draft", "Later"].contains(&headline.as_str()),
            "{headline}"
        );
    }
}

#[tokio::test]
async fn the_release_box_offers_a_calendar_only_for_dates_still_to_come() {
    let site = TestSite::build(
        Options::default(),
        &[(
            "reviews/soon.md",
            &with_releases(
                "Coming",
                "Soon",
                "2026-10-01",
                "  - region: UK\n    date: 2026-11-01\n  - region: US\n    date: 2026-12-01\n",
            ),
        )],
    )
    .await;
    let html = site.get("/reviews/soon").await.html();
    let selector = scraper::Selector::parse(".release-box a.release-calendar").unwrap();
    let links: Vec<&str> = html
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links, ["/reviews/soon/release/us.ics"]);
    // The passed date's calendar file is still there for whoever has it.
    assert_eq!(
        site.get("/reviews/soon/release/uk.ics").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_film_page_leads_with_the_poster_or_its_placeholder() {
    let site = TestSite::sample().await;
    let anora = site.get("/film/anora-2024").await.html();
    let src = attr_of(&anora, ".film-header picture.card-poster img", "src")
        .expect("Anora's poster beside its title");
    assert!(src.starts_with("/images/"), "a size of the poster: {src}");
    assert!(
        attr_of(&anora, ".film-header img", "width").is_some(),
        "its shape reserved"
    );
    // Flow is only in the diary and on a list: no poster is known.
    let flow = site.get("/film/flow-2024").await.html();
    assert_eq!(
        text_of(&flow, ".film-header .poster-placeholder").as_deref(),
        Some("Flow")
    );
    assert!(attr_of(&flow, ".film-header img", "src").is_none());
}
