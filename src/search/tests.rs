//! The engine on a handful of reviews in memory.

use super::*;

fn review(id: i64, film: &str, director: &str, body: &str) -> IndexedReview {
    IndexedReview {
        id,
        title: format!("On {film}"),
        film_title: film.to_string(),
        director: Some(director.to_string()),
        tags: vec![("drama".into(), "Drama".into())],
        body: body.to_string(),
        rating: Some(8),
        film_year: Some(2024),
        published: 0,
    }
}

fn index(reviews: Vec<IndexedReview>) -> SearchIndex {
    let index = SearchIndex::in_memory();
    index
        .write(
            reviews
                .into_iter()
                .map(|r| Change::Put(Box::new(r)))
                .collect(),
        )
        .unwrap();
    index.commit("test").unwrap();
    index
}

fn ask(text: &str) -> Request {
    Request {
        text: text.to_string(),
        page: 1,
        per_page: 20,
        ..Request::default()
    }
}

fn sample() -> SearchIndex {
    let mut perfect = review(
        2,
        "Perfect Days",
        "Wim Wenders",
        "Toilets in Tokyo, a quiet routine.",
    );
    perfect.film_year = Some(2023);
    perfect.rating = Some(9);
    perfect.tags = vec![("slow-cinema".into(), "Slow cinema".into())];
    let mut later = review(
        3,
        "Anora Returns",
        "Sean Baker",
        "A sequel nobody has seen.",
    );
    later.published = 1_000;
    index(vec![
        review(
            1,
            "Anora",
            "Sean Baker",
            "A wedding in Brighton Beach, a film about Anora.",
        ),
        perfect,
        later,
        review(
            4,
            "The Brutalist",
            "Brady Corbet",
            "Architecture and a film about anora's era? No.",
        ),
    ])
}

#[test]
fn ranks_a_film_title_above_a_mention_and_skips_what_is_not_published_yet() {
    let found = sample().search(&ask("anora"), 100).unwrap();
    assert_eq!(found.ids, [1, 4]);
    assert_eq!(found.total, 2);
    let later = sample().search(&ask("anora"), 1_000).unwrap();
    assert_eq!(later.total, 3, "the scheduled review once its time comes");
}

#[test]
fn a_year_or_a_surname_alone_finds_the_films() {
    let index = sample();
    assert_eq!(index.search(&ask("2023"), 100).unwrap().ids, [2]);
    assert_eq!(index.search(&ask("wenders"), 100).unwrap().ids, [2]);
    assert_eq!(index.search(&ask("baker"), 100).unwrap().ids, [1]);
}

#[test]
fn a_typo_is_corrected_against_the_index_or_suggested_when_asked_exactly() {
    let index = sample();
    let found = index.search(&ask("anorra"), 100).unwrap();
    assert_eq!(
        found.correction,
        Some(Correction {
            text: "anora".into(),
            applied: true
        })
    );
    assert_eq!(found.ids, [1, 4]);
    assert_eq!(
        found.terms[0].words,
        ["anora"],
        "the snippets mark the corrected word"
    );
    let perfect = index.search(&ask("perfct days"), 100).unwrap();
    assert_eq!(
        (
            perfect.ids.as_slice(),
            perfect.correction.unwrap().text.as_str()
        ),
        ([2].as_slice(), "perfect days")
    );
    let exact = index
        .search(
            &Request {
                exact: true,
                ..ask("anorra")
            },
            100,
        )
        .unwrap();
    assert_eq!(
        (exact.total, exact.correction.map(|c| c.applied)),
        (0, Some(false))
    );
    let short = index.search(&ask("anra"), 100).unwrap();
    assert_eq!(
        (short.total, short.correction),
        (0, None),
        "four letters: no typo allowed"
    );
}

#[test]
fn filters_narrow_and_facets_count_what_each_filter_would_leave() {
    let index = sample();
    let all = index.search(&ask("film"), 100).unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.facets.tags, [("drama".to_string(), 2)]);
    assert_eq!(all.facets.ratings, [(8, 2), (6, 2), (4, 2), (2, 2)]);
    assert_eq!(all.facets.decades, [(2020, 2)]);
    let mut request = ask("a");
    request.filters.tag = Some("slow-cinema".into());
    let slow = index.search(&request, 100).unwrap();
    assert_eq!((slow.ids.as_slice(), slow.total), ([2].as_slice(), 1));
    assert_eq!(
        slow.facets.tags,
        [("drama".to_string(), 2), ("slow-cinema".to_string(), 1)],
        "the tag facet ignores the tag chosen"
    );
    request.filters = Filters {
        rating: Some(9),
        ..Filters::default()
    };
    assert_eq!(index.search(&request, 100).unwrap().ids, [2]);
    request.filters = Filters {
        year: Some(2024),
        ..Filters::default()
    };
    assert_eq!(index.search(&request, 100).unwrap().ids, [1, 4]);
    request.filters = Filters {
        decade: Some(2010),
        ..Filters::default()
    };
    assert_eq!(index.search(&request, 100).unwrap().total, 0);
}

#[test]
fn changes_replace_and_remove_by_id() {
    let index = sample();
    index
        .write(vec![
            Change::Put(Box::new(review(1, "Mikey", "Sean Baker", "Nothing else."))),
            Change::Remove(4),
        ])
        .unwrap();
    index.commit("test").unwrap();
    assert_eq!(index.search(&ask("anora"), 100).unwrap().total, 0);
    assert_eq!(index.search(&ask("mikey"), 100).unwrap().ids, [1]);
    assert_eq!(index.num_docs(), 3);
}

#[test]
fn the_cost_is_bounded_by_the_distinct_terms_searched() {
    let words: Vec<String> = (0..40).map(|n| format!("word{n}")).collect();
    let body = words.join(" ");
    let index = index(
        (1..=50)
            .map(|id| review(id, "Film", "Someone", &body))
            .collect(),
    );
    let work = |text: &str| index.search(&ask(text), 100).unwrap().work;
    let one = work("word0");
    assert_eq!(
        work(&["word0"; 16].join(" ")),
        one,
        "a repeated word is looked up once"
    );
    let two = work("word0 word1");
    let sixteen = work(&words[..16].join(" "));
    let forty = work(&words.join(" "));
    assert_eq!(forty, sixteen, "terms past the sixteenth are ignored");
    assert!(
        sixteen.examined <= two.examined,
        "{sixteen:?} against {two:?}"
    );
    assert!(
        sixteen.lookups <= 8 * two.lookups,
        "{sixteen:?} against {two:?}"
    );
}
