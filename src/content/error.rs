//! The one error an editor sees: which file, which line, which field, and why.
//!
//! Every problem found while loading content becomes a `ContentError`. It is
//! data, not a crash: the loader collects them, `marquee check` prints them,
//! the status page lists them, and the last good version of the file stays live.

use std::fmt;

/// A problem with one content file, precise enough for an editor to fix it
/// without reading any code or logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentError {
    /// The file, relative to the content directory (`reviews/anora.md`).
    pub path: String,
    /// 1-based line in the file, when the problem can be pinned to one.
    pub line: Option<usize>,
    /// The front-matter field at fault (`rating`, `film.year`), if any.
    pub field: Option<String>,
    /// What is wrong, in words an editor understands.
    pub reason: String,
}

impl ContentError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            field: None,
            reason: reason.into(),
        }
    }

    pub(crate) fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub(crate) fn in_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.field = (!field.is_empty()).then_some(field);
        self
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let error = ContentError::new("reviews/anora.md", "must be between 0.5 and 5")
            .at_line(Some(4))
            .in_field("rating");
        assert_eq!(
            error.to_string(),
            "reviews/anora.md:4: field `rating`: must be between 0.5 and 5"
        );
    }

    #[test]
    fn display_without_line_or_field() {
        let error = ContentError::new("reviews/empty.md", "the file is empty");
        assert_eq!(error.to_string(), "reviews/empty.md: the file is empty");
    }
}
