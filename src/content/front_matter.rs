//! Splitting a content file into its front matter and its markdown body, and
//! deserializing the front matter.
//!
//! Like Zola, we accept YAML fenced by `---` and TOML fenced by `+++`. The
//! split is deliberately strict about the fences (they must be the first line
//! and a line of their own) so that a `---` horizontal rule in the body can
//! never be mistaken for the end of the front matter.

use serde::de::DeserializeOwned;

/// Which language the front matter is written in, chosen by its fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

/// A content file cut in two.
#[derive(Debug)]
pub struct Split<'a> {
    pub format: Format,
    pub front_matter: &'a str,
    /// 1-based line number of the first line of front matter, so that errors
    /// reported relative to the front matter can be turned into file lines.
    pub first_line: usize,
    pub body: &'a str,
}

/// Why a file could not be split. The loader adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
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
pub struct FieldError {
    /// Dotted path of the field (`film.year`), empty for the document itself.
    pub field: String,
    pub line: Option<usize>,
    pub reason: String,
}

pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
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
pub fn deserialize<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
    match split.format {
        Format::Yaml => deserialize_yaml(split),
        Format::Toml => deserialize_toml(split),
    }
}

/// How deep `[` and `{` may nest in YAML front matter. Real front matter
/// nests two or three deep; libyaml's parser takes time that grows with the
/// square of the depth (100,000 `[` take over a minute), so deeper nesting
/// is refused before parsing.
const MAX_YAML_FLOW_DEPTH: usize = 32;

/// Counts brackets whether or not they sit in quotes: a title would need 33
/// unclosed brackets in a row to be refused, and the count stays trivial.
fn check_flow_depth(split: &Split<'_>) -> Result<(), FieldError> {
    let mut depth = 0usize;
    for (index, line) in split.front_matter.lines().enumerate() {
        for byte in line.bytes() {
            match byte {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => continue,
            }
            if depth > MAX_YAML_FLOW_DEPTH {
                return Err(FieldError {
                    field: String::new(),
                    line: Some(index + split.first_line),
                    reason: format!("lists or maps nest more than {MAX_YAML_FLOW_DEPTH} deep here"),
                });
            }
        }
    }
    Ok(())
}

fn deserialize_yaml<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
    check_flow_depth(split)?;
    // An empty YAML document is `null`, which no struct accepts; give serde an
    // empty mapping instead so that the error is "missing field `title`".
    let source = if split.front_matter.trim().is_empty() {
        "{}"
    } else {
        split.front_matter
    };
    let deserializer = serde_norway::Deserializer::from_str(source);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = field_path(error.path());
        let inner = error.inner();
        let line = inner
            .location()
            .map(|location| location.line() + split.first_line - 1)
            .or_else(|| line_of_field(split, &field));
        FieldError {
            reason: strip_location(&inner.to_string()),
            field,
            line,
        }
    })
}

fn deserialize_toml<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
    let source = split.front_matter;
    let deserializer = toml::Deserializer::parse(source).map_err(|error| FieldError {
        field: String::new(),
        line: error
            .span()
            .map(|span| line_at_offset(source, span.start) + split.first_line - 1),
        reason: error.message().to_string(),
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = field_path(error.path());
        let inner = error.inner();
        let line = inner
            .span()
            .map(|span| line_at_offset(source, span.start) + split.first_line - 1)
            .or_else(|| line_of_field(split, &field));
        FieldError {
            reason: inner.message().to_string(),
            field,
            line,
        }
    })
}

/// `serde_path_to_error` prints `.` for the root; we prefer an empty path.
fn field_path(path: &serde_path_to_error::Path) -> String {
    let path = path.to_string();
    if path == "." { String::new() } else { path }
}

/// serde_norway appends " at line L column C"; we report the line ourselves,
/// relative to the file rather than to the front matter.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

fn line_at_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Finds the file line on which a field is written, for errors that serde
/// reports without a position (a value that parses but fails validation).
/// Looks up the last segment of the dotted path as a key at the start of a
/// line; `film.year` finds the `year:` line.
pub fn line_of_field(split: &Split<'_>, field: &str) -> Option<usize> {
    let key = field
        .rsplit('.')
        .next()
        .filter(|key| !key.is_empty())?
        .trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    if key.is_empty() {
        return None;
    }
    split
        .front_matter
        .lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with([':', '=']))
        })
        .map(|index| index + split.first_line)
}

#[cfg(test)]
mod tests {
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
        assert!(error.reason.contains("missing field `title`"), "{error:?}");
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
    }
}
