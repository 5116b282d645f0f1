//! Front-matter value types shared by reviews and pages: dates that may be
//! written as YAML strings or TOML date literals, and their validation.

use serde::Deserialize;
use time::{
    Date, OffsetDateTime, PrimitiveDateTime, UtcOffset, format_description::well_known::Rfc3339,
    macros::format_description,
};

/// A date as an editor writes it. YAML has no date type in serde, so there it
/// arrives as a string; TOML has real date literals, which we read as
/// `toml::value::Datetime` (its string form is the same RFC 3339 text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DateText {
    Toml(toml::value::Datetime),
    Text(String),
}

impl DateText {
    fn text(&self) -> String {
        match self {
            DateText::Toml(datetime) => datetime.to_string(),
            DateText::Text(text) => text.trim().to_string(),
        }
    }

    /// A calendar date, `2024-10-18`. Impossible dates such as `2024-02-30`
    /// are refused rather than rolled over.
    pub fn to_date(&self) -> Result<Date, String> {
        let text = self.text();
        parse_date(&text).ok_or_else(|| {
            format!("`{text}` is not a valid date; write it as YYYY-MM-DD, e.g. 2024-10-18")
        })
    }

    /// A moment: either a date (taken as midnight UTC) or an RFC 3339
    /// date-time. A date-time without an offset is taken as UTC.
    pub fn to_moment(&self) -> Result<OffsetDateTime, String> {
        let text = self.text();
        parse_moment(&text).ok_or_else(|| {
            format!(
                "`{text}` is not a valid date or date-time; write 2024-10-18 or 2024-10-18T09:00:00Z"
            )
        })
    }
}

pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

fn parse_moment(text: &str) -> Option<OffsetDateTime> {
    if let Some(date) = parse_date(text) {
        return Some(date.midnight().assume_utc());
    }
    if let Ok(moment) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(moment.to_offset(UtcOffset::UTC));
    }
    let local = format_description!(
        "[year]-[month]-[day][first [T][ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
    );
    PrimitiveDateTime::parse(text, local)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn text(s: &str) -> DateText {
        DateText::Text(s.to_string())
    }

    #[test]
    fn parses_dates_and_refuses_impossible_ones() {
        assert_eq!(text("2024-10-18").to_date(), Ok(date!(2024 - 10 - 18)));
        assert!(text("2024-02-30").to_date().is_err());
        assert!(text("18/10/2024").to_date().is_err());
    }

    #[test]
    fn parses_moments_in_several_shapes() {
        assert_eq!(
            text("2024-10-18").to_moment(),
            Ok(datetime!(2024-10-18 0:00 UTC))
        );
        assert_eq!(
            text("2024-10-18T09:30:00+02:00").to_moment(),
            Ok(datetime!(2024-10-18 7:30 UTC))
        );
        assert_eq!(
            text("2024-10-18 09:30").to_moment(),
            Ok(datetime!(2024-10-18 9:30 UTC))
        );
        assert!(text("2024-13-01T00:00:00Z").to_moment().is_err());
    }

    #[test]
    fn reads_toml_date_literals() {
        #[derive(Deserialize)]
        struct Doc {
            published: DateText,
        }
        let doc: Doc = toml::from_str("published = 2024-10-18").unwrap();
        assert_eq!(doc.published.to_date(), Ok(date!(2024 - 10 - 18)));
        let doc: Doc = toml::from_str("published = 2024-10-18T10:00:00Z").unwrap();
        assert_eq!(
            doc.published.to_moment(),
            Ok(datetime!(2024-10-18 10:00 UTC))
        );
    }
}
