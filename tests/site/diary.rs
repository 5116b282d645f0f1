//! A diarist's story: the films watched, newest first and by month, each
//! linked to its film page and review; a rewatch in the film's rating
//! history; the diary's own feed; and a broken line that is reported with
//! its file, line and field while the rest of the diary stays up.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, attr_of, text_of, texts_of};

const DIARY_2025: &str = "entries:
  - date: 2025-01-05
    film: { title: Stalker, year: 1979 }
    rating: 3.5
  - date: 2025-03-02
    film: { title: Stalker, year: 1979 }
    rating: 5
    rewatch: true
    liked: true
    note: Better *every* time.
  - date: 2025-03-09
    film: { title: Anora, year: 2024 }
    rating: 5
    review: anora
";

/// The text of each cell (`th` or `td`) of each row matching `selector`.
fn cells(html: &scraper::Html, selector: &str) -> Vec<Vec<String>> {
    let rows = scraper::Selector::parse(selector).unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    html.select(&rows)
        .map(|row| {
            row.select(&cell)
                .map(|cell| cell.text().collect::<String>().trim().to_string())
                .collect()
        })
        .collect()
}

fn options() -> Options {
    Options {
        status_token: Some("token".into()),
        ..Options::default()
    }
}

#[tokio::test]
async fn the_diary_lists_viewings_newest_first_by_month() {
    let site = TestSite::build(options(), &[("diary/2025.yaml", DIARY_2025)]).await;
    let response = site.get("/diary/2025").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    assert_eq!(
        texts_of(&html, ".diary-month h2"),
        ["March 2025", "January 2025"]
    );
    assert_eq!(
        texts_of(&html, ".diary-entry .diary-film"),
        ["Anora (2024)", "Stalker (1979)", "Stalker (1979)"]
    );
    assert_eq!(
        attr_of(&html, ".diary-entry .diary-film", "href").as_deref(),
        Some("/film/anora-2024")
    );
    assert_eq!(
        attr_of(&html, ".diary-entry .diary-review", "href").as_deref(),
        Some("/reviews/anora")
    );
    assert_eq!(texts_of(&html, ".diary-entry .diary-rewatch"), ["Rewatch"]);
    assert_eq!(text_of(&html, ".diary-note em").as_deref(), Some("every"));

    // `/diary` holds every year, the sample's 2024 after 2025.
    let all = site.get("/diary").await.html();
    let months = texts_of(&all, ".diary-month h2");
    assert_eq!(months.first().map(String::as_str), Some("March 2025"));
    assert!(months.contains(&"October 2024".to_string()), "{months:?}");
    assert_eq!(
        site.get("/diary/page/2").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(site.get("/diary/1999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/diary/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_rewatch_shows_in_the_films_rating_history() {
    let site = TestSite::build(options(), &[("diary/2025.yaml", DIARY_2025)]).await;
    let response = site.get("/film/stalker-1979").await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.html();
    let rows = scraper::Selector::parse(".viewings tbody tr").unwrap();
    let label = scraper::Selector::parse("[role=img]").unwrap();
    let history: Vec<(String, Option<String>, bool)> = html
        .select(&rows)
        .map(|row| {
            let date = row
                .select(&scraper::Selector::parse("time").unwrap())
                .next()
                .and_then(|time| time.value().attr("datetime"))
                .unwrap()
                .to_string();
            let stars = row
                .select(&label)
                .next()
                .and_then(|stars| stars.value().attr("aria-label"))
                .map(str::to_string);
            let rewatch = row.value().classes().any(|class| class == "is-rewatch");
            (date, stars, rewatch)
        })
        .collect();
    assert_eq!(
        history,
        [
            (
                "2025-01-05".into(),
                Some("3.5 out of 5 stars".into()),
                false
            ),
            ("2025-03-02".into(), Some("5 out of 5 stars".into()), true),
        ]
    );
    // A film known only from the diary still has its page: no reviews.
    assert!(texts_of(&html, ".card").is_empty());
}

#[tokio::test]
async fn a_broken_diary_line_is_reported_and_the_rest_stays_published() {
    let site = TestSite::build(options(), &[("diary/2025.yaml", DIARY_2025)]).await;
    let broken = DIARY_2025.replace("rating: 5\n    rewatch", "rating: 11\n    rewatch");
    site.write("diary/2025.yaml", &broken);
    site.sync_everything().await;

    let status = site.get("/status?token=token").await.html();
    let rows = scraper::Selector::parse("table.errors tbody tr").unwrap();
    let cells: Vec<Vec<String>> = status
        .select(&rows)
        .map(|row| {
            row.select(&scraper::Selector::parse("td").unwrap())
                .map(|cell| cell.text().collect::<String>())
                .collect()
        })
        .collect();
    assert_eq!(cells.len(), 1, "{cells:?}");
    assert_eq!(cells[0][..3], ["diary/2025.yaml", "7", "entries[1].rating"]);

    // The last good version of the file stays, and the other years too.
    let html = site.get("/diary/2025").await.html();
    assert_eq!(texts_of(&html, ".diary-entry").len(), 3);
    assert_eq!(site.get("/diary/2024").await.status, StatusCode::OK);

    // Fixed, it is published.
    site.write(
        "diary/2025.yaml",
        &DIARY_2025.replace("rating: 3.5", "rating: 2"),
    );
    site.sync_everything().await;
    let html = site.get("/film/stalker-1979").await.html();
    assert_eq!(
        attr_of(&html, ".viewings [role=img]", "aria-label").as_deref(),
        Some("2 out of 5 stars")
    );
}

#[tokio::test]
async fn the_diary_feed_has_an_item_per_viewing() {
    let site = TestSite::build(options(), &[("diary/2025.yaml", DIARY_2025)]).await;
    let response = site.get("/diary/feed.xml").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.header("last-modified").is_some());
    let feed = feed_rs::parser::parse(response.body.as_bytes()).expect("RSS parses");
    let titles: Vec<String> = feed
        .entries
        .iter()
        .filter_map(|entry| entry.title.as_ref().map(|title| title.content.clone()))
        .collect();
    assert_eq!(
        titles[..3],
        [
            "Anora (2024) ★★★★★",
            "Stalker (1979) ★★★★★",
            "Stalker (1979) ★★★½"
        ]
    );
    // Every item links into its year's page, to an entry that is there.
    let link = &feed.entries[1].links[0].href;
    let (page, anchor) = link.split_once('#').unwrap();
    assert_eq!(page, "https://films.example/diary/2025");
    let html = site.get("/diary/2025").await.html();
    let selector = format!("[id='{anchor}']");
    assert_eq!(
        text_of(&html, &format!("{selector} .diary-film")).as_deref(),
        Some("Stalker (1979)")
    );
}

#[tokio::test]
async fn toml_diaries_and_live_edits_are_picked_up() {
    let site = TestSite::build(
        Options {
            watch: true,
            ..options()
        },
        &[],
    )
    .await;
    site.write(
        "diary/2023.toml",
        "[[entries]]\ndate = 2023-05-01\nfilm = { title = \"Past Lives\", year = 2023 }\nrating = 4.5\n",
    );
    common::eventually(
        std::time::Duration::from_secs(10),
        "the TOML diary is published",
        || async { (site.get("/diary/2023").await.status == StatusCode::OK).then_some(()) },
    )
    .await;
    site.remove("diary/2023.toml");
    common::eventually(
        std::time::Duration::from_secs(10),
        "the removed diary is gone",
        || async { (site.get("/diary/2023").await.status == StatusCode::NOT_FOUND).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn stats_count_the_diary_and_a_year_in_review_adds_it_up() {
    let site = TestSite::build(options(), &[("diary/2025.yaml", DIARY_2025)]).await;
    let html = site.get("/stats").await.html();
    let rows = cells(&html, ".diary-years-table tbody tr");
    assert_eq!(
        rows,
        [
            ["2025 in review", "3", "1", "Diary for 2025"],
            ["2024 in review", "8", "1", "Diary for 2024"]
        ]
    );
    assert_eq!(
        attr_of(&html, ".diary-years-table tbody tr a", "href").as_deref(),
        Some("/stats/2025")
    );
    // Anora is in both years' diaries, and its review names its director.
    assert_eq!(
        texts_of(&html, ".most-watched li")
            .first()
            .map(String::as_str),
        Some("Sean Baker · 2 viewings")
    );

    let response = site.get("/stats/2025").await;
    assert_eq!(response.status, StatusCode::OK);
    let year = response.html();
    assert_eq!(text_of(&year, "h1").as_deref(), Some("2025 in review"));
    assert_eq!(
        text_of(&year, ".year-watched").as_deref(),
        Some("3 films watched")
    );
    // The sample's The Brutalist review came out in January 2025.
    assert_eq!(
        text_of(&year, ".year-reviews").as_deref(),
        Some("1 review written")
    );
    // 3.5, 5 and 5 stars.
    assert_eq!(
        text_of(&year, ".year-average").as_deref(),
        Some("rated 4.5 stars on average")
    );
    assert_eq!(
        texts_of(&year, ".year-top li a"),
        ["Stalker (1979)", "Anora (2024)"]
    );
    let histogram: Vec<(String, String)> = {
        let rows = scraper::Selector::parse(".ratings-table tbody tr").unwrap();
        let th = scraper::Selector::parse("th").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        year.select(&rows)
            .map(|row| {
                let label = row.select(&th).next().unwrap().text().collect::<String>();
                let count = row.select(&td).next().unwrap().text().collect::<String>();
                // The drawn stars are hidden from assistive technology;
                // the words after them are the label.
                let label = label.rsplit('★').next().unwrap_or_default();
                (label.trim().to_string(), count)
            })
            .filter(|(_, count)| count != "0")
            .collect()
    };
    assert_eq!(
        histogram,
        [
            ("5 stars".to_string(), "2".to_string()),
            ("3.5 stars".to_string(), "1".to_string())
        ]
    );
    let months = cells(&year, ".months-table tbody tr");
    assert_eq!(months[0][..2], ["January", "1"]);
    assert_eq!(months[1][..2], ["February", "0"]);
    assert_eq!(months[2][..2], ["March", "2"]);
    assert_eq!(site.get("/stats/1990").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/stats/20x5").await.status, StatusCode::NOT_FOUND);
}

#[test]
fn marquee_new_diary_starts_this_years_diary() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        common::marquee(dir.path())
            .args(args)
            .arg("--content")
            .arg(dir.path())
            .output()
            .expect("the marquee binary runs")
    };
    let created = run(&["new", "--diary"]);
    assert!(created.status.success(), "{created:?}");
    let year = time::OffsetDateTime::now_utc().year();
    let path = dir.path().join(format!("diary/{year}.yaml"));
    let text = std::fs::read_to_string(&path).expect("the diary file exists");
    // Refused until the film is named, then valid.
    let checked = run(&["check"]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("field `entries[0].film.title`"),
        "{checked:?}"
    );
    std::fs::write(&path, text.replacen("title:       ", "title: Anora", 1)).unwrap();
    assert_eq!(
        run(&["check"]).status.code(),
        Some(0),
        "{:?}",
        run(&["check"])
    );
    assert_eq!(run(&["new", "--diary"]).status.code(), Some(1));
}

#[tokio::test]
async fn a_reviews_watched_date_stands_for_a_diary_entry_once_the_review_is_out() {
    let with_watched = |title: &str, published: &str, extra: &str| {
        format!(
            "---\ntitle: {title}\nfilm:\n  title: {title}\n  year: 2025\nrating: 4\nwatched: 2025-04-01\npublished: {published}\n{extra}---\nText.\n"
        )
    };
    let site = TestSite::build(
        options(),
        &[
            ("reviews/seen.md", &with_watched("Seen", "2025-04-03", "")),
            ("reviews/soon.md", &with_watched("Soon", "2026-12-01", "")),
            (
                "reviews/drafted.md",
                &with_watched("Drafted", "2025-04-03", "draft: true\n"),
            ),
        ],
    )
    .await;
    let films = |html: &scraper::Html| texts_of(html, ".diary-entry .diary-film");
    let html = site.get("/diary/2025").await.html();
    assert_eq!(films(&html), ["Seen (2025)"]);
    assert_eq!(
        attr_of(&html, ".diary-entry .diary-review", "href").as_deref(),
        Some("/reviews/seen")
    );
    assert_eq!(
        attr_of(&html, ".diary-entry [role=img]", "aria-label").as_deref(),
        Some("4 out of 5 stars")
    );
    // The scheduled review's viewing shows when the review does.
    site.clock
        .set(time::macros::datetime!(2026-12-02 00:00 UTC));
    site.site
        .state
        .cache
        .invalidate(&marquee::db::changes::Changes::everything());
    let html = site.get("/diary/2025").await.html();
    assert_eq!(films(&html), ["Soon (2025)", "Seen (2025)"]);
    let film = site.get("/film/soon-2025").await.html();
    assert_eq!(texts_of(&film, ".viewings tbody tr").len(), 1);
}
