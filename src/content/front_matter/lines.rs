//! Which line of the front matter a field is written on, and which field a
//! line belongs to, from the indentation (YAML) or the tables (TOML) alone:
//! it works on front matter that does not parse, so that every error can
//! name its line and field.

use super::{Format, Split};

pub(super) fn line_at_offset(text: &str, offset: usize) -> usize {
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
pub(crate) fn line_of_field(split: &Split<'_>, field: &str) -> Option<usize> {
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
pub(super) fn field_at_line(split: &Split<'_>, line: usize) -> Option<String> {
    let index = line.checked_sub(split.first_line)?;
    paths(split).into_iter().nth(index).flatten()
}

pub(super) fn paths(split: &Split<'_>) -> Vec<Option<String>> {
    match split.format {
        Format::Yaml => yaml_paths(split.front_matter),
        Format::Toml => toml_paths(split.front_matter),
    }
}

/// The field each line of TOML belongs to: `key = …` under the last
/// `[table]` (or the n-th `[[table]]`) header; a line that continues a
/// multi-line array belongs to its key.
pub(super) fn toml_paths(text: &str) -> Vec<Option<String>> {
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
pub(super) fn yaml_paths(front_matter: &str) -> Vec<Option<String>> {
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
