//! Front-matter values shared by reviews and pages: text cleaned of the
//! characters no page or feed may carry, and dates that may be written as
//! YAML strings or TOML date literals, with their validation.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use serde::Deserialize;
use time::{
    Date, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset,
    format_description::well_known::Rfc3339, macros::format_description,
};

/// The years a date may have. Every output must be able to format it:
/// RFC 3339 (Atom, JSON Feed, `<time datetime>`) has four-digit years only,
/// so year 0 or -1 passed validation and then failed whole pages and feeds.
/// A film review dated before 1000 is a typo, not history.
pub(crate) const YEARS: RangeInclusive<i32> = 1000..=9999;

const DATE_FORM: &str = "write it as YYYY-MM-DD, e.g. 2024-10-18";
const MOMENT_FORM: &str =
    "write a date such as 2024-10-18 or a date-time such as 2024-10-18T09:00:00Z";

/// Whether a character is one that no page or feed should carry: C0
/// controls other than tab and line breaks, DEL, C1 controls, and the
/// non-characters U+FFFE and U+FFFF. Browsers show them as boxes or act on
/// them (an ESC starts a terminal escape in a copied title), and XML 1.0
/// cannot hold most of them at all, escaped or not.
fn is_unwanted(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'
            | '\u{c}'
            | '\u{e}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{fffe}'
            | '\u{ffff}'
    )
}

/// Drops the characters `is_unwanted` names. Content is cleaned once, when
/// it is loaded; feeds clean again what they gather, so that nothing stored
/// before this rule can break a feed. Borrows when there is nothing to drop,
/// as for nearly every file.
pub(crate) fn strip_controls(text: &str) -> Cow<'_, str> {
    if text.contains(is_unwanted) {
        Cow::Owned(text.chars().filter(|&c| !is_unwanted(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// A date as an editor writes it. YAML has no date type in serde, so there it
/// arrives as a string; TOML has real date literals, which we read as
/// `toml::value::Datetime` (its string form is the same RFC 3339 text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum DateText {
    Toml(toml::value::Datetime),
    Text(String),
    /// Anything else: nothing at all (`published:`), a number, a list. Taken
    /// here rather than refused by serde, whose error for an untagged enum
    /// ("data did not match any variant") tells an editor nothing.
    Other(serde::de::IgnoredAny),
}

impl DateText {
    fn text(&self) -> Option<String> {
        match self {
            DateText::Toml(datetime) => Some(datetime.to_string()),
            DateText::Text(text) => Some(text.trim().to_string()),
            DateText::Other(_) => None,
        }
    }

    /// A calendar date, `2024-10-18`, in `YEARS`. Impossible dates such as
    /// `2024-02-30` are refused rather than rolled over.
    pub(crate) fn to_date(&self) -> Result<Date, String> {
        let text = self
            .text()
            .ok_or_else(|| format!("needs a date; {DATE_FORM}"))?;
        let date = parse_date(&text).ok_or_else(|| not_a_date(&text, DATE_FORM))?;
        within_years(date.year(), &text)?;
        Ok(date)
    }

    /// A moment in `YEARS`: either a date (taken as midnight UTC) or an RFC
    /// 3339 date-time. A date-time without an offset is taken as UTC.
    pub(crate) fn to_moment(&self) -> Result<OffsetDateTime, String> {
        let text = self
            .text()
            .ok_or_else(|| format!("needs a date; {MOMENT_FORM}"))?;
        let moment = parse_moment(&text).ok_or_else(|| not_a_date(&text, MOMENT_FORM))?;
        // Checked: an offset can carry the last hours of 9999 past the
        // largest year `time` holds.
        let utc = moment
            .checked_to_offset(UtcOffset::UTC)
            .ok_or_else(|| outside_years(&text))?;
        within_years(utc.year(), &text)?;
        Ok(utc)
    }
}

fn within_years(year: i32, text: &str) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(outside_years(text))
    }
}

fn outside_years(text: &str) -> String {
    format!(
        "`{text}` is not a date pages and feeds can show; write a year from {} to {}, e.g. 2024-10-18",
        YEARS.start(),
        YEARS.end()
    )
}

/// Why `text` is not a date: the month or day that does not exist when it
/// has the right form, else the form to write.
fn not_a_date(text: &str, form: &str) -> String {
    match impossible_day(text) {
        Some(why) => format!("`{text}` does not exist: {why}"),
        None => format!("`{text}` is not a valid date; {form}"),
    }
}

/// For text that starts like `2023-02-30` (alone or before a time), the
/// reason its month or day does not exist (`February 2023 has 28 days`).
/// None when it does exist, or is not in that form.
fn impossible_day(text: &str) -> Option<String> {
    let head = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with(['T', 't', ' '])) {
        return None;
    }
    let parts: Vec<&str> = head.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let number = |digits: &str| {
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse::<i32>().ok())
            .flatten()
    };
    let (year, month, day) = (number(year)?, number(month)?, number(day)?);
    let Some(month) = u8::try_from(month)
        .ok()
        .and_then(|number| Month::try_from(number).ok())
    else {
        return Some(format!(
            "there is no month {month:02}; months run from 01 to 12"
        ));
    };
    let length = month.length(year);
    (day < 1 || day > i32::from(length)).then(|| format!("{month} {year} has {length} days"))
}

pub(crate) fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// A moment in the offset it was written with.
fn parse_moment(text: &str) -> Option<OffsetDateTime> {
    if let Some(date) = parse_date(text) {
        return Some(date.midnight().assume_utc());
    }
    if let Ok(moment) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(moment);
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
        let doc: Doc = toml::from_str("published = 0000-01-01").unwrap();
        assert!(
            doc.published
                .to_date()
                .unwrap_err()
                .contains("1000 to 9999")
        );
    }

    #[test]
    fn dates_are_bounded_to_four_digit_years_every_output_can_format() {
        let dates = ["-0001-01-01", "-0100-01-01", "0000-01-01", "0999-12-31"];
        for bad in dates {
            let error = text(bad).to_date().unwrap_err();
            assert!(error.contains("a year from 1000 to 9999"), "{bad}: {error}");
        }
        let moments = [
            "0000-01-01T00:00:00Z",
            "-0001-01-01T00:00",
            "1000-01-01T00:30:00+01:00",
            "9999-12-31T23:00:00-05:00",
        ];
        for bad in dates.into_iter().chain(moments) {
            let error = text(bad).to_moment().unwrap_err();
            assert!(error.contains("a year from 1000 to 9999"), "{bad}: {error}");
        }
        assert_eq!(text("1000-01-01").to_date(), Ok(date!(1000 - 01 - 01)));
        assert_eq!(
            text("9999-12-31T23:59:59Z").to_moment(),
            Ok(datetime!(9999-12-31 23:59:59 UTC))
        );
    }

    #[test]
    fn a_date_in_the_right_form_that_does_not_exist_says_why() {
        let error = text("2023-02-30").to_date().unwrap_err();
        assert_eq!(
            error,
            "`2023-02-30` does not exist: February 2023 has 28 days"
        );
        let error = text("2024-02-30T09:00:00Z").to_moment().unwrap_err();
        assert_eq!(
            error,
            "`2024-02-30T09:00:00Z` does not exist: February 2024 has 29 days"
        );
        let error = text("2024-04-31").to_moment().unwrap_err();
        assert!(error.ends_with("April 2024 has 30 days"), "{error}");
        let error = text("2024-13-01").to_date().unwrap_err();
        assert!(
            error.ends_with("there is no month 13; months run from 01 to 12"),
            "{error}"
        );
        for form in [
            "18/10/2024",
            "2024-1-5",
            "yesterday",
            "2024-10-18T25:00:00Z",
        ] {
            let error = text(form).to_moment().unwrap_err();
            assert!(!error.contains("does not exist"), "{form}: {error}");
            assert!(
                error.contains("write a date such as 2024-10-18"),
                "{form}: {error}"
            );
        }
        assert!(
            text("18/10/2024")
                .to_date()
                .unwrap_err()
                .contains("write it as YYYY-MM-DD")
        );
    }

    #[test]
    fn no_date_at_all_asks_for_one() {
        let other = DateText::Other(serde::de::IgnoredAny);
        assert!(other.to_date().unwrap_err().contains("YYYY-MM-DD"));
        assert!(
            other
                .to_moment()
                .unwrap_err()
                .contains("2024-10-18T09:00:00Z")
        );
    }

    #[test]
    fn strips_control_characters_and_keeps_everything_else() {
        let kept = "Fish & <Chips> ]]> 🎬 Кино\tok\r\n\u{a0}\u{2028}é";
        assert!(matches!(strip_controls(kept), Cow::Borrowed(_)));
        assert_eq!(strip_controls(kept), kept);
        assert_eq!(
            strip_controls("a\u{0}b\u{b}c\u{1b}[31md\u{7f}e\u{85}f\u{9f}g\u{fffe}h\u{ffff}i\u{c}j"),
            "abc[31mdefghij"
        );
    }
}
