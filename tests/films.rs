//! A film's story: every review of one film, whatever its title's case and
//! punctuation, meets on the film's page; each review links there; the ids
//! an editor gives are checked and become `sameAs` links.

mod common;

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
