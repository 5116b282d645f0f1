//! Search snippets, built in Rust for the rows a page shows.
//!
//! FTS5's `snippet()` tokenizes every column of every row it is asked for
//! (the ~9 KB body even when the match is in the title) and then the best
//! column again: ~0.6 ms of SQLite's time for a page of twenty. Here only
//! the body is read, once, and the query's terms are compared with its
//! words as the index sees them (`unicode61 remove_diacritics 2`): a word
//! is a run of letters and digits, compared case-insensitively with Latin
//! diacritics folded.

use super::{HIT_END, HIT_START};

/// Words in a snippet, as many as `snippet(…, 28)` gave.
const WINDOW: usize = 28;
/// Words of context kept before the first hit of the window.
const LEAD: usize = 6;
/// Words read before looking for a window: most hits are early.
const FIRST_READ: usize = 256;

/// One term of a query, folded as the index folds: a word, or a phrase of
/// consecutive words. With `prefix`, the last word matches any word that
/// begins with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) words: Vec<String>,
    pub(crate) prefix: bool,
}

impl Term {
    pub(crate) fn new(words: &[&str], prefix: bool) -> Self {
        Self {
            words: words
                .iter()
                .map(|word| word.chars().flat_map(fold).collect())
                .collect(),
            prefix,
        }
    }
}

/// A snippet of `body`: about 28 words around the earliest stretch that
/// holds every term the body has (or, when no stretch holds them all, the
/// one with the most distinct terms, then the most hits), each hit between
/// `HIT_START` and `HIT_END`, with "…" where the body is cut. When no term
/// is in the body (the match is in the title, film, director or tags), the
/// body's opening words.
///
/// A word found in most reviews is usually near the start of each: the
/// body is read a stretch at a time, and the rest is never split into
/// words once a window with every term has been found in what was read.
pub(crate) fn snippet(body: &str, terms: &[Term]) -> String {
    snippet_reading(body, terms, FIRST_READ)
}

/// [`snippet`], reading `first_read` words first.
fn snippet_reading(body: &str, terms: &[Term], first_read: usize) -> String {
    let wanted = terms
        .iter()
        .enumerate()
        .filter(|(_, term)| {
            term.words
                .first()
                .is_some_and(|word| may_contain(body, word, term.prefix && term.words.len() == 1))
        })
        .fold(0u32, |mask, (index, _)| mask | 1 << (index % 32));
    let mut limit = if wanted == 0 {
        WINDOW + 1
    } else {
        first_read.max(1)
    };
    let (words, hits, (start, end)) = loop {
        let words = words(body, limit);
        let hits = hits(body, &words, terms);
        let whole = words.len() < limit;
        let found = window(&hits, words.len(), wanted);
        // A window that reaches the end of what was read may be cut or
        // moved by it; one that ends before it is the whole body's.
        if whole || wanted == 0 || (found.2 && found.1 < words.len()) {
            break (words, hits, (found.0, found.1));
        }
        // Each term in `wanted` has its first word in the body as a word
        // (for ASCII text), so a window that holds them all is further in,
        // or there is none and the best one is wanted: read the rest at
        // once rather than in growing stretches, each split into words
        // again from the start.
        limit = usize::MAX;
    };
    if words.is_empty() {
        return String::new();
    }
    let from = if start == 0 { 0 } else { words[start].0 };
    let to = if end == words.len() {
        body.len()
    } else {
        words[end - 1].1
    };
    let mut out = String::with_capacity(to - from + 16);
    if start > 0 {
        out.push('…');
    }
    let mut at = from;
    for (hit_from, hit_to) in highlights(&hits, &words, start, end) {
        push_text(&mut out, &body[at..hit_from]);
        out.push(HIT_START);
        push_text(&mut out, &body[hit_from..hit_to]);
        out.push(HIT_END);
        at = hit_to;
    }
    push_text(&mut out, &body[at..to]);
    if end < words.len() {
        out.push('…');
    }
    out
}

/// A place where a term matched: words `first..end`, for term `term`.
#[derive(Debug, Clone, Copy)]
struct Hit {
    first: usize,
    end: usize,
    term: usize,
}

/// Whether `text` may hold the folded `word` as a word of its own (with
/// `prefix`, as the beginning of one): false only when it certainly does
/// not, which spares splitting a body that a term is not in (it matched the
/// title, film, director or tags) or is in only inside longer words ("noir"
/// in "noirish"), where no window would ever hold every term and the whole
/// body would be read. Settled for ASCII text with a vectorised search for
/// the word's first letter in either case.
fn may_contain(text: &str, word: &str, prefix: bool) -> bool {
    if !text.is_ascii() {
        return true;
    }
    // Folded from ASCII text, a word is ASCII.
    let (text, word) = (text.as_bytes(), word.as_bytes());
    let Some(&first) = word.first() else {
        return true;
    };
    let apart = |at: Option<usize>| {
        at.and_then(|at| text.get(at))
            .is_none_or(|byte| !byte.is_ascii_alphanumeric())
    };
    word.is_ascii()
        && memchr::memchr2_iter(first, first.to_ascii_uppercase(), text).any(|at| {
            text.get(at..at + word.len())
                .is_some_and(|candidate| candidate.eq_ignore_ascii_case(word))
                && apart(at.checked_sub(1))
                && (prefix || apart(Some(at + word.len())))
        })
}

/// The byte ranges of the first `limit` words of `text`. Bodies are mostly
/// ASCII, read here a byte at a time; other characters are decoded.
fn words(text: &str, limit: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut words = Vec::with_capacity((bytes.len() / 6).min(limit));
    let mut start = None;
    let mut at = 0;
    while at < bytes.len() && words.len() < limit {
        let (in_word, len) = if bytes[at].is_ascii() {
            (bytes[at].is_ascii_alphanumeric(), 1)
        } else {
            let c = text[at..].chars().next().unwrap_or(' ');
            (c.is_alphanumeric(), c.len_utf8())
        };
        match (in_word, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push((from, at));
                start = None;
            }
            _ => {}
        }
        at += len;
    }
    if let Some(from) = start
        && words.len() < limit
    {
        words.push((from, text.len()));
    }
    words
}

/// Every match of every term, in the order of the text.
fn hits(text: &str, words: &[(usize, usize)], terms: &[Term]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for first in 0..words.len() {
        for (index, term) in terms.iter().enumerate() {
            let count = term.words.len();
            let Some(span) = words
                .get(first..first + count)
                .filter(|span| !span.is_empty())
            else {
                continue;
            };
            let matched =
                span.iter()
                    .zip(&term.words)
                    .enumerate()
                    .all(|(k, (&(from, to), word))| {
                        matches(&text[from..to], word, term.prefix && k + 1 == count)
                    });
            if matched {
                hits.push(Hit {
                    first,
                    end: first + count,
                    term: index,
                });
            }
        }
    }
    hits
}

/// Whether a word of the text is `folded` (or begins with it). Most words
/// differ at their first letter, and most are ASCII: both are settled
/// without folding character by character.
fn matches(word: &str, folded: &str, prefix: bool) -> bool {
    let (text, term) = (word.as_bytes(), folded.as_bytes());
    if let (Some(first), Some(wanted)) = (text.first(), term.first())
        && first.is_ascii()
        && wanted.is_ascii()
        && first.to_ascii_lowercase() != *wanted
    {
        return false;
    }
    if text.is_ascii() {
        // A folded term with other letters cannot match ASCII text.
        return term.is_ascii()
            && if prefix {
                text.len() >= term.len() && text[..term.len()].eq_ignore_ascii_case(term)
            } else {
                text.eq_ignore_ascii_case(term)
            };
    }
    let mut letters = word.chars().flat_map(fold);
    folded
        .chars()
        .all(|expected| letters.next() == Some(expected))
        && (prefix || letters.next().is_none())
}

/// The words to show, `start..end`, and whether they hold every `wanted`
/// term: the earliest window that does, else the window with the most
/// distinct terms, then the most hits, the earliest on a tie; the opening
/// words when nothing matched.
fn window(hits: &[Hit], word_count: usize, wanted: u32) -> (usize, usize, bool) {
    let latest_start = word_count.saturating_sub(WINDOW);
    let mut best = (0, 0, 0);
    for hit in hits {
        let start = hit.first.saturating_sub(LEAD).min(latest_start);
        let end = (start + WINDOW).min(word_count);
        let (mut terms, mut count) = (0u32, 0usize);
        let inside = hits.partition_point(|other| other.first < start);
        for other in hits[inside..].iter().take_while(|other| other.first < end) {
            if other.end <= end {
                terms |= 1 << (other.term % 32);
                count += 1;
            }
        }
        if terms & wanted == wanted {
            return (start, end, true);
        }
        let score = (terms.count_ones() as usize, count);
        if score > (best.1, best.2) {
            best = (start, score.0, score.1);
        }
    }
    (best.0, (best.0 + WINDOW).min(word_count), false)
}

/// The byte ranges to mark between words `start..end`, overlapping hits
/// (a word and a phrase that contains it) merged into one.
fn highlights(
    hits: &[Hit],
    words: &[(usize, usize)],
    start: usize,
    end: usize,
) -> Vec<(usize, usize)> {
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for hit in hits
        .iter()
        .filter(|hit| hit.first >= start && hit.end <= end)
    {
        let (from, to) = (words[hit.first].0, words[hit.end - 1].1);
        match marks.last_mut() {
            Some(last) if from < last.1 => last.1 = last.1.max(to),
            _ => marks.push((from, to)),
        }
    }
    marks
}

/// Appends text, leaving out any hit marker it happens to hold, so that
/// only the marks put here split the snippet. A line break, which ends a
/// block in a body's text, reads as a space: a snippet is one run of text.
fn push_text(out: &mut String, text: &str) {
    out.extend(
        text.chars()
            .filter(|&c| c != HIT_START && c != HIT_END)
            .map(|c| if c == '\n' { ' ' } else { c }),
    );
}

/// A character as the index compares it: lower case, and a Latin letter
/// without its diacritics (`É` is `e`). Letters that are not a base letter
/// plus marks, such as `ß` or `æ`, stay as they are, as in FTS5.
fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().map(|lower| {
        let latin = matches!(lower, '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}');
        if !latin {
            return lower;
        }
        match deunicode::deunicode_char(lower).map(str::as_bytes) {
            Some(&[base]) if base.is_ascii_lowercase() => char::from(base),
            _ => lower,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet with `[` and `]` for the hit markers.
    fn shown(body: &str, terms: &[Term]) -> String {
        snippet(body, terms)
            .replace(HIT_START, "[")
            .replace(HIT_END, "]")
    }

    fn word(text: &str) -> Term {
        Term::new(&[text], false)
    }

    /// `count` numbered words: "w0 w1 w2 …".
    fn numbered(count: usize) -> String {
        (0..count)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_hit_in_the_middle_is_shown_with_words_around_it_and_cuts_marked() {
        let body = format!("{} target {}.", numbered(100), numbered(100));
        let shown = shown(&body, &[word("target")]);
        assert_eq!(
            shown,
            "…w94 w95 w96 w97 w98 w99 [target] w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 \
             w11 w12 w13 w14 w15 w16 w17 w18 w19 w20…"
        );
        assert_eq!(shown.split_whitespace().count(), WINDOW);
    }

    #[test]
    fn a_hit_at_the_start_keeps_the_opening_text() {
        let body = format!("“Target” first. {}", numbered(50));
        let shown = shown(&body, &[word("target")]);
        assert!(shown.starts_with("“[Target]” first. w0 w1"), "{shown}");
        assert!(shown.ends_with("w25…"), "{shown}");
    }

    #[test]
    fn a_hit_at_the_end_shows_the_last_words_and_the_final_stop() {
        let body = format!("{} the target.", numbered(60));
        let shown = shown(&body, &[word("target")]);
        assert!(shown.starts_with("…w34 "), "{shown}");
        assert!(shown.ends_with("the [target]."), "{shown}");
    }

    #[test]
    fn a_prefix_term_matches_the_beginnings_of_words_only() {
        let terms = [Term::new(&["anor"], true)];
        assert_eq!(
            shown("Anora, anorak, and a manor.", &terms),
            "[Anora], [anorak], and a manor."
        );
        let exact = [word("anor")];
        assert_eq!(shown("Anora.", &exact), "Anora.");
    }

    #[test]
    fn a_phrase_matches_consecutive_words_as_one_mark() {
        let terms = [Term::new(&["Big", "Apple"], false)];
        assert_eq!(
            shown("A big day, an apple, then the Big Apple.", &terms),
            "A big day, an apple, then the [Big Apple]."
        );
        let prefix_phrase = [Term::new(&["big", "app"], true)];
        assert_eq!(shown("the big apples", &prefix_phrase), "the [big apples]");
    }

    #[test]
    fn case_and_diacritics_are_folded_both_ways() {
        assert_eq!(
            shown("Pedro Almodóvar and ALMODOVAR.", &[word("almodovar")]),
            "Pedro [Almodóvar] and [ALMODOVAR]."
        );
        assert_eq!(
            shown("Amélie, amelie.", &[word("AMÉLIE")]),
            "[Amélie], [amelie]."
        );
        assert_eq!(shown("Straße", &[word("strasse")]), "Straße");
    }

    #[test]
    fn without_a_hit_in_the_body_the_opening_words_are_shown() {
        let body = numbered(40);
        let shown = shown(&body, &[word("elsewhere")]);
        assert_eq!(shown, format!("{}…", numbered(WINDOW)));
    }

    #[test]
    fn the_window_with_the_most_distinct_terms_wins() {
        let body = format!("baker {} sean baker {}", numbered(60), numbered(60));
        let shown = shown(&body, &[word("sean"), word("baker")]);
        assert!(shown.contains("[sean] [baker]"), "{shown}");
        assert!(shown.starts_with("…w54"), "{shown}");
    }

    #[test]
    fn the_earliest_window_with_every_term_wins_over_later_ones_with_more_hits() {
        let body = format!(
            "{} sean baker {} baker sean baker sean {}",
            numbered(40),
            numbered(60),
            numbered(40)
        );
        let shown = shown(&body, &[word("sean"), word("baker")]);
        assert!(shown.starts_with("…w34 "), "{shown}");
        assert_eq!(shown.matches('[').count(), 2, "{shown}");
    }

    #[test]
    fn hits_far_into_a_long_body_are_found_and_cut_the_same_way() {
        for before in [FIRST_READ - 3, FIRST_READ * 2, FIRST_READ * 20] {
            let body = format!("{} target {}.", numbered(before), numbered(100));
            let shown = shown(&body, &[word("target")]);
            let expected_start = format!("…w{} ", before - LEAD);
            assert!(shown.starts_with(&expected_start), "{before}: {shown}");
            assert!(shown.ends_with("w20…"), "{before}: {shown}");
        }
        // A body whose only hit is the last word shows its final words.
        let body = format!("{} target", numbered(FIRST_READ * 3));
        let shown = shown(&body, &[word("target")]);
        assert!(shown.ends_with("[target]"), "{shown}");
        assert_eq!(shown.split_whitespace().count(), WINDOW, "{shown}");
    }

    #[test]
    fn multibyte_text_is_cut_at_word_boundaries() {
        let body = format!("{} 東京物語 — 小津 {}", "évé ".repeat(40), "ñ ".repeat(40));
        let shown = shown(&body, &[word("小津")]);
        assert!(shown.contains("東京物語 — [小津] ñ"), "{shown}");
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    }

    #[test]
    fn the_quick_test_for_absent_terms_never_misses_a_word() {
        assert!(may_contain("Some HARBOUR here", "harbour", false));
        assert!(may_contain("harbour", "harbour", false));
        assert!(may_contain("(harbour)", "harbour", false));
        assert!(may_contain("harbours and harbour.", "harbour", false));
        assert!(!may_contain("harbours", "harbour", false));
        assert!(!may_contain("noirish", "noir", false));
        assert!(!may_contain("film-noirish", "noir", false));
        assert!(!may_contain("2harbour", "harbour", false));
        assert!(may_contain("harbours", "harbour", true), "a prefix");
        assert!(!may_contain("sharbours", "harbour", true));
        assert!(!may_contain("Harbou", "harbour", false));
        assert!(!may_contain("nothing here", "東京", false));
        assert!(
            may_contain("Amélie", "amelie", false),
            "non-ASCII text is tokenized"
        );
        // Cut short, the opening words still end with an ellipsis.
        let body = format!("{}.", numbered(WINDOW + 1));
        assert_eq!(
            shown(&body, &[word("absent")]),
            format!("{}…", numbered(WINDOW))
        );
        let body = format!("{}.", numbered(WINDOW));
        assert_eq!(shown(&body, &[word("absent")]), body);
    }

    #[test]
    fn a_term_without_words_matches_nothing() {
        let empty = Term {
            words: Vec::new(),
            prefix: true,
        };
        assert_eq!(shown("Some words.", &[empty]), "Some words.");
    }

    proptest::proptest! {
        #[test]
        fn any_body_and_query_give_a_marked_stretch_of_the_body(
            body in "((anora|Anóra|big|Apple|東京|\\PC)[ .,\u{E000}]?){0,80}",
            query in "(anora|anor\\*|\"big apple\"|APPLE|東京|\\PC| ){0,6}",
        ) {
            let terms: Vec<Term> = query
                .split_whitespace()
                .map(|chunk| {
                    let words: Vec<&str> = chunk
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|word| !word.is_empty())
                        .collect();
                    Term::new(&words, chunk.ends_with('*'))
                })
                .filter(|term| !term.words.is_empty())
                .collect();
            let shown = snippet(&body, &terms);
            // Read a few words at a time or all at once, the snippet is the same.
            for first_read in [1, 3, 8, 30] {
                proptest::prop_assert_eq!(&snippet_reading(&body, &terms, first_read), &shown);
            }
            proptest::prop_assert_eq!(
                shown.matches(HIT_START).count(),
                shown.matches(HIT_END).count()
            );
            let unmarked: String = shown.chars().filter(|&c| c != HIT_START && c != HIT_END).collect();
            let inner = unmarked.strip_prefix('…').unwrap_or(&unmarked);
            let inner = inner.strip_suffix('…').unwrap_or(inner);
            let body: String = body.chars().filter(|&c| c != HIT_START && c != HIT_END).collect();
            proptest::prop_assert!(body.contains(inner), "{shown:?} from {body:?}");
        }
    }

    #[test]
    fn blocks_of_the_body_are_joined_by_spaces() {
        let body = "The first half\nAdrien Brody plays.\nEnsemble\nFamily";
        assert_eq!(
            shown(body, &[word("adrien")]),
            "The first half [Adrien] Brody plays. Ensemble Family"
        );
    }

    #[test]
    fn an_empty_body_gives_an_empty_snippet() {
        assert_eq!(snippet("", &[word("anything")]), "");
        assert_eq!(snippet(" — ", &[word("anything")]), "");
    }

    #[test]
    fn markers_in_the_text_cannot_forge_a_hit() {
        let body = format!("a {HIT_START}fake{HIT_END} hit");
        assert_eq!(shown(&body, &[word("hit")]), "a fake [hit]");
    }
}
