//! YAML front matter: deserializing it with the failing field's path, and
//! turning libyaml's syntax errors into advice on the line to fix.

use serde::de::{DeserializeOwned, IgnoredAny};

use super::lines::field_at_line;
use super::{FieldError, Split, field_error};
use crate::content::messages;

/// How deep `[` and `{` may nest in YAML front matter. Real front matter
/// nests two or three deep; libyaml's parser takes time that grows with the
/// square of the depth (100,000 `[` take over a minute), so deeper nesting
/// is refused before parsing.
const MAX_YAML_FLOW_DEPTH: usize = 32;

/// Counts brackets whether or not they sit in quotes: a title would need 33
/// unclosed brackets in a row to be refused, and the count stays trivial.
pub(super) fn check_flow_depth(split: &Split<'_>) -> Result<(), FieldError> {
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

pub(super) fn deserialize_yaml<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
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

/// A YAML syntax error, pointed at the line to fix and the field it
/// belongs to, with advice rather than libyaml's words.
pub(super) fn yaml_syntax_error(split: &Split<'_>, error: &serde_norway::Error) -> FieldError {
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
pub(super) fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}
