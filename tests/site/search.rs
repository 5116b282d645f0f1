//! Search as readers use it, through `/search` on a real site.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::StatusCode;
use common::{NOW, Options, TestSite, attr_of, eventually, review, text_of, texts_of};
use time::macros::datetime;

// ---------------------------------------------------------------------------
// The text search reads: spoiler blocks left out, block boundaries kept, and
// bodies stored by an older renderer rendered again
// ---------------------------------------------------------------------------

/// The films and snippets of a results page, in order.
async fn results(site: &TestSite, query: &str) -> Vec<(String, String)> {
    let html = site.get(&format!("/search?q={query}")).await.html();
    texts_of(&html, ".search-result .card-film")
        .into_iter()
        .zip(texts_of(&html, ".search-result .snippet"))
        .collect()
}

/// The snippet of `film`'s result, if the search found it.
async fn snippet_of(site: &TestSite, query: &str, film: &str) -> Option<String> {
    results(site, query)
        .await
        .into_iter()
        .find(|(title, _)| title.starts_with(film))
        .map(|(_, snippet)| snippet)
}

/// Whether `words` appear one after the other in `text`, as whole words.
fn adjacent(text: &str, words: &[&str]) -> bool {
    let found: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    found.windows(words.len()).any(|window| window == words)
}

#[tokio::test]
async fn a_word_only_in_a_spoiler_block_finds_nothing_and_shows_nothing() {
    let site = TestSite::sample().await;
    // "lecture" is only in The Brutalist's spoiler block.
    let page = site.get("/search?q=lecture").await;
    assert_eq!(page.status, 200);
    let html = page.html();
    assert_eq!(results(&site, "lecture").await, Vec::new());
    let main = text_of(&html, "main").expect("a main element");
    assert!(!main.contains("into a caption"), "{main}");

    // A word both in and out of the spoiler finds the review by the words a
    // reader can see, and the snippet never reaches into the spoiler.
    let snippet = snippet_of(&site, "earned", "The Brutalist")
        .await
        .expect("The Brutalist is found by its visible text");
    assert!(adjacent(&snippet, &["feels", "earned"]), "{snippet}");
    assert!(!snippet.contains("caption"), "{snippet}");
}

#[tokio::test]
async fn snippets_keep_a_space_where_a_heading_meets_the_next_block() {
    let site = TestSite::sample().await;
    // "## The first half" is followed by "Adrien Brody plays…".
    let snippet = snippet_of(&site, "adrien", "The Brutalist")
        .await
        .expect("The Brutalist is found by a word after a heading");
    assert!(
        adjacent(&snippet, &["The", "first", "half", "Adrien", "Brody"]),
        "{snippet}"
    );
}

#[tokio::test]
async fn snippets_keep_a_space_between_list_items_and_table_cells() {
    let body = "What works:\n\n\
                - the look of it\n\
                - handsome.\n\n\
                Framed with care.\n\n\
                | Cast | Role |\n|---|---|\n| Ensemble | Family |\n";
    let site = TestSite::build(
        Options::default(),
        &[("reviews/blocks.md", &review("Blocks", "Blocks", "", body))],
    )
    .await;
    let snippet = snippet_of(&site, "framed", "Blocks")
        .await
        .expect("found by a word after a list");
    assert!(
        adjacent(&snippet, &["look", "of", "it", "handsome"]),
        "{snippet}"
    );
    assert!(adjacent(&snippet, &["handsome", "Framed"]), "{snippet}");
    let snippet = snippet_of(&site, "ensemble", "Blocks")
        .await
        .expect("found by a word in a table cell");
    assert!(
        adjacent(&snippet, &["Cast", "Role", "Ensemble", "Family"]),
        "{snippet}"
    );
}

#[tokio::test]
async fn bodies_stored_by_an_older_renderer_are_rendered_again_once() {
    let site = TestSite::sample().await;
    // What an older Marquee left: bodies rendered differently (here, words
    // no current render has), and the fingerprint it kept of its embed
    // hosts (none, which it stored as 0) under the name it used then.
    let db = &site.site.state.db;
    for sql in [
        "UPDATE reviews SET body_text = body_text || ' stalewords',
                            body_html = body_html || '<p>Stale render.</p>'",
        "UPDATE pages SET body_html = body_html || '<p>Stale render.</p>'",
        "DELETE FROM meta WHERE key = 'bodies_rendered_with'",
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('embed_hosts_rendered', 0)",
    ] {
        sqlx::query(sql).execute(db).await.unwrap();
    }

    // The files did not change, yet the next start renders every body.
    let site = site.restart(|_| {}).await;
    assert_eq!(results(&site, "stalewords").await, Vec::new());
    for path in ["/reviews/the-brutalist", "/reviews/anora", "/about"] {
        let html = site.get(path).await.html();
        let paragraphs = texts_of(&html, "main p");
        assert!(!paragraphs.is_empty(), "{path}");
        assert!(
            !paragraphs.iter().any(|text| text == "Stale render."),
            "{path}: {paragraphs:?}"
        );
    }
    let old_keys: i64 =
        sqlx::query_scalar("SELECT count(*) FROM meta WHERE key = 'embed_hosts_rendered'")
            .fetch_one(&site.site.state.db)
            .await
            .unwrap();
    assert_eq!(old_keys, 0, "the old name is not kept beside the new one");

    // Once rendered again, a start renders nothing more.
    let site = site.restart(|_| {}).await;
    assert_eq!(site.site.initial.documents_changed, 0);
}

// ---------------------------------------------------------------------------
// The engine: typos, filters and facets, paging, what is findable when,
// rebuilding (issue 13)
// ---------------------------------------------------------------------------

/// The film titles a results page lists, in order.
async fn films(site: &TestSite, path: &str) -> Vec<String> {
    let response = site.get(path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}");
    texts_of(&response.html(), ".search-result .card-film")
}

#[tokio::test]
async fn a_typo_is_corrected_with_the_search_as_typed_one_click_away() {
    let site = TestSite::sample().await;
    for (typed, film, corrected) in [
        ("anorra", "Anora (2024)", "anora"),
        ("brutalst", "The Brutalist (2024)", "brutalist"),
        ("perfct days", "Perfect Days (2023)", "perfect days"),
    ] {
        let html = site
            .get(&format!("/search?q={}", typed.replace(' ', "+")))
            .await
            .html();
        assert_eq!(
            texts_of(&html, ".search-result .card-film"),
            [film],
            "{typed}"
        );
        assert_eq!(
            text_of(&html, ".search-correction em").as_deref(),
            Some(corrected),
            "{typed}"
        );
        let marked = texts_of(&html, ".search-result mark");
        assert!(
            marked
                .iter()
                .all(|word| corrected.contains(&word.to_lowercase())),
            "{typed}: the corrected words are highlighted: {marked:?}"
        );
        let original = attr_of(&html, ".search-original", "href").unwrap();
        let exact = site.get(&original).await.html();
        assert!(texts_of(&exact, ".search-result").is_empty(), "{original}");
        assert_eq!(
            text_of(&exact, ".search-suggestion em").as_deref(),
            Some(corrected),
            "{original}: did you mean"
        );
        let suggestion = attr_of(&exact, ".search-suggestion a", "href").unwrap();
        assert_eq!(films(&site, &suggestion).await, [film]);
    }
    // Four letters allow no typo; what is found as typed is not corrected.
    let short = site.get("/search?q=anra").await.html();
    assert!(texts_of(&short, ".search-result").is_empty());
    assert_eq!(text_of(&short, ".search-correction"), None);
    assert_eq!(text_of(&short, ".search-suggestion"), None);
}

#[tokio::test]
async fn a_year_or_a_directors_surname_alone_finds_the_films() {
    let site = TestSite::sample().await;
    assert_eq!(
        films(&site, "/search?q=2023").await,
        ["Perfect Days (2023)"]
    );
    assert_eq!(
        films(&site, "/search?q=wenders").await,
        ["Perfect Days (2023)"]
    );
    assert_eq!(films(&site, "/search?q=Baker").await, ["Anora (2024)"]);
}

/// One review of the test catalogue, with what the filters look at.
#[derive(Debug, Clone)]
struct Entry {
    slug: String,
    tags: Vec<&'static str>,
    halves: u64,
    year: u64,
    draft: bool,
    /// Published after `NOW`.
    scheduled: bool,
    /// Holds the searched word.
    zeppelin: bool,
}

const TAGS: [&str; 4] = ["Drama", "Heist", "Road movie", "Noir"];

/// A catalogue whose facets are known: the test computes every count from
/// this list, not from the site.
fn catalogue(count: usize) -> Vec<Entry> {
    (0..count)
        .map(|n| Entry {
            slug: format!("film-{n:03}"),
            tags: TAGS
                .iter()
                .enumerate()
                .filter(|(t, _)| (n + t) % (t + 2) == 0)
                .map(|(_, tag)| *tag)
                .collect(),
            halves: (n % 10 + 1) as u64,
            year: 1950 + (n as u64 * 7) % 70,
            draft: n % 11 == 5,
            scheduled: n % 13 == 7,
            zeppelin: n % 9 != 4,
        })
        .collect()
}

fn file(entry: &Entry) -> String {
    let tags = entry.tags.join(", ");
    let rating = entry.halves as f64 / 2.0;
    let published = if entry.scheduled {
        "2027-01-01"
    } else {
        "2024-06-01"
    };
    let body = if entry.zeppelin {
        "A zeppelin drifts over the city."
    } else {
        "A quiet film about nothing in particular."
    };
    format!(
        "---\ntitle: About {slug}\nfilm:\n  title: Film {slug}\n  year: {year}\n\
         rating: {rating}\ntags: [{tags}]\ndraft: {draft}\npublished: {published}\n---\n{body}\n",
        slug = entry.slug,
        year = entry.year,
        draft = entry.draft,
    )
}

async fn catalogue_site(entries: &[Entry]) -> TestSite {
    let files: Vec<(String, String)> = entries
        .iter()
        .map(|entry| (format!("reviews/{}.md", entry.slug), file(entry)))
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &files,
    )
    .await
}

/// What a filter keeps.
#[derive(Debug, Clone, Default)]
struct Chosen {
    tag: Option<&'static str>,
    min_halves: Option<u64>,
    year: Option<u64>,
    decade: Option<u64>,
}

impl Chosen {
    fn keeps(&self, entry: &Entry) -> bool {
        self.tag.is_none_or(|tag| entry.tags.contains(&tag))
            && self.min_halves.is_none_or(|min| entry.halves >= min)
            && self.year.is_none_or(|year| entry.year == year)
            && self
                .decade
                .is_none_or(|decade| entry.year / 10 * 10 == decade)
    }

    fn query(&self) -> String {
        let mut query = "/search?q=zeppelin".to_string();
        if let Some(tag) = self.tag {
            query.push_str(&format!("&tag={}", tag.to_lowercase().replace(' ', "-")));
        }
        if let Some(halves) = self.min_halves {
            query.push_str(&format!("&rating={}", halves as f64 / 2.0));
        }
        if let Some(year) = self.year {
            query.push_str(&format!("&year={year}"));
        }
        if let Some(decade) = self.decade {
            query.push_str(&format!("&decade={decade}s"));
        }
        query
    }
}

/// The counts each facet should show for `chosen`: each over the visible
/// matches that pass every other filter.
fn expected_facets(
    entries: &[Entry],
    chosen: &Chosen,
) -> BTreeMap<String, BTreeMap<String, usize>> {
    let visible: Vec<&Entry> = entries
        .iter()
        .filter(|entry| entry.zeppelin && !entry.draft && !entry.scheduled)
        .collect();
    let mut facets: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let without = |change: fn(&mut Chosen)| {
        let mut other = chosen.clone();
        change(&mut other);
        other
    };
    let others = without(|c| c.tag = None);
    for entry in visible.iter().filter(|entry| others.keeps(entry)) {
        for tag in &entry.tags {
            *facets
                .entry("Tags".into())
                .or_default()
                .entry((*tag).into())
                .or_default() += 1;
        }
    }
    let others = without(|c| c.min_halves = None);
    for stars in 1..=5u64 {
        let count = visible
            .iter()
            .filter(|entry| others.keeps(entry) && entry.halves >= stars * 2)
            .count();
        if count > 0 {
            let label = if stars == 5 {
                "5 stars".to_string()
            } else {
                let noun = if stars == 1 { "star" } else { "stars" };
                format!("{stars} {noun} and up")
            };
            facets
                .entry("Rating".into())
                .or_default()
                .insert(label, count);
        }
    }
    let others = without(|c| c.decade = None);
    for entry in visible.iter().filter(|entry| others.keeps(entry)) {
        *facets
            .entry("Decade".into())
            .or_default()
            .entry(format!("{}s", entry.year / 10 * 10))
            .or_default() += 1;
    }
    facets
}

/// The counts the page shows, by group heading and label (years aside:
/// the page lists only the commonest).
fn shown_facets(html: &scraper::Html) -> BTreeMap<String, BTreeMap<String, usize>> {
    let group = scraper::Selector::parse(".search-facets .facet").unwrap();
    let heading = scraper::Selector::parse("h2").unwrap();
    let item = scraper::Selector::parse("li").unwrap();
    let label = scraper::Selector::parse("a, strong").unwrap();
    let count = scraper::Selector::parse(".facet-count").unwrap();
    let text =
        |element: scraper::ElementRef<'_>| element.text().collect::<String>().trim().to_string();
    let mut facets = BTreeMap::new();
    for section in html.select(&group) {
        let name = text(section.select(&heading).next().unwrap());
        if name == "Year" {
            continue;
        }
        let counts: BTreeMap<String, usize> = section
            .select(&item)
            .map(|li| {
                (
                    text(li.select(&label).next().unwrap()),
                    text(li.select(&count).next().unwrap()).parse().unwrap(),
                )
            })
            .collect();
        facets.insert(name, counts);
    }
    facets
}

#[tokio::test]
async fn each_filter_narrows_and_each_facet_counts_what_it_would_leave() {
    let entries = catalogue(60);
    let site = catalogue_site(&entries).await;
    let choices = [
        Chosen::default(),
        Chosen {
            tag: Some("Heist"),
            ..Chosen::default()
        },
        Chosen {
            min_halves: Some(7),
            ..Chosen::default()
        },
        Chosen {
            year: Some(1971),
            ..Chosen::default()
        },
        Chosen {
            decade: Some(1980),
            ..Chosen::default()
        },
        Chosen {
            tag: Some("Drama"),
            min_halves: Some(4),
            decade: Some(1990),
            ..Chosen::default()
        },
    ];
    for chosen in choices {
        let path = chosen.query();
        let html = site.get(&path).await.html();
        let mut expected: Vec<String> = entries
            .iter()
            .filter(|entry| entry.zeppelin && !entry.draft && !entry.scheduled)
            .filter(|entry| chosen.keeps(entry))
            .map(|entry| format!("Film {}", entry.slug))
            .collect();
        let mut found = every_film(&site, &path).await;
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{path}");
        assert_eq!(
            shown_facets(&html),
            expected_facets(&entries, &chosen),
            "{path}"
        );
        // Each chosen filter can be removed, and the page without it is the
        // search without that filter.
        for remove in common::texts_of(&html, ".search-chosen a") {
            assert!(remove.starts_with("Remove"), "{remove}");
        }
        let removals: Vec<String> = html
            .select(&scraper::Selector::parse(".search-chosen a").unwrap())
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        let chosen_count = [
            chosen.tag.is_some(),
            chosen.min_halves.is_some(),
            chosen.year.is_some(),
            chosen.decade.is_some(),
        ]
        .iter()
        .filter(|on| **on)
        .count();
        assert_eq!(removals.len(), chosen_count, "{path}");
    }
    // A facet's link adds its filter: following it shows as many results
    // as its count said.
    let html = site.get("/search?q=zeppelin").await.html();
    let link = scraper::Selector::parse(".search-facets li").unwrap();
    let anchor = scraper::Selector::parse("a").unwrap();
    let count = scraper::Selector::parse(".facet-count").unwrap();
    for li in html.select(&link) {
        let href = li
            .select(&anchor)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        let said: usize = li
            .select(&count)
            .next()
            .unwrap()
            .text()
            .collect::<String>()
            .parse()
            .unwrap();
        let followed = site.get(href).await.html();
        let total = text_of(&followed, ".search-summary").unwrap();
        let shown = if said == 1 {
            "1 review matches".to_string()
        } else {
            format!("{said} reviews match")
        };
        assert!(
            total.starts_with(&shown),
            "{href}: {total} (facet said {said})"
        );
    }
}

#[tokio::test]
async fn pages_are_numbered_and_past_the_last_is_not_found() {
    let entries: Vec<Entry> = catalogue(190)
        .into_iter()
        .map(|entry| Entry {
            draft: false,
            scheduled: false,
            zeppelin: true,
            ..entry
        })
        .collect();
    let site = catalogue_site(&entries).await;
    // 190 matches, 20 a page: 10 pages.
    let numbers = |html: &scraper::Html| texts_of(html, ".page-numbers li");
    let first = site.get("/search?q=zeppelin").await.html();
    assert!(
        text_of(&first, ".search-summary")
            .unwrap()
            .starts_with("190 reviews match")
    );
    assert_eq!(numbers(&first), ["1", "2", "3", "…", "10"]);
    assert_eq!(
        attr_of(&first, "[aria-current=page]", "href").as_deref(),
        Some("/search?q=zeppelin")
    );
    let fifth = site.get("/search?q=zeppelin&page=5").await.html();
    assert_eq!(
        numbers(&fifth),
        ["1", "…", "3", "4", "5", "6", "7", "…", "10"]
    );
    assert_eq!(
        attr_of(&fifth, "[rel=next]", "href").as_deref(),
        Some("/search?q=zeppelin&page=6")
    );
    let last = site.get("/search?q=zeppelin&page=10").await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(texts_of(&last.html(), ".search-result").len(), 10);
    for past in [
        "/search?q=zeppelin&page=11",
        "/search?q=zeppelin&page=50",
        "/search?q=nothingatall&page=2",
        "/search?q=zeppelin&page=99999999999",
    ] {
        assert_eq!(site.get(past).await.status, StatusCode::NOT_FOUND, "{past}");
    }
    let none = site.get("/search?q=nothingatall").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(
        text_of(&none.html(), ".search-summary")
            .unwrap()
            .starts_with("No reviews match")
    );
    for empty in ["/search", "/search?q=", "/search?q=&page=7"] {
        let form = site.get(empty).await;
        assert_eq!(form.status, StatusCode::OK, "{empty}");
        assert!(
            attr_of(&form.html(), "#search-q", "name").is_some(),
            "{empty}"
        );
    }
}

/// The slugs `/search?q=zeppelin` lists, on every page.
async fn found(site: &TestSite) -> Vec<String> {
    every_film(site, "/search?q=zeppelin")
        .await
        .into_iter()
        .map(|film| film.trim_start_matches("Film ").to_string())
        .collect()
}

/// The films (titles without the year) a search lists on all its pages,
/// followed until the page past the last, which is not found.
async fn every_film(site: &TestSite, path: &str) -> Vec<String> {
    let mut films = Vec::new();
    for page in 1.. {
        let response = site.get(&format!("{path}&page={page}")).await;
        if response.status == StatusCode::NOT_FOUND {
            assert!(page > 1, "{path}");
            break;
        }
        let shown = texts_of(&response.html(), ".search-result .card-film");
        if shown.is_empty() {
            break;
        }
        films.extend(
            shown
                .into_iter()
                .map(|film| film.split(" (").next().unwrap().to_string()),
        );
    }
    films
}

#[tokio::test]
async fn drafts_scheduled_and_deleted_reviews_are_never_found() {
    let entries = catalogue(30);
    let site = catalogue_site(&entries).await;
    let shown = found(&site).await;
    for entry in entries.iter().filter(|entry| entry.zeppelin) {
        assert_eq!(
            shown.contains(&entry.slug),
            !entry.draft && !entry.scheduled,
            "{entry:?}"
        );
    }
    // Once its time comes, a scheduled review is found, by itself.
    site.clock.set(datetime!(2027-01-02 00:00 UTC));
    site.site
        .state
        .cache
        .invalidate(&marquee::db::changes::Changes::everything());
    let later = found(&site).await;
    let scheduled = entries
        .iter()
        .find(|entry| entry.scheduled && entry.zeppelin && !entry.draft)
        .unwrap();
    assert!(later.contains(&scheduled.slug));
    site.clock.set(NOW);
    // A deleted review is gone from search with its page.
    let gone = entries
        .iter()
        .find(|entry| entry.zeppelin && !entry.draft && !entry.scheduled)
        .unwrap();
    site.remove(&format!("reviews/{}.md", gone.slug));
    site.sync_everything().await;
    assert!(!found(&site).await.contains(&gone.slug));
    // A draft published by a save is found; one drafted again is not.
    let draft = entries
        .iter()
        .find(|entry| entry.draft && entry.zeppelin)
        .unwrap();
    site.write(
        &format!("reviews/{}.md", draft.slug),
        &file(&Entry {
            draft: false,
            ..draft.clone()
        }),
    );
    site.write(
        &format!("reviews/{}.md", scheduled.slug),
        &file(&Entry {
            draft: true,
            scheduled: false,
            ..scheduled.clone()
        }),
    );
    site.sync_everything().await;
    let now = found(&site).await;
    assert!(now.contains(&draft.slug));
    assert!(!now.contains(&scheduled.slug));
}

#[tokio::test]
async fn a_saved_review_is_found_as_soon_as_its_page_is_live() {
    let site = TestSite::build(
        Options {
            watch: true,
            ..Options::default()
        },
        &[],
    )
    .await;
    for n in 0..3 {
        let slug = format!("quokka-{n}");
        site.write(
            &format!("reviews/{slug}.md"),
            &common::review(
                &format!("Quokkas, part {n}"),
                "Quokkas",
                "",
                "A film about quokkas.",
            ),
        );
        eventually(Duration::from_secs(10), "the review's page", || async {
            (site.get(&format!("/reviews/{slug}")).await.status == StatusCode::OK).then_some(())
        })
        .await;
        let html = site.get("/search?q=quokkas").await.html();
        assert_eq!(texts_of(&html, ".search-result").len(), n + 1, "quokka-{n}");
        assert_eq!(text_of(&html, ".search-incomplete"), None);
    }
}

/// What a set of searches shows: for each, the summary, the films in
/// order and the facets.
async fn answers(site: &TestSite) -> Vec<(Option<String>, Vec<String>, Vec<String>)> {
    let mut answers = Vec::new();
    for path in [
        "/search?q=zeppelin",
        "/search?q=zeppelin&page=2",
        "/search?q=zepelin",
        "/search?q=film&tag=heist",
        "/search?q=%22quiet+film%22&decade=1960s",
        "/search?q=about*",
    ] {
        site.site
            .state
            .cache
            .invalidate(&marquee::db::changes::Changes::everything());
        let html = site.get(path).await.html();
        answers.push((
            text_of(&html, ".search-summary"),
            texts_of(&html, ".search-result .card-film"),
            texts_of(&html, ".search-facets li"),
        ));
    }
    answers
}

#[tokio::test]
async fn the_index_rebuilt_from_scratch_gives_the_same_results() {
    let entries = catalogue(45);
    let site = catalogue_site(&entries).await;
    // Live edits: a rating changed, a review removed, one added.
    let edited = &entries[3];
    site.write(
        &format!("reviews/{}.md", edited.slug),
        &file(&Entry {
            halves: 10,
            ..edited.clone()
        }),
    );
    site.remove(&format!("reviews/{}.md", entries[8].slug));
    site.write(
        "reviews/late.md",
        &file(&Entry {
            slug: "late".into(),
            ..entries[1].clone()
        }),
    );
    site.sync_everything().await;
    let live = answers(&site).await;
    assert!(live[0].1.len() == 20, "{live:?}");
    let index = marquee::publish::indexing::index_dir(&site.args.db);
    assert!(index.is_dir(), "the index lives beside the database");
    let site = site
        .restart(|_| std::fs::remove_dir_all(&index).unwrap())
        .await;
    assert_eq!(
        answers(&site).await,
        live,
        "rebuilt after its folder was deleted"
    );
    // An index left beside another database is not taken for its own.
    let kept = site.dir.path().join("kept-index");
    let db = site.args.db.clone();
    let site = site
        .restart(|_| {
            copy_dir(&index, &kept);
            std::fs::remove_file(&db).unwrap();
        })
        .await;
    assert_eq!(
        answers(&site).await,
        live,
        "a new database, its index rebuilt"
    );
    let site = site
        .restart(|_| {
            std::fs::remove_dir_all(&index).unwrap();
            copy_dir(&kept, &index);
        })
        .await;
    assert_eq!(
        answers(&site).await,
        live,
        "another database's index is rebuilt"
    );
    // A damaged index is rebuilt too.
    let site = site
        .restart(|_| {
            for file in std::fs::read_dir(&index).unwrap().flatten() {
                std::fs::write(file.path(), b"not an index").unwrap();
            }
        })
        .await;
    assert_eq!(answers(&site).await, live, "a damaged index is rebuilt");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[tokio::test]
async fn words_past_the_sixteenth_are_left_out_and_the_page_says_so() {
    let site = TestSite::sample().await;
    let words: Vec<String> = (0..20).map(|n| format!("w{n}")).collect();
    let html = site
        .get(&format!("/search?q={}", words.join("+")))
        .await
        .html();
    assert_eq!(
        text_of(&html, ".search-ignored").as_deref(),
        Some("Only the first 16 different words were searched; 4 more were left out.")
    );
    let repeated = site
        .get(&format!("/search?q={}", ["anora"; 20].join("+")))
        .await
        .html();
    assert_eq!(
        text_of(&repeated, ".search-ignored"),
        None,
        "a repeated word counts once"
    );
    assert_eq!(
        texts_of(&repeated, ".search-result .card-film"),
        ["Anora (2024)"]
    );
}

// ---------------------------------------------------------------------------
// Films and lists: named by their titles above the reviews
// ---------------------------------------------------------------------------

/// The links of a "Films" or "Lists" box: (text, href).
fn named(html: &scraper::Html, heading_id: &str) -> Vec<(String, String)> {
    let selector =
        scraper::Selector::parse(&format!("[aria-labelledby='{heading_id}'] li a")).unwrap();
    html.select(&selector)
        .map(|a| {
            let text = a.text().collect::<String>();
            (
                text.split_whitespace().collect::<Vec<_>>().join(" "),
                a.value().attr("href").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_films_title_finds_its_page_and_a_lists_name_finds_the_list() {
    let list = "---
title: Slow cinema for fast times
description: Films that take their time.
ranked: false
published: 2024-12-01
films:
  - { title: Jeanne Dielman, year: 1975 }
---
";
    let hidden = "---
title: Slow drafts
ranked: false
draft: true
published: 2024-12-01
films:
  - { title: Secret Film, year: 2020 }
---
";
    let diary = "entries:\n  - date: 2024-03-01\n    film: { title: Brutal Logic, year: 2019 }\n    rating: 3\n";
    let site = TestSite::build(
        Options::default(),
        &[
            ("lists/slow.md", list),
            ("lists/slow-drafts.md", hidden),
            ("diary/2024.yaml", diary),
        ],
    )
    .await;

    // A reviewed film without its article; a film only in the diary shares
    // the first word; the reviews found are still shown below.
    let html = site.get("/search?q=brutal").await.html();
    assert_eq!(
        named(&html, "search-films"),
        [(
            "Brutal Logic (2019)".to_string(),
            "/film/brutal-logic-2019".to_string()
        ),],
        "films are found by whole words: Brutal Logic, not The Brutalist"
    );
    let html = site.get("/search?q=brutalist").await.html();
    assert_eq!(
        named(&html, "search-films"),
        [(
            "The Brutalist (2024)".to_string(),
            "/film/the-brutalist-2024".to_string()
        )]
    );
    assert!(
        texts_of(&html, ".search-result .card-film")
            .iter()
            .any(|film| film.starts_with("The Brutalist")),
        "the review is found as well"
    );

    // A film only on a list, by its title's first words, case and accents
    // aside; a list by a word of its description and an unfinished word.
    let html = site.get("/search?q=jeanne").await.html();
    assert_eq!(
        named(&html, "search-films"),
        [(
            "Jeanne Dielman (1975)".to_string(),
            "/film/jeanne-dielman-1975".to_string()
        )]
    );
    let html = site.get("/search?q=take+the").await.html();
    assert_eq!(
        named(&html, "search-lists"),
        [(
            "Slow cinema for fast times".to_string(),
            "/lists/slow".to_string()
        )]
    );
    assert_eq!(
        text_of(&html, "[aria-labelledby='search-lists'] li .facet-count").as_deref(),
        Some("1 film")
    );

    // A draft list and its films are not named; nor is anything on a later
    // page or a filtered search.
    let html = site.get("/search?q=slow").await.html();
    assert_eq!(
        named(&html, "search-lists"),
        [(
            "Slow cinema for fast times".to_string(),
            "/lists/slow".to_string()
        )]
    );
    let html = site.get("/search?q=secret").await.html();
    assert_eq!(named(&html, "search-films"), Vec::<(String, String)>::new());
    let html = site.get("/search?q=brutalist&rating=1").await.html();
    assert_eq!(named(&html, "search-films"), Vec::<(String, String)>::new());

    // A typo corrected for the reviews is corrected for the films too.
    let html = site.get("/search?q=brutalst").await.html();
    assert_eq!(
        named(&html, "search-films"),
        [(
            "The Brutalist (2024)".to_string(),
            "/film/the-brutalist-2024".to_string()
        )]
    );
}
