//! What a reader typed, read as terms. Readers type anything: quotes,
//! stars, a lone `-`, the same word sixteen times. Nothing of it is syntax
//! to the engine: `"two words"` is a phrase, a trailing `*` after two or
//! more letters asks for words that begin so, and every other run of
//! letters and digits is a word. Terms are deduplicated and at most
//! `MAX_TERMS` are searched, so that no query costs more than a bounded
//! number of lookups.

use tantivy::tokenizer::TextAnalyzer;

use super::schema;

/// At most this many distinct terms are searched; more are ignored, and
/// the page says so.
pub const MAX_TERMS: usize = 16;

/// One term of a query: a word, a phrase of consecutive words, or (with
/// `prefix`) the beginning of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// The words as the index has them (lower case, Latin letters folded).
    pub words: Vec<String>,
    /// The last word matches any word that begins with it.
    pub prefix: bool,
}

impl QueryTerm {
    /// The term as a reader would type it again.
    pub(crate) fn display(&self) -> String {
        let joined = self.words.join(" ");
        match (self.words.len() > 1, self.prefix) {
            (true, _) => format!("\"{joined}\""),
            (false, true) => format!("{joined}*"),
            (false, false) => joined,
        }
    }
}

/// A query read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// Distinct terms, in the order typed, at most `MAX_TERMS`.
    pub(crate) terms: Vec<QueryTerm>,
    /// Distinct terms left out beyond `MAX_TERMS`.
    pub(crate) ignored: usize,
}

/// Reads `input` as terms (see the module's comment).
pub(crate) fn parse(input: &str, analyzer: &mut TextAnalyzer) -> Parsed {
    let mut parsed = Parsed {
        terms: Vec::new(),
        ignored: 0,
    };
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let (phrase, remainder) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            parsed.push(schema::words(analyzer, phrase), false);
            rest = remainder.trim_start();
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let stem = word.trim_end_matches('*');
        let prefix = stem.len() < word.len() && stem.chars().count() >= 2;
        parsed.push(schema::words(analyzer, word), prefix);
        rest = rest[end..].trim_start();
    }
    parsed
}

impl Parsed {
    /// Adds a term unless it is empty or already there; counts it as
    /// ignored past the limit.
    fn push(&mut self, words: Vec<String>, prefix: bool) {
        if words.is_empty() {
            return;
        }
        // A prefix applies to a single word; `don't*` is the phrase "don t".
        let term = QueryTerm {
            prefix: prefix && words.len() == 1,
            words,
        };
        if self.terms.contains(&term) {
            return;
        }
        if self.terms.len() >= MAX_TERMS {
            self.ignored += 1;
        } else {
            self.terms.push(term);
        }
    }

    /// The terms as a reader would type them.
    pub(crate) fn display(&self) -> String {
        self.terms
            .iter()
            .map(QueryTerm::display)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(input: &str) -> Parsed {
        parse(input, &mut schema::analyzer())
    }

    fn term(words: &[&str], prefix: bool) -> QueryTerm {
        QueryTerm {
            words: words.iter().map(|word| (*word).to_string()).collect(),
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_prefixes_are_folded() {
        assert_eq!(
            parse_str("\"Big Apple\" Almodóvar anor*").terms,
            [
                term(&["big", "apple"], false),
                term(&["almodovar"], false),
                term(&["anor"], true),
            ]
        );
    }

    #[test]
    fn syntax_characters_are_only_separators() {
        assert_eq!(
            parse_str("NEAR(a b) -x col:y").terms,
            [
                term(&["near", "a"], false),
                term(&["b"], false),
                term(&["x"], false),
                term(&["col", "y"], false),
            ]
        );
        assert_eq!(
            parse_str("\"unbalanced").terms,
            [term(&["unbalanced"], false)]
        );
        assert_eq!(parse_str("a*").terms, [term(&["a"], false)]);
        assert!(parse_str("  \"\" ** -- * ").terms.is_empty());
    }

    #[test]
    fn repeated_terms_count_once_and_the_limit_ignores_the_rest() {
        let repeated = parse_str(&["the"; 16].join(" "));
        assert_eq!((repeated.terms.len(), repeated.ignored), (1, 0));
        let words: Vec<String> = (0..20).map(|n| format!("word{n}")).collect();
        let many = parse_str(&words.join(" "));
        assert_eq!((many.terms.len(), many.ignored), (MAX_TERMS, 4));
        assert_eq!(many.terms[15], term(&["word15"], false));
    }

    #[test]
    fn a_query_reads_back_as_typed() {
        assert_eq!(
            parse_str("\"Big  Apple\" anor* Perfct").display(),
            "\"big apple\" anor* perfct"
        );
    }
}
