//! The page cache as operators and CDNs see it: what makes an entry of its
//! own, and the `X-Cache` header that says where a response came from.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, text_of};

#[tokio::test]
async fn x_cache_says_whether_a_page_came_from_the_cache() {
    let site = TestSite::sample().await;
    let first = site.get("/reviews/anora").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-cache"), Some("miss"));
    let second = site.get("/reviews/anora").await;
    assert_eq!(second.header("x-cache"), Some("hit"));
    assert_eq!(second.body, first.body);
    // Files and the health check are never kept.
    for path in ["/static/style.css", "/healthz", "/no-such-page"] {
        for _ in 0..2 {
            assert_eq!(
                site.get(path).await.header("x-cache"),
                Some("pass"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn parameters_a_route_does_not_read_are_the_same_cached_page() {
    let site = TestSite::sample().await;
    for (path, junk) in [
        ("/reviews/anora", "/reviews/anora?utm_source=x"),
        ("/", "/?pollute=1"),
        ("/sitemap.xml", "/sitemap.xml?z=random"),
        ("/search?q=anora", "/search?utm=1&q=anora&x=2"),
    ] {
        let page = site.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let again = site.get(junk).await;
        assert_eq!(again.header("x-cache"), Some("hit"), "{junk}");
        assert_eq!(again.body, page.body, "{junk}");
    }
    // Thousands of junk parameters are one entry: the real page stays hit.
    for n in 0..2_000 {
        site.get(&format!("/?pollute={n}")).await;
    }
    assert_eq!(
        site.get("/reviews/anora").await.header("x-cache"),
        Some("hit")
    );
}

#[tokio::test]
async fn parameters_a_route_reads_still_make_their_own_pages() {
    let site = TestSite::sample().await;
    site.get("/").await;
    let paged = site.get("/?page=2").await;
    assert_eq!(paged.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(paged.header("location"), Some("/page/2"));

    let anora = site.get("/search?q=anora").await.html();
    let brutalist = site.get("/search?q=brutalist&utm=1").await.html();
    let first_film = |html| text_of(html, ".search-result .card-film");
    assert_eq!(first_film(&anora).as_deref(), Some("Anora (2024)"));
    assert_eq!(
        first_film(&brutalist).as_deref(),
        Some("The Brutalist (2024)")
    );
}

// ---------------------------------------------------------------------------
// Dropping what changed, and nothing else
// ---------------------------------------------------------------------------

/// A review of `film` from `year`, tagged `tag`, directed by `director`.
fn review_of(film: &str, year: i32, tag: &str, director: &str, body: &str) -> String {
    format!(
        "---\ntitle: On {film}\nfilm:\n  title: {film}\n  year: {year}\n  director: {director}\n\
         published: 2024-06-01\nrating: 4\ntags: [{tag}]\n---\n{body}\n"
    )
}

/// The keys of a response's `Surrogate-Key`, and that `Cache-Tag` says the
/// same.
fn keys(response: &common::TestResponse) -> Vec<String> {
    let keys: Vec<String> = response
        .header("surrogate-key")
        .expect("a Surrogate-Key")
        .split(' ')
        .map(str::to_string)
        .collect();
    assert_eq!(
        response
            .header("cache-tag")
            .map(|tags| tags.split(',').collect::<Vec<_>>()),
        Some(keys.iter().map(String::as_str).collect())
    );
    keys
}

/// A site of these files alone, not the sample's.
async fn only_these(files: &[(&str, &str)]) -> TestSite {
    TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        files,
    )
    .await
}

async fn unrelated_pair() -> TestSite {
    only_these(&[
        (
            "reviews/alpha.md",
            &review_of("Alpha", 2001, "Noir", "Ann One", "First words."),
        ),
        (
            "reviews/beta.md",
            &review_of("Beta", 1999, "Musical", "Bob Two", "Other words."),
        ),
    ])
    .await
}

#[tokio::test]
async fn saving_a_review_drops_its_page_and_the_listings_but_not_an_unrelated_review() {
    let site = unrelated_pair().await;
    for path in ["/", "/reviews/alpha", "/reviews/beta", "/tags/noir"] {
        site.get(path).await;
        assert_eq!(
            site.get(path).await.header("x-cache"),
            Some("hit"),
            "{path}"
        );
    }
    let beta_before = site.get("/reviews/beta").await;
    site.write(
        "reviews/alpha.md",
        &review_of("Alpha", 2001, "Noir", "Ann One", "First words, rewritten."),
    );
    let report = site.sync_everything().await;
    assert_eq!(report.documents_changed, 1);

    let alpha = site.get("/reviews/alpha").await;
    assert_eq!(alpha.header("x-cache"), Some("miss"));
    assert_eq!(
        text_of(&alpha.html(), ".review-body p").as_deref(),
        Some("First words, rewritten.")
    );
    for path in ["/", "/tags/noir"] {
        assert_eq!(
            site.get(path).await.header("x-cache"),
            Some("miss"),
            "{path}"
        );
    }
    let beta = site.get("/reviews/beta").await;
    assert_eq!(
        beta.header("x-cache"),
        Some("hit"),
        "Beta shows nothing of Alpha"
    );
    assert_eq!(beta.body, beta_before.body);

    // What Beta's page is kept with is what a fresh render gives: an
    // instance that never cached it agrees on the page and its validators.
    let fresh = site.another_instance(std::time::Duration::ZERO).await;
    let rendered = fresh.get("/reviews/beta").await;
    assert_eq!(rendered.header("x-cache"), Some("miss"));
    assert_eq!(rendered.body, beta.body);
    for header in ["etag", "last-modified", "surrogate-key"] {
        assert_eq!(rendered.header(header), beta.header(header), "{header}");
    }
}

#[tokio::test]
async fn a_draft_or_a_broken_save_keeps_every_review_page() {
    let site = unrelated_pair().await;
    for path in ["/reviews/alpha", "/reviews/beta"] {
        site.get(path).await;
    }
    // A new draft sharing Alpha's tag, year and director, saved again and
    // again as an editor's autosave does.
    for n in 0..3 {
        site.write(
            "reviews/gamma.md",
            &review_of("Alpha", 2001, "Noir", "Ann One", &format!("Draft {n}."))
                .replace("rating: 4\n", "rating: 4\ndraft: true\n"),
        );
        site.sync_everything().await;
    }
    // A broken save of Alpha: its last good version stays.
    site.write("reviews/alpha.md", "---\ntitle: [unclosed\n---\nBroken.\n");
    site.sync_everything().await;
    for path in ["/reviews/alpha", "/reviews/beta"] {
        let page = site.get(path).await;
        assert_eq!(page.header("x-cache"), Some("hit"), "{path}");
    }
    assert_eq!(
        text_of(&site.get("/reviews/alpha").await.html(), ".review-body p").as_deref(),
        Some("First words.")
    );
}

#[tokio::test]
async fn a_review_that_shows_another_is_rendered_again_when_it_changes() {
    // Same tag: each is the other's "Related".
    let site = only_these(&[
        (
            "reviews/alpha.md",
            &review_of("Alpha", 2001, "Noir", "Ann One", "First words."),
        ),
        (
            "reviews/beta.md",
            &review_of("Beta", 1999, "Noir", "Bob Two", "Other words."),
        ),
    ])
    .await;
    let beta = site.get("/reviews/beta").await;
    assert!(
        keys(&beta).contains(&"review:alpha".to_string()),
        "{:?}",
        keys(&beta)
    );
    assert_eq!(
        text_of(&beta.html(), ".related .card-headline").as_deref(),
        Some("On Alpha")
    );
    site.write(
        "reviews/alpha.md",
        &review_of("Alpha", 2001, "Noir", "Ann One", "First words.")
            .replace("title: On Alpha", "title: Alpha, again"),
    );
    site.sync_everything().await;
    let beta = site.get("/reviews/beta").await;
    assert_eq!(beta.header("x-cache"), Some("miss"));
    assert_eq!(
        text_of(&beta.html(), ".related .card-headline").as_deref(),
        Some("Alpha, again")
    );
    // A review that starts sharing the tag joins Beta's "Related" too.
    site.write(
        "reviews/gamma.md",
        &review_of("Gamma", 1980, "Musical", "Cy Three", "Words."),
    );
    site.sync_everything().await;
    site.get("/reviews/beta").await;
    site.write(
        "reviews/gamma.md",
        &review_of("Gamma", 1980, "Noir", "Cy Three", "Words."),
    );
    site.sync_everything().await;
    let related = common::texts_of(
        &site.get("/reviews/beta").await.html(),
        ".related .card-headline",
    );
    assert!(related.contains(&"On Gamma".to_string()), "{related:?}");
}

#[tokio::test]
async fn every_page_names_what_it_shows_for_a_cdn_to_purge_by() {
    let site = unrelated_pair().await;
    assert_eq!(keys(&site.get("/").await), ["site", "catalog"]);
    assert_eq!(
        keys(&site.get("/reviews/beta").await),
        [
            "site",
            "review:beta",
            "tag:musical",
            "year:1999",
            "director:bob-two"
        ]
    );
    assert_eq!(
        keys(&site.get("/search?q=beta").await),
        ["site", "catalog", "search"]
    );
    assert_eq!(keys(&site.get("/feed.xml").await), ["site", "catalog"]);
    // A hit carries the same keys as the render it came from.
    let hit = site.get("/reviews/beta").await;
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(keys(&hit)[1], "review:beta");
}

#[tokio::test]
async fn the_purge_hook_is_run_with_the_keys_a_save_changed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("purged.txt");
    let site = TestSite::build(
        Options {
            sample_content: false,
            purge_hook: Some(format!("echo \"$@\" >> '{}'", log.display())),
            ..Options::default()
        },
        &[(
            "reviews/alpha.md",
            &review_of("Alpha", 2001, "Noir", "Ann One", "First words."),
        )],
    )
    .await;
    site.write(
        "reviews/alpha.md",
        &review_of("Alpha", 2002, "Noir", "Ann One", "First words."),
    );
    site.sync_everything().await;
    // The year moved: pages listing either year's reviews are purged.
    let expected = "catalog review:alpha tag:noir year:2001 year:2002 director:ann-one";
    common::eventually(
        std::time::Duration::from_secs(20),
        "the hook's run for the save",
        || async {
            let purged = std::fs::read_to_string(&log).unwrap_or_default();
            purged.lines().any(|line| line == expected).then_some(())
        },
    )
    .await;
    // A draft saved changes nothing public beyond its own (unlisted) page.
    site.write(
        "reviews/draft.md",
        "---\ntitle: Soon\nfilm:\n  title: Soon\n  year: 2001\npublished: 2024-06-01\ndraft: true\ntags: [Noir]\n---\nDraft.\n",
    );
    site.sync_everything().await;
    common::eventually(
        std::time::Duration::from_secs(20),
        "the hook's run for the draft",
        || async {
            let purged = std::fs::read_to_string(&log).unwrap_or_default();
            purged
                .lines()
                .any(|line| line == "catalog review:draft")
                .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn pages_memory_lets_go_are_served_from_disk_as_rendered_until_they_change() {
    // Forty reviews of about 50 KB of text each, and one megabyte of memory
    // for pages: memory can hold a few; the rest must come from disk.
    let body = "A long look at a city by the harbour, scene by scene. ".repeat(900);
    let reviews: Vec<(String, String)> = (0..40)
        .map(|n| {
            let film = format!("Harbour {n}");
            let path = format!("reviews/harbour-{n}.md");
            (path, review_of(&film, 1990 + n, "Noir", "Ann One", &body))
        })
        .collect();
    let files: Vec<(&str, &str)> = reviews
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    let site = TestSite::build(
        Options {
            sample_content: false,
            cache_mb: 1,
            ..Options::default()
        },
        &files,
    )
    .await;
    let paths: Vec<String> = (0..40).map(|n| format!("/reviews/harbour-{n}")).collect();
    let mut rendered = Vec::new();
    for path in &paths {
        let page = site.get(path).await;
        assert_eq!(page.header("x-cache"), Some("miss"), "{path}");
        rendered.push(page);
    }
    // The writer thread spills in its own time: poll, with a deadline.
    let again = common::eventually(
        std::time::Duration::from_secs(10),
        "30 pages or more served from disk, none rendered again",
        || async {
            let mut again = Vec::new();
            for path in &paths {
                again.push(site.get(path).await);
            }
            let served = |from: &str| {
                again
                    .iter()
                    .filter(|page| page.header("x-cache") == Some(from))
                    .count()
            };
            (served("disk") >= 30 && served("miss") == 0).then_some(again)
        },
    )
    .await;
    for (first, second) in rendered.iter().zip(&again) {
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body, first.body);
        for header in [
            "etag",
            "last-modified",
            "surrogate-key",
            "content-type",
            "content-security-policy",
        ] {
            assert_eq!(second.header(header), first.header(header), "{header}");
        }
    }
    // A spilled page asked for in brotli gets it, made once: the page goes
    // back to memory with it.
    let spilled = &paths[again
        .iter()
        .position(|page| page.header("x-cache") == Some("disk"))
        .unwrap()];
    for from in ["disk", "hit"] {
        let brotli = site.get_with(spilled, &[("accept-encoding", "br")]).await;
        assert_eq!(brotli.header("content-encoding"), Some("br"));
        assert_eq!(brotli.header("x-cache"), Some(from));
    }

    // A save drops the saved review's page wherever it is kept.
    let changed = again
        .iter()
        .position(|page| page.header("x-cache") == Some("disk"))
        .unwrap();
    site.write(
        &format!("reviews/harbour-{changed}.md"),
        &review_of(
            &format!("Harbour {changed}"),
            1990 + changed as i32,
            "Noir",
            "Ann One",
            "Rewritten.",
        ),
    );
    site.sync_everything().await;
    let page = site.get(&paths[changed]).await;
    assert_eq!(page.header("x-cache"), Some("miss"));
    assert_eq!(
        text_of(&page.html(), ".review-body p").as_deref(),
        Some("Rewritten.")
    );
}

#[tokio::test]
async fn saving_a_draft_or_a_broken_file_keeps_the_listings_and_their_dates() {
    let gamma = |words: &str, draft: bool| {
        review_of("Gamma", 2001, "Noir", "Ann One", words).replace(
            "rating: 4\n",
            if draft {
                "rating: 4\ndraft: true\n"
            } else {
                "rating: 4\n"
            },
        )
    };
    let site = only_these(&[
        (
            "reviews/alpha.md",
            &review_of("Alpha", 2001, "Noir", "Ann One", "First words."),
        ),
        ("reviews/gamma.md", &gamma("A draft.", true)),
    ])
    .await;
    let listings = [
        "/",
        "/tags/noir",
        "/feed.xml",
        "/sitemap.xml",
        "/films/2001",
    ];
    let mut before = Vec::new();
    for path in listings {
        before.push(site.get(path).await);
    }
    // The draft saved in place again and again, then a broken save of a
    // published review: readers see nothing new.
    for n in 0..3 {
        site.write("reviews/gamma.md", &gamma(&format!("Draft {n}."), true));
        site.sync_everything().await;
    }
    site.write("reviews/alpha.md", "---\ntitle: [unclosed\n---\nBroken.\n");
    site.sync_everything().await;
    for (path, first) in listings.iter().zip(&before) {
        let page = site.get(path).await;
        assert_eq!(page.header("x-cache"), Some("hit"), "{path}");
        assert_eq!(
            page.header("last-modified"),
            first.header("last-modified"),
            "{path}"
        );
    }
    // What is kept is what an instance reading the files now renders
    // (the broken file aside: put right first, as it was).
    site.write(
        "reviews/alpha.md",
        &review_of("Alpha", 2001, "Noir", "Ann One", "First words."),
    );
    site.sync_everything().await;
    let kept = site.get("/").await;
    let fresh = site.another_instance(std::time::Duration::ZERO).await;
    let rendered = fresh.get("/").await;
    assert_eq!(rendered.body, kept.body);
    for header in ["etag", "last-modified"] {
        assert_eq!(rendered.header(header), kept.header(header), "{header}");
    }

    // Published, the draft is news: every listing is rendered again.
    site.write("reviews/gamma.md", &gamma("Finished.", false));
    site.sync_everything().await;
    for path in listings {
        assert_eq!(
            site.get(path).await.header("x-cache"),
            Some("miss"),
            "{path}"
        );
    }
    // A new draft file moves its folder's time, which listings carry.
    for path in listings {
        site.get(path).await;
    }
    site.write(
        "reviews/delta.md",
        &gamma("Another draft.", true).replace("Gamma", "Delta"),
    );
    site.sync_everything().await;
    let home = site.get("/").await;
    assert_eq!(home.header("x-cache"), Some("miss"));
    let fresh = site.another_instance(std::time::Duration::ZERO).await;
    assert_eq!(
        fresh.get("/").await.header("last-modified"),
        home.header("last-modified")
    );
}
