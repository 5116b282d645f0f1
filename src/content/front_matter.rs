//! Splitting a content file into its front matter and its markdown body, and
//! deserializing the front matter.
//!
//! Like Zola, we accept YAML fenced by `---` and TOML fenced by `+++`. The
//! split is deliberately strict about the fences (they must be the first line
//! and a line of their own) so that a `---` horizontal rule in the body can
//! never be mistaken for the end of the front matter.

use serde::de::{DeserializeOwned, IgnoredAny};

use super::messages;

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
        // serde_norway reads the YAML while it fills the struct, so broken
        // YAML can first show as a wrong field (a missing `date` in a list
        // item whose next line is mis-indented). Reading the whole document
        // on its own tells a syntax error from a wrong value.
        if let Err(syntax) = serde_norway::from_str::<IgnoredAny>(source) {
            return yaml_syntax_error(split, &syntax);
        }
        let inner = error.inner();
        let location = inner
            .location()
            .map(|location| location.line() + split.first_line - 1);
        field_error(
            split,
            error.path(),
            &strip_location(&inner.to_string()),
            location,
        )
    })
}

fn deserialize_toml<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
    let source = split.front_matter;
    let line_of_span =
        |span: std::ops::Range<usize>| line_at_offset(source, span.start) + split.first_line - 1;
    let deserializer = toml::Deserializer::parse(source).map_err(|error| {
        let line = error.span().map(line_of_span);
        FieldError {
            field: line
                .and_then(|line| field_at_line(split, line))
                .unwrap_or_default(),
            line,
            reason: error.message().trim().to_string(),
        }
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let inner = error.inner();
        field_error(
            split,
            error.path(),
            inner.message(),
            inner.span().map(line_of_span),
        )
    })
}

/// Deserializes a whole TOML file (`site.toml`) as front matter is, so its
/// errors name the field and the line in the same words.
pub(crate) fn from_toml<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    deserialize_toml(&toml_file(text))
}

/// A whole TOML file seen as front matter starting on line 1, so that
/// `line_of_field` finds its fields too.
pub(crate) fn toml_file(text: &str) -> Split<'_> {
    Split {
        format: Format::Toml,
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

/// A YAML syntax error, pointed at the line to fix and the field it
/// belongs to, with advice rather than libyaml's words.
fn yaml_syntax_error(split: &Split<'_>, error: &serde_norway::Error) -> FieldError {
    let text = error.to_string();
    let message = Libyaml::parse(&text);
    let problem_line = error.location().map(|location| location.line());
    // YAML forbids tabs for indentation, and libyaml may blame the line
    // before the tab or the field above; the tab is what to fix.
    let tab = split
        .front_matter
        .lines()
        .take(problem_line.unwrap_or(usize::MAX))
        .position(|line| line[..line.len() - line.trim_start().len()].contains('\t'));
    let (index, reason) = match tab {
        Some(index) => (Some(index), messages::TAB_INDENT.to_string()),
        None => {
            let advice = messages::yaml_syntax(message.problem, message.context);
            let line = if advice.at_context {
                message.context_line.or(problem_line)
            } else {
                problem_line
            };
            (line.map(|line| line.saturating_sub(1)), advice.reason)
        }
    };
    let line = index.map(|index| index + split.first_line);
    FieldError {
        field: line
            .and_then(|line| field_at_line(split, line))
            .unwrap_or_default(),
        line,
        reason,
    }
}

/// libyaml's message as serde_norway prints it: `problem at line L column
/// C, context at line L2 column C2`, the context and its place optional.
struct Libyaml<'m> {
    problem: &'m str,
    context: Option<&'m str>,
    /// 1-based line in the front matter where the context began.
    context_line: Option<usize>,
}

impl<'m> Libyaml<'m> {
    fn parse(message: &'m str) -> Self {
        let (problem, rest) = message.split_once(" at ").unwrap_or((message, ""));
        let context = rest.split_once(", ").map(|(_, context)| context);
        let (context, context_line) = match context.and_then(|c| c.split_once(" at line ")) {
            Some((context, place)) => (
                Some(context),
                place.split(' ').next().and_then(|n| n.parse().ok()),
            ),
            None => (context, None),
        };
        Self {
            problem,
            context,
            context_line,
        }
    }
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
/// reports without a position (a value that parses but fails validation):
/// the first line that belongs to the field (`release_dates[1].region`
/// finds the second item's `region:` line, `release_dates[1]` its `- `
/// line). A field written inside `{ }` or `[ ]`, or missing, is found as
/// the nearest enclosing field that has a line of its own.
pub fn line_of_field(split: &Split<'_>, field: &str) -> Option<usize> {
    let paths = paths(split);
    let mut field = field;
    loop {
        if field.is_empty() {
            return None;
        }
        let found = paths.iter().position(|path| {
            path.as_deref().is_some_and(|path| {
                path.strip_prefix(field)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
        });
        if let Some(index) = found {
            return Some(index + split.first_line);
        }
        field = field
            .rsplit_once(['.', '['])
            .map_or("", |(parent, _)| parent);
    }
}

/// The field a file line of the front matter belongs to.
fn field_at_line(split: &Split<'_>, line: usize) -> Option<String> {
    let index = line.checked_sub(split.first_line)?;
    paths(split).into_iter().nth(index).flatten()
}

fn paths(split: &Split<'_>) -> Vec<Option<String>> {
    match split.format {
        Format::Yaml => yaml_paths(split.front_matter),
        Format::Toml => toml_paths(split.front_matter),
    }
}

/// The field each line of TOML belongs to: `key = …` under the last
/// `[table]` (or the n-th `[[table]]`) header; a line that continues a
/// multi-line array belongs to its key.
fn toml_paths(text: &str) -> Vec<Option<String>> {
    let mut table = String::new();
    let mut array_items: Vec<(String, usize)> = Vec::new();
    let mut last: Option<String> = None;
    text.lines()
        .map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            if let Some(name) = line
                .strip_prefix("[[")
                .and_then(|rest| rest.split_once("]]"))
            {
                let name = name.0.trim().to_string();
                let index = match array_items.iter_mut().find(|(seen, _)| *seen == name) {
                    Some((_, count)) => {
                        *count += 1;
                        *count - 1
                    }
                    None => {
                        array_items.push((name.clone(), 1));
                        0
                    }
                };
                table = format!("{name}[{index}]");
            } else if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.split_once(']'))
            {
                table = name.0.trim().to_string();
            } else if let Some((key, _)) = line.split_once('=').filter(|(key, _)| {
                let key = key.trim();
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            }) {
                let key = key.trim();
                last = Some(if table.is_empty() {
                    key.to_string()
                } else {
                    format!("{table}.{key}")
                });
                return last.clone();
            } else {
                return last.clone();
            }
            last = None;
            Some(table.clone())
        })
        .collect()
}

/// One level of YAML structure open at a line: a key, or an item of a list.
struct Frame<'a> {
    /// The column the key or the item's `-` starts in.
    column: usize,
    segment: Segment<'a>,
    /// Items of a list under this key (or item) seen so far.
    items: usize,
    /// The key has its value on its own line, so nothing nests under it.
    has_value: bool,
}

enum Segment<'a> {
    Key(&'a str),
    Item(usize),
}

/// The field each line of YAML front matter belongs to, as a path in
/// serde_path_to_error's form (`release_dates[1].date`), worked out from
/// indentation alone so that it also works on YAML that does not parse.
/// A tab counts as one column; blank and comment lines belong to none.
fn yaml_paths(front_matter: &str) -> Vec<Option<String>> {
    let mut frames: Vec<Frame<'_>> = Vec::new();
    // The column of a key whose value is a `|` or `>` block: lines indented
    // deeper are its text.
    let mut block_scalar: Option<usize> = None;
    front_matter
        .lines()
        .map(|line| {
            let content = line.trim_start_matches([' ', '\t']);
            let mut column = line.len() - content.len();
            if let Some(key_column) = block_scalar {
                if content.is_empty() || column > key_column {
                    return path(&frames);
                }
                block_scalar = None;
            }
            if content.is_empty() || content.starts_with('#') {
                return None;
            }
            let mut rest = content;
            while let Some(after) = rest
                .strip_prefix('-')
                .filter(|after| after.is_empty() || after.starts_with([' ', '\t']))
            {
                while frames.last().is_some_and(|frame| {
                    frame.column > column
                        || (frame.column == column && matches!(frame.segment, Segment::Item(_)))
                }) {
                    frames.pop();
                }
                let index = frames.last_mut().map_or(0, |holder| {
                    holder.items += 1;
                    holder.items - 1
                });
                frames.push(Frame {
                    column,
                    segment: Segment::Item(index),
                    items: 0,
                    has_value: false,
                });
                let item = after.trim_start_matches([' ', '\t']);
                column += 1 + after.len() - item.len();
                rest = item;
            }
            // A key cannot nest under a key that already has its value,
            // however far it is indented; other lines continue a value.
            let key = key_of(rest);
            while frames
                .last()
                .is_some_and(|frame| frame.column >= column || (key.is_some() && frame.has_value))
            {
                frames.pop();
            }
            if let Some((key, value)) = key {
                let value = value.trim();
                if value.starts_with(['|', '>']) {
                    block_scalar = Some(column);
                }
                frames.push(Frame {
                    column,
                    segment: Segment::Key(key),
                    items: 0,
                    has_value: !(value.is_empty() || value.starts_with('#')),
                });
            }
            path(&frames)
        })
        .collect()
}

/// `key: value` → (`key`, `value`); None for a line that is not a key.
fn key_of(text: &str) -> Option<(&str, &str)> {
    if text.starts_with(['[', '{', '"', '\'', '#', '|', '>', '-']) {
        return None;
    }
    let colon = text.char_indices().find_map(|(index, c)| {
        (c == ':'
            && text[index + 1..]
                .chars()
                .next()
                .is_none_or(|next| next == ' ' || next == '\t'))
        .then_some(index)
    })?;
    let key = text[..colon].trim_end();
    (!key.is_empty()).then(|| (key, &text[colon + 1..]))
}

fn path(frames: &[Frame<'_>]) -> Option<String> {
    let mut path = String::new();
    for frame in frames {
        match frame.segment {
            Segment::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Item(index) => path.push_str(&format!("[{index}]")),
        }
    }
    (!path.is_empty()).then_some(path)
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
