//! What serde and libyaml say, turned into sentences an editor can act on.
//!
//! Their messages are written for programmers: "invalid type: string
//! \"ten\", expected f64", "mapping values are not allowed in this context",
//! a field name said twice. An editor needs to know what to write instead,
//! so each message names the field once and ends with what would be right.

/// What belongs in a field, by its dotted path with list positions removed
/// (`release_dates.date`). Reviews, pages and `site.toml` share the names
/// they have in common (`title`, `slug`, `draft`), so the words fit each.
pub(crate) fn what_to_write(field: &str) -> Option<&'static str> {
    Some(match field {
        "title" => "a title in words, such as An anti-Fairytale of New York",
        "film" => {
            "the film's details on the lines below it, indented with spaces: title, year, director, runtime, poster, poster_width, poster_height, tmdb, imdb"
        }
        "film.title" => "the film's title, such as Anora",
        "film.year" => "the film's year, such as 2024",
        "film.director" => "the director's name, such as Sean Baker",
        "film.runtime" => "the running time in whole minutes, such as 138",
        "film.poster" => "an image path or URL, such as posters/anora.jpg",
        "film.poster_width" | "film.poster_height" => {
            "the poster's size in whole pixels, such as poster_width: 500 and poster_height: 750"
        }
        "film.tmdb" | "entries.film.tmdb" | "films.tmdb" => {
            "the number from the film's TMDB address, such as 1064213"
        }
        "film.imdb" | "entries.film.imdb" | "films.imdb" => {
            "`tt` and the digits from the film's IMDb address, such as tt28607951"
        }
        "entries.film.title" | "films.title" => "the film's title, such as Anora",
        "entries.film.year" | "films.year" => "the film's year, such as 2024",
        "entries" => {
            "a list with a line `- date: 2024-10-18` for each film watched, its fields lined up below"
        }
        "entries.date" => "the day you watched it, such as 2024-10-18",
        "entries.film" => "the film's title and year on the lines below it: title, year",
        "entries.rating" => "a rating from 0.5 to 5 in steps of 0.5, such as 4.5",
        "entries.rewatch" | "entries.liked" | "ranked" => "true or false",
        "entries.note" | "films.note" => "a line or two of text",
        "entries.review" => "the slug of a review, such as anora",
        "films" => "a list with a line `- title: Anora` for each film, `year: 2024` below it",
        "rating" => "a rating from 0.5 to 5 in steps of 0.5, such as 4.5",
        "spoilers" | "draft" | "menu" => "true or false",
        "published" => "a date such as 2024-10-18, or a date-time such as 2024-10-18T09:00:00Z",
        "updated" => "a date such as 2024-12-03, or a date-time such as 2024-12-03T09:00:00Z",
        "release_dates" => {
            "a list with a line `- region: UK` for each region and `date: 2024-11-01` below it, lined up with `region`"
        }
        "release_dates.region" => "a region, such as UK",
        "release_dates.date" => "a date such as 2024-11-01",
        "tags" => "a list of tags, such as [Drama, New York]",
        "summary" | "description" | "tagline" => "a sentence of text",
        "slug" => "lower-case letters, digits and hyphens, such as anora",
        "author" => "a name, such as Sean Baker",
        "watched" => "the day you watched the film, such as 2024-10-18",
        "weight" => "a whole number; lower numbers come first in the menu",
        "base_url" => "an address such as https://films.example.com",
        "language" => "a language tag such as en-GB",
        "feed_items" => "a whole number from 1 to 500",
        "per_page" => "a whole number from 1 to 200",
        "embed_hosts" => "a list of host names, such as [\"player.vimeo.com\"]",
        _ => return None,
    })
}

/// "is empty; write the film's title, such as Anora": for a required
/// field left blank.
pub(crate) fn empty(field: &str) -> String {
    let what = what_to_write(&without_positions(field)).unwrap_or("a value");
    format!("is empty; write {what}")
}

/// A field path without list positions: `release_dates[1].date` →
/// `release_dates.date`.
fn without_positions(field: &str) -> String {
    let mut plain = String::with_capacity(field.len());
    let mut in_brackets = false;
    for c in field.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            _ if !in_brackets => plain.push(c),
            _ => {}
        }
    }
    plain
}

/// What a field should hold, from the table above, or else from the type
/// serde expected (`f64` → "a number").
fn expected(field: &str, serde_expected: &str) -> String {
    if let Some(what) = what_to_write(&without_positions(field)) {
        return what.to_string();
    }
    match serde_expected {
        "f32" | "f64" => "a number".into(),
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "a boolean" => "true or false".into(),
        "a string" => "text".into(),
        "a sequence" => "a list, such as [a, b]".into(),
        other if other.starts_with("struct ") => "fields on the lines below it, indented".into(),
        other => other.into(),
    }
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// Every name between backticks in a message, in order.
fn quoted_names(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// Rewrites a serde message about `field` (a dotted path); returns the field
/// it is really about (a missing field's own path) and the sentence.
pub(crate) fn explain(field: &str, message: &str) -> (String, String) {
    let message = without_field_prefix(field, message);
    if message.starts_with("unknown field `") {
        let names = quoted_names(message);
        if let Some((unknown, valid)) = names.split_first() {
            return (field.to_string(), unknown_field(unknown, valid));
        }
    }
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = join(field, missing);
        let what = what_to_write(&without_positions(&field)).unwrap_or("a value");
        return (
            field,
            format!("is required but missing; add it with {what}"),
        );
    }
    if let Some(duplicate) = message
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return (
            join(field, duplicate),
            "is written twice; keep one of them".into(),
        );
    }
    let mismatch = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    if let Some((found, wanted)) = mismatch.and_then(|rest| rest.rsplit_once(", expected ")) {
        let what = expected(field, wanted);
        let reason = if found == "unit value" {
            format!("is empty; write {what}")
        } else {
            format!("found {found}; write {what}")
        };
        return (field.to_string(), reason);
    }
    (field.to_string(), message.to_string())
}

/// serde_norway starts its messages with the path of the value
/// (`film.year: invalid type ...`), and we name the field ourselves.
fn without_field_prefix<'m>(field: &str, message: &'m str) -> &'m str {
    match message.split_once(": ") {
        Some((prefix, rest))
            if !prefix.is_empty()
                && (field == prefix
                    || field
                        .strip_prefix(prefix)
                        .is_some_and(|tail| tail.starts_with(['.', '[']))) =>
        {
            rest
        }
        _ => message,
    }
}

/// "unknown field `directr`; did you mean `director`?", or the list of the
/// fields that may be written there when none is close.
fn unknown_field(unknown: &str, valid: &[&str]) -> String {
    match closest(unknown, valid) {
        Some(close) => format!("unknown field `{unknown}`; did you mean `{close}`?"),
        None if valid.is_empty() => format!("unknown field `{unknown}`; no fields belong here"),
        None => {
            let list: Vec<String> = valid.iter().map(|name| format!("`{name}`")).collect();
            format!(
                "unknown field `{unknown}`; the fields here are {}",
                list.join(", ")
            )
        }
    }
}

/// The valid name nearest to a misspelling, if it is near enough to be
/// what was meant: a third of its letters wrong at most (at least one), as
/// cargo and rustc judge their own suggestions.
fn closest<'v>(unknown: &str, valid: &[&'v str]) -> Option<&'v str> {
    let unknown = unknown.to_lowercase();
    let limit = (unknown.chars().count() / 3).max(1);
    valid
        .iter()
        .map(|name| (strsim::damerau_levenshtein(&unknown, name), *name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Where a YAML syntax error is best pointed at, and what to say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SyntaxAdvice {
    /// Point at the line where the construct began (an unclosed quote, a
    /// key without a colon) rather than where libyaml gave up.
    pub(crate) at_context: bool,
    pub(crate) reason: String,
}

/// Advice for libyaml's commonest problems: how its problem starts, a word
/// its context must hold (empty: any), whether to point at the line where
/// the context began (an unclosed quote, a key without a colon) rather than
/// where libyaml gave up, and what to say.
const SYNTAX_ADVICE: &[(&str, &str, bool, &str)] = &[
    (
        "found unexpected end of stream",
        "quoted scalar",
        true,
        "this quoted value is never closed; end it with the same quote mark it starts with",
    ),
    (
        "mapping values are not allowed",
        "",
        false,
        "YAML cannot read this line: a value that contains `: ` must be in quotes (title: \"Mission: Impossible\"), and a field must line up with the fields beside it",
    ),
    (
        "did not find expected key",
        "",
        false,
        "this line is not lined up with the fields before it: the fields of one group start in the same column",
    ),
    (
        "did not find expected '-' indicator",
        "",
        false,
        "this line is not lined up with the list item above it: the fields of an item start in the same column, just after `- `",
    ),
    (
        "could not find expected ':'",
        "",
        true,
        "a field needs a colon and a space after its name, such as `director: Sean Baker`",
    ),
    (
        "did not find expected ',' or ']'",
        "",
        true,
        "this list is never closed; end it with `]` on the same line, with commas between its items",
    ),
    (
        "did not find expected ',' or '}'",
        "",
        true,
        "these braces are never closed; end them with `}` on the same line",
    ),
    (
        "found unknown escape character",
        "",
        false,
        "in double quotes a backslash starts an escape; write `\\\\` for a backslash, or use single quotes",
    ),
    (
        "found character that cannot start any token",
        "",
        false,
        "a value cannot start with this character in YAML (such as `@`, `%` or a backtick); put the value in quotes",
    ),
    (
        "block sequence entries are not allowed",
        "",
        false,
        "a list item (`- `) goes on its own line below its field, indented",
    ),
];

/// libyaml's problem and context ("found unexpected end of stream", "while
/// scanning a quoted scalar") as advice.
pub(crate) fn yaml_syntax(problem: &str, context: Option<&str>) -> SyntaxAdvice {
    let context = context.unwrap_or_default();
    match SYNTAX_ADVICE
        .iter()
        .find(|(start, within, ..)| problem.starts_with(start) && context.contains(within))
    {
        Some(&(_, _, at_context, reason)) => SyntaxAdvice {
            at_context,
            reason: reason.to_string(),
        },
        None => SyntaxAdvice {
            at_context: false,
            reason: format!(
                "YAML cannot read this: {problem}; check that fields line up, are indented with spaces, and that values with special characters are in quotes"
            ),
        },
    }
}

/// What to say about a line indented with a tab.
pub(crate) const TAB_INDENT: &str =
    "YAML does not allow tabs for indentation; indent this line with spaces";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_named_once() {
        let (field, reason) = explain(
            "rating",
            "rating: invalid type: string \"ten\", expected f64",
        );
        assert_eq!(field, "rating");
        assert_eq!(
            reason,
            "found string \"ten\"; write a rating from 0.5 to 5 in steps of 0.5, such as 4.5"
        );
        let (_, reason) = explain(
            "release_dates[1].date",
            "release_dates[1].date: invalid type: sequence, expected a string",
        );
        assert_eq!(reason, "found sequence; write a date such as 2024-11-01");
        // A prefix that is not the field's own stays: it is part of the text.
        let (_, reason) = explain("title", "film: something else");
        assert_eq!(reason, "film: something else");
    }

    #[test]
    fn a_misspelt_field_gets_a_suggestion() {
        let (field, reason) = explain(
            "film.directr",
            "film: unknown field `directr`, expected one of `title`, `year`, `director`, `runtime`, `poster`",
        );
        assert_eq!(field, "film.directr");
        assert_eq!(reason, "unknown field `directr`; did you mean `director`?");
        let (_, reason) = explain(
            "ratng",
            "unknown field `ratng`, expected `title` or `rating`",
        );
        assert_eq!(reason, "unknown field `ratng`; did you mean `rating`?");
        let (_, reason) = explain("Title", "unknown field `Title`, expected `title`");
        assert_eq!(reason, "unknown field `Title`; did you mean `title`?");
    }

    #[test]
    fn a_field_near_nothing_lists_the_valid_ones() {
        let (_, reason) = explain(
            "colour",
            "unknown field `colour`, expected one of `title`, `tagline`, `author`",
        );
        assert_eq!(
            reason,
            "unknown field `colour`; the fields here are `title`, `tagline`, `author`"
        );
        let (_, reason) = explain("x", "unknown field `x`, there are no fields");
        assert_eq!(reason, "unknown field `x`; no fields belong here");
    }

    #[test]
    fn missing_empty_and_duplicate_fields_say_what_to_write() {
        let (field, reason) = explain("", "missing field `published`");
        assert_eq!(field, "published");
        assert!(reason.contains("2024-10-18T09:00:00Z"), "{reason}");
        let (field, reason) = explain("release_dates[0]", "release_dates[0]: missing field `date`");
        assert_eq!(field, "release_dates[0].date");
        assert_eq!(
            reason,
            "is required but missing; add it with a date such as 2024-11-01"
        );
        let (field, reason) = explain(
            "title",
            "title: invalid type: unit value, expected a string",
        );
        assert_eq!(field, "title");
        assert_eq!(
            reason,
            "is empty; write a title in words, such as An anti-Fairytale of New York"
        );
        let (field, reason) = explain("", "duplicate field `title`");
        assert_eq!(field, "title");
        assert_eq!(reason, "is written twice; keep one of them");
    }

    #[test]
    fn unknown_types_still_read_as_words() {
        let (_, reason) = explain(
            "x.count",
            "x.count: invalid type: string \"a\", expected u32",
        );
        assert_eq!(reason, "found string \"a\"; write a whole number");
    }

    #[test]
    fn yaml_syntax_errors_become_advice() {
        let advice = yaml_syntax(
            "found unexpected end of stream",
            Some("while scanning a quoted scalar"),
        );
        assert!(advice.at_context);
        assert!(advice.reason.contains("never closed"), "{advice:?}");
        let advice = yaml_syntax("mapping values are not allowed in this context", None);
        assert!(!advice.at_context);
        assert!(advice.reason.contains("in quotes"), "{advice:?}");
        let advice = yaml_syntax("something new", Some("while parsing"));
        assert!(
            advice
                .reason
                .starts_with("YAML cannot read this: something new;"),
            "{advice:?}"
        );
    }
}
