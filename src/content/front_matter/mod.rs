//! Splitting a content file into its front matter and its markdown body, and
//! deserializing the front matter.
//!
//! Like Zola, we accept YAML fenced by `---` and TOML fenced by `+++`. The
//! split is deliberately strict about the fences (they must be the first line
//! and a line of their own) so that a `---` horizontal rule in the body can
//! never be mistaken for the end of the front matter.

mod lines;
mod toml;
mod yaml;

use serde::de::DeserializeOwned;

use super::messages;
use lines::field_at_line;
pub(crate) use lines::line_of_field;
use toml::deserialize_toml;
use yaml::deserialize_yaml;

/// Which language the front matter is written in, chosen by its fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Yaml,
    Toml,
}

/// A content file cut in two.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    pub(crate) format: Format,
    pub(crate) front_matter: &'a str,
    /// 1-based line number of the first line of front matter, so that errors
    /// reported relative to the front matter can be turned into file lines.
    pub(crate) first_line: usize,
    pub(crate) body: &'a str,
}

/// Why a file could not be split. The loader adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SplitError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the file must start with front matter: a line `---` (YAML) or `+++` (TOML), the fields, then the same line again"
    )]
    Missing,
    #[error("the front matter opened with `{0}` on line 1 is never closed by another `{0}` line")]
    Unterminated(&'static str),
}

/// A front-matter field that failed to deserialize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// Dotted path of the field (`film.year`), empty for the document itself.
    pub(crate) field: String,
    pub(crate) line: Option<usize>,
    pub(crate) reason: String,
}

pub(crate) fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(SplitError::Empty);
    }
    let mut lines = LineCursor::new(text);
    let first = lines.next_line().map(|(_, line)| line.trim_end());
    let (format, fence) = match first {
        Some("---") => (Format::Yaml, "---"),
        Some("+++") => (Format::Toml, "+++"),
        _ => return Err(SplitError::Missing),
    };
    let start = lines.offset;
    while let Some((line_start, line)) = lines.next_line() {
        if line.trim_end() == fence {
            return Ok(Split {
                format,
                front_matter: &text[start..line_start],
                first_line: 2,
                body: &text[lines.offset..],
            });
        }
    }
    Err(SplitError::Unterminated(fence))
}

/// Walks a text line by line, remembering byte offsets, for either `\n` or
/// `\r\n` endings.
struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, offset: 0 }
    }

    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        if self.offset >= self.text.len() {
            return None;
        }
        let start = self.offset;
        let rest = &self.text[start..];
        let (line, advance) = match rest.find('\n') {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        self.offset += advance;
        Some((start, line.strip_suffix('\r').unwrap_or(line)))
    }
}

/// Deserializes the front matter into `T`, reporting the failing field's
/// dotted path and its line in the file.
pub(crate) fn deserialize<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
    match split.format {
        Format::Yaml => deserialize_yaml(split),
        Format::Toml => deserialize_toml(split),
    }
}

/// Deserializes a whole TOML file (`site.toml`) as front matter is, so its
/// errors name the field and the line in the same words.
pub(crate) fn from_toml<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    deserialize_toml(&toml_file(text))
}

/// A whole TOML file seen as front matter starting on line 1, so that
/// `line_of_field` finds its fields too.
pub(crate) fn toml_file(text: &str) -> Split<'_> {
    whole_file(Format::Toml, text)
}

/// A whole data file (a diary year) seen as front matter starting on line
/// 1: it deserializes, and names its lines and fields, as front matter does.
pub(crate) fn whole_file(format: Format, text: &str) -> Split<'_> {
    Split {
        format,
        front_matter: text,
        first_line: 1,
        body: "",
    }
}

/// A value that parsed but did not fit its field: the field named once,
/// the sentence from `messages`, and the line of the field (or the field
/// around it) where there is one, else serde's position, which for a date
/// points at the start of the document and for a missing field at nothing.
fn field_error(
    split: &Split<'_>,
    path: &serde_path_to_error::Path,
    message: &str,
    location: Option<usize>,
) -> FieldError {
    let field = known_field(split, path, location);
    let (field, reason) = messages::explain(&field, message);
    let line = line_of_field(split, &field).or(location);
    FieldError {
        field,
        line,
        reason,
    }
}

/// The dotted path of the failing field. serde_path_to_error writes `.`
/// for the root, which we leave empty, and `?` for a key it could not
/// read, which an editor cannot act on: then the field is the one the line
/// belongs to, or the part of the path before the `?`.
fn known_field(split: &Split<'_>, path: &serde_path_to_error::Path, line: Option<usize>) -> String {
    let path = path.to_string();
    if path == "." {
        return String::new();
    }
    if !path.contains('?') {
        return path;
    }
    line.and_then(|line| field_at_line(split, line))
        .unwrap_or_else(|| {
            path[..path.find('?').unwrap_or(0)]
                .trim_end_matches('.')
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::lines::*;
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization errors are under test")]
    struct Sample {
        title: String,
        #[serde(default)]
        year: Option<u16>,
    }

    #[test]
    fn splits_yaml_and_keeps_the_body() {
        let split = split("---\ntitle: A\n---\nBody\n---\nmore\n").unwrap();
        assert_eq!(split.format, Format::Yaml);
        assert_eq!(split.front_matter, "title: A\n");
        assert_eq!(split.body, "Body\n---\nmore\n");
    }

    #[test]
    fn splits_toml_with_crlf_and_bom() {
        let split = split("\u{feff}+++\r\ntitle = \"A\"\r\n+++\r\nBody").unwrap();
        assert_eq!(split.format, Format::Toml);
        assert_eq!(split.front_matter, "title = \"A\"\r\n");
        assert_eq!(split.body, "Body");
    }

    #[test]
    fn reports_empty_missing_and_unterminated() {
        assert_eq!(split("").unwrap_err(), SplitError::Empty);
        assert_eq!(split("  \n\n").unwrap_err(), SplitError::Empty);
        assert_eq!(split("# Just markdown").unwrap_err(), SplitError::Missing);
        assert_eq!(
            split("---\ntitle: A\n").unwrap_err(),
            SplitError::Unterminated("---")
        );
    }

    #[test]
    fn yaml_error_names_field_and_file_line() {
        let text = "---\ntitle: A\nyear: nineteen\n---\n";
        let error = deserialize::<Sample>(&split(text).unwrap()).unwrap_err();
        assert_eq!(error.field, "year");
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn toml_error_names_field_and_file_line() {
        let text = "+++\ntitle = \"A\"\nyear = \"x\"\n+++\n";
        let error = deserialize::<Sample>(&split(text).unwrap()).unwrap_err();
        assert_eq!(error.field, "year");
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn missing_required_field_is_reported() {
        let error = deserialize::<Sample>(&split("---\n---\nbody").unwrap()).unwrap_err();
        assert_eq!(error.field, "title");
        assert!(
            error.reason.starts_with("is required but missing"),
            "{error:?}"
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization errors are under test")]
    struct Nested {
        title: String,
        film: Film,
        #[serde(default)]
        release_dates: Vec<Release>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization errors are under test")]
    struct Film {
        title: String,
        #[serde(default)]
        director: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization errors are under test")]
    struct Release {
        region: String,
        date: String,
    }

    fn nested_error(text: &str) -> FieldError {
        deserialize::<Nested>(&split(text).unwrap()).unwrap_err()
    }

    #[test]
    fn broken_indentation_names_the_field_of_its_line_never_a_question_mark() {
        for (text, field, line) in [
            // One space too many before `director`.
            (
                "---\ntitle: A\nfilm:\n  title: F\n   director: X\n---\n",
                "film.director",
                5,
            ),
            // One too few.
            (
                "---\ntitle: A\nfilm:\n    title: F\n  director: X\n---\n",
                "film.director",
                5,
            ),
            // A list item's second field out of line: serde alone calls it
            // a missing `date`.
            (
                "---\ntitle: A\nfilm:\n  title: F\nrelease_dates:\n  - region: UK\n   date: 2024-01-01\n---\n",
                "release_dates[0].date",
                7,
            ),
            // A key without its colon.
            (
                "---\ntitle: A\nfilm:\n  title: F\n  director Sean\n---\n",
                "film",
                5,
            ),
        ] {
            let error = nested_error(text);
            assert!(!error.field.contains('?'), "{text:?}: {error:?}");
            assert_eq!(
                (error.field.as_str(), error.line),
                (field, Some(line)),
                "{text:?}: {error:?}"
            );
            assert!(!error.reason.contains("mapping values"), "{error:?}");
        }
    }

    #[test]
    fn a_tab_is_named_as_the_problem_on_its_own_line() {
        for (text, field, line) in [
            (
                "---\ntitle: A\nfilm:\n  title: F\n\tdirector: X\n---\n",
                "film.director",
                5,
            ),
            ("---\ntitle: A\nfilm:\n\ttitle: F\n---\n", "film.title", 4),
        ] {
            let error = nested_error(text);
            assert_eq!(
                (error.field.as_str(), error.line),
                (field, Some(line)),
                "{error:?}"
            );
            assert_eq!(error.reason, messages::TAB_INDENT);
        }
        // A tab after the colon is fine YAML.
        assert!(deserialize::<Sample>(&split("---\ntitle:\tA\n---\n").unwrap()).is_ok());
    }

    #[test]
    fn an_unclosed_quote_points_at_where_it_opens() {
        let error = nested_error("---\ntitle: \"A\nfilm:\n  title: F\n---\n");
        assert_eq!((error.field.as_str(), error.line), ("title", Some(2)));
        assert!(error.reason.contains("never closed"), "{error:?}");
    }

    #[test]
    fn a_value_with_a_colon_is_told_to_use_quotes() {
        let error = nested_error("---\ntitle: Mission: Impossible\nfilm:\n  title: F\n---\n");
        assert_eq!((error.field.as_str(), error.line), ("title", Some(2)));
        assert!(error.reason.contains("must be in quotes"), "{error:?}");
    }

    #[test]
    fn lines_belong_to_fields_by_indentation() {
        let text = "---\ntitle: A  # the headline\nsummary: |\n  key: not a key\n\nfilm:\n  # a comment\n  title: F\nrelease_dates:\n  - region: UK\n    date: 2024-01-01\n  - region: US\n\n    date: 2024-02-01\ntags:\n- a\n- b\n---\n";
        let split = split(text).unwrap();
        let paths = yaml_paths(split.front_matter);
        let expected = [
            Some("title"),
            Some("summary"),
            Some("summary"),
            Some("summary"),
            Some("film"),
            None,
            Some("film.title"),
            Some("release_dates"),
            Some("release_dates[0].region"),
            Some("release_dates[0].date"),
            Some("release_dates[1].region"),
            None,
            Some("release_dates[1].date"),
            Some("tags"),
            Some("tags[0]"),
            Some("tags[1]"),
        ];
        assert_eq!(
            paths.iter().map(Option::as_deref).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(line_of_field(&split, "release_dates[1].date"), Some(14));
        assert_eq!(line_of_field(&split, "release_dates[1]"), Some(12));
        assert_eq!(line_of_field(&split, "film.director"), Some(6));
        assert_eq!(line_of_field(&split, "rating"), None);
    }

    #[test]
    fn toml_lines_belong_to_their_table() {
        let text = "+++\ntitle = \"A\"\nembed_hosts = [\n  \"x\",\n]\n[film]\nyear = 2024\n[[release_dates]]\nregion = \"UK\"\n[[release_dates]]\nregion = \"US\"\n+++\n";
        let split = split(text).unwrap();
        assert_eq!(line_of_field(&split, "film.year"), Some(7));
        assert_eq!(line_of_field(&split, "release_dates[1].region"), Some(11));
        assert_eq!(line_of_field(&split, "title"), Some(2));
        assert_eq!(field_at_line(&split, 4).as_deref(), Some("embed_hosts"));
        // `title` under `[film]` is not the document's `title`.
        let split = toml_file("[film]\ntitle = \"F\"\n");
        assert_eq!(line_of_field(&split, "title"), None);
    }

    #[test]
    fn deep_yaml_nesting_is_refused_before_parsing() {
        let text = format!("---\ntitle: A\nyear: {}\n---\n", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let error = deserialize::<Sample>(&split(&text).unwrap()).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(error.line, Some(3));
        assert!(error.reason.contains("nest more than 32"), "{error:?}");
        let fine = format!("---\ntitle: \"{}\"\n---\n", "[]".repeat(1000));
        assert!(deserialize::<Sample>(&split(&fine).unwrap()).is_ok());
    }

    #[test]
    fn finds_the_line_of_a_nested_field() {
        let split = split("---\ntitle: A\nfilm:\n  year: 2024\n---\n").unwrap();
        assert_eq!(line_of_field(&split, "film.year"), Some(4));
        assert_eq!(line_of_field(&split, "rating"), None);
        // Not the `title` of the film.
        let film_only = super::split("---\nfilm:\n  title: F\n---\n").unwrap();
        assert_eq!(line_of_field(&film_only, "title"), None);
    }
}
