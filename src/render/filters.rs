//! Askama filters: how dates, durations and ratings read on the page.
//! Askama looks filters up in a module named `filters` in scope of each
//! template struct, so page modules `use crate::render::filters;`.
#![expect(
    unreachable_pub,
    reason = "askama's #[filter_fn] gives each filter a `pub fn execute`, whatever the filter's visibility"
)]

use std::fmt::Display;

use askama::Values;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{Date, Month, OffsetDateTime};

/// Anything with a calendar date: a `Date`, or a moment (taken in UTC).
pub(crate) trait CalendarDate {
    fn calendar_date(&self) -> Date;
}

impl CalendarDate for Date {
    fn calendar_date(&self) -> Date {
        *self
    }
}

impl CalendarDate for OffsetDateTime {
    fn calendar_date(&self) -> Date {
        self.date()
    }
}

impl<T: CalendarDate + ?Sized> CalendarDate for &T {
    fn calendar_date(&self) -> Date {
        (**self).calendar_date()
    }
}

/// A moment in time, however many references deep askama passes it.
pub(crate) trait Moment {
    fn moment(&self) -> OffsetDateTime;
}

impl Moment for OffsetDateTime {
    fn moment(&self) -> OffsetDateTime {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn moment(&self) -> OffsetDateTime {
        (**self).moment()
    }
}

/// "1 November 2024": the British form, unambiguous everywhere.
#[askama::filter_fn]
pub(crate) fn long_date(value: impl CalendarDate, _: &dyn Values) -> askama::Result<String> {
    Ok(format_long_date(value.calendar_date()))
}

pub(crate) fn format_long_date(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// "March 2024": the heading of a month of the diary.
pub(crate) fn format_month_year(date: Date) -> String {
    format!("{} {}", month_name(date.month()), date.year())
}

fn month_name(month: Month) -> &'static str {
    match month {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

/// "1 March 2025, 09:00 UTC": a moment to the minute, for a scheduled
/// review, whose time of day matters as much as its date.
#[askama::filter_fn]
pub(crate) fn long_date_time(value: impl Moment, _: &dyn Values) -> askama::Result<String> {
    Ok(format_long_date_time(value.moment()))
}

pub(crate) fn format_long_date_time(moment: OffsetDateTime) -> String {
    let utc = moment.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02}:{:02} UTC",
        format_long_date(utc.date()),
        utc.hour(),
        utc.minute()
    )
}

/// A piece of a content error's reason: plain text, or a `code` span (a
/// field's name, a value as the editor wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReasonPart {
    pub(crate) text: String,
    pub(crate) code: bool,
}

/// Splits a reason at its backticks, so that the status page can show
/// `rating` as a `<code>` element rather than with the backticks the
/// terminal keeps. The template writes the elements and escapes every
/// part, code or not; this only decides where spans begin and end.
#[askama::filter_fn]
pub(crate) fn code_spans(reason: impl Display, _: &dyn Values) -> askama::Result<Vec<ReasonPart>> {
    Ok(split_code_spans(&reason.to_string()))
}

/// A backtick without a partner after it stays in the text.
pub(crate) fn split_code_spans(reason: &str) -> Vec<ReasonPart> {
    let mut parts = Vec::new();
    let mut push = |text: &str, code: bool| {
        if !text.is_empty() {
            parts.push(ReasonPart {
                text: text.to_string(),
                code,
            });
        }
    };
    let mut rest = reason;
    while let Some((before, after)) = rest.split_once('`') {
        let Some((code, next)) = after.split_once('`') else {
            break;
        };
        push(before, false);
        push(code, true);
        rest = next;
    }
    push(rest, false);
    parts
}

/// `2024-11-01`, for `<time datetime>` and sitemaps.
#[askama::filter_fn]
pub(crate) fn iso_date(value: impl CalendarDate, _: &dyn Values) -> askama::Result<String> {
    Ok(value.calendar_date().to_string())
}

/// A moment in RFC 3339 to the second, for `<time datetime>` and Atom.
/// HTML allows at most three digits of a fraction of a second, and the
/// clock has nine: the fraction is dropped.
#[askama::filter_fn]
pub(crate) fn rfc3339(value: impl Moment, _: &dyn Values) -> askama::Result<String> {
    format_rfc3339(value.moment()).map_err(|error| askama::Error::Custom(Box::new(error)))
}

pub(crate) fn format_rfc3339(moment: OffsetDateTime) -> Result<String, time::error::Format> {
    moment
        .replace_nanosecond(0)
        .unwrap_or(moment)
        .format(&Rfc3339)
}

/// A moment in RFC 2822, as RSS wants it.
pub(crate) fn rfc2822(value: &OffsetDateTime) -> String {
    value.format(&Rfc2822).unwrap_or_default()
}

/// Minutes as a film runtime reads: "2h 18m", "1h", "45m".
#[askama::filter_fn]
pub(crate) fn runtime(minutes: impl Display, _: &dyn Values) -> askama::Result<String> {
    let minutes: u32 = minutes.to_string().parse().unwrap_or(0);
    Ok(format_runtime(minutes))
}

pub(crate) fn format_runtime(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// "1 review", "3 reviews".
#[askama::filter_fn]
pub(crate) fn reviews_count(count: impl Display, _: &dyn Values) -> askama::Result<String> {
    Ok(format_review_count(count.to_string().parse().unwrap_or(0)))
}

pub(crate) fn format_review_count(count: i64) -> String {
    if count == 1 {
        "1 review".to_string()
    } else {
        format!("{count} reviews")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn long_dates_read_naturally() {
        assert_eq!(format_long_date(date!(2024 - 11 - 01)), "1 November 2024");
        assert_eq!(
            format_long_date(datetime!(2024-12-03 23:59 UTC).date()),
            "3 December 2024"
        );
    }

    #[test]
    fn runtimes_read_like_a_listing() {
        assert_eq!(format_runtime(138), "2h 18m");
        assert_eq!(format_runtime(120), "2h");
        assert_eq!(format_runtime(45), "45m");
        assert_eq!(format_runtime(60), "1h");
    }

    #[test]
    fn rfc3339_dates_are_whole_seconds_as_html_wants() {
        assert_eq!(
            format_rfc3339(datetime!(2026-11-24 23:19:36.403105574 UTC)).unwrap(),
            "2026-11-24T23:19:36Z"
        );
    }

    #[test]
    fn scheduled_times_read_to_the_minute_in_utc() {
        assert_eq!(
            format_long_date_time(datetime!(2025-03-01 09:00:59 UTC)),
            "1 March 2025, 09:00 UTC"
        );
        assert_eq!(
            format_long_date_time(datetime!(2025-03-01 01:30 +02:00)),
            "28 February 2025, 23:30 UTC"
        );
    }

    fn text(text: &str) -> ReasonPart {
        ReasonPart {
            text: text.into(),
            code: false,
        }
    }

    fn code(text: &str) -> ReasonPart {
        ReasonPart {
            text: text.into(),
            code: true,
        }
    }

    #[test]
    fn code_spans_are_split_out_of_reasons() {
        assert_eq!(
            split_code_spans("unknown field `directr`; did you mean `director`?"),
            [
                text("unknown field "),
                code("directr"),
                text("; did you mean "),
                code("director"),
                text("?"),
            ]
        );
        assert_eq!(split_code_spans("no code here"), [text("no code here")]);
        assert_eq!(split_code_spans(""), []);
    }

    #[test]
    fn hostile_reasons_stay_text_for_the_template_to_escape() {
        assert_eq!(
            split_code_spans("the tag `<script>alert(1)</script>` & `x\"'` <b>"),
            [
                text("the tag "),
                code("<script>alert(1)</script>"),
                text(" & "),
                code("x\"'"),
                text(" <b>"),
            ]
        );
        // Unpaired or empty backticks never swallow the rest of the text.
        assert_eq!(split_code_spans("a `b"), [text("a `b")]);
        assert_eq!(split_code_spans("`a` `b"), [code("a"), text(" `b")]);
        assert_eq!(split_code_spans("a `` b"), [text("a "), text(" b")]);
        assert_eq!(split_code_spans("```"), [text("`")]);
    }

    #[test]
    fn rss_dates_are_rfc2822() {
        assert_eq!(
            rfc2822(&datetime!(2024-10-18 9:30 UTC)),
            "Fri, 18 Oct 2024 09:30:00 +0000"
        );
    }
}
