//! Search as readers use it, through `/search` on a real site.

mod common;

use common::{Options, TestSite, review, text_of, texts_of};

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
