//! Typo tolerance: a word the index does not hold is corrected to the
//! closest word it does, the most frequent among equally close ones.
//! Meilisearch's rule of thumb says how close: words of 5 to 8 letters may
//! have one typo, words of 9 or more two (a swap of two letters is one);
//! shorter words and anything with a digit (a year) are taken as typed.

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::SearchError;

/// How many typos a word of this many letters may have.
pub(crate) fn allowed(word: &str) -> u8 {
    if !word.chars().all(char::is_alphabetic) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The closest word to `word` that the index holds in any of `fields`,
/// within the typos `allowed` gives; among equally close ones, the one in
/// the most reviews (then the first alphabetically, so that the choice
/// never depends on the order segments are read in). Counts `lookups`:
/// one per field and segment whose dictionary was searched.
pub(crate) fn correct(
    searcher: &Searcher,
    fields: &[Field],
    word: &str,
    lookups: &mut usize,
) -> Result<Option<String>, SearchError> {
    let typos = allowed(word);
    if typos == 0 {
        return Ok(None);
    }
    // Summed over fields and segments: a word in the body and the title of
    // one review counts twice, which only favours words readers see most.
    let mut found: HashMap<String, u64> = HashMap::new();
    for &field in fields {
        let automaton = FuzzyTermQuery::new(Term::from_field_text(field, word), typos, true)
            .automaton()
            .map_err(SearchError::Engine)?;
        for segment in searcher.segment_readers() {
            *lookups += 1;
            let index = segment.inverted_index(field)?;
            let mut stream = index.terms().search(&automaton).into_stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    *found.entry(term.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .filter(|(term, _)| term != word)
        .min_by(|(a, a_count), (b, b_count)| {
            strsim::osa_distance(word, a)
                .cmp(&strsim::osa_distance(word, b))
                .then(b_count.cmp(a_count))
                .then(a.cmp(b))
        })
        .map(|(term, _)| term))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_words_may_have_more_typos() {
        assert_eq!(allowed("film"), 0);
        assert_eq!(allowed("anora"), 1);
        assert_eq!(allowed("brutalst"), 1);
        assert_eq!(allowed("cinematgraphy"), 2);
        assert_eq!(allowed("2016"), 0);
        assert_eq!(allowed("room237"), 0);
    }
}
