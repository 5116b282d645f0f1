//! TOML front matter (and `site.toml`): deserializing it with the failing
//! field's path and line.

use serde::de::DeserializeOwned;

use super::lines::{field_at_line, line_at_offset};
use super::{FieldError, Split, field_error};

pub(super) fn deserialize_toml<T: DeserializeOwned>(split: &Split<'_>) -> Result<T, FieldError> {
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
