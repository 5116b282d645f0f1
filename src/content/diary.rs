//! The diary: `content/diary/{year}.yaml` (or `.toml`), one entry per film
//! watched, as a critic logs them without writing at length. A year's file
//! is validated whole, with the same file:line:field errors as a review's
//! front matter, and like a review a broken file keeps its last good
//! version published.

use serde::Deserialize;
use time::Date;

use super::error::ContentError;
use super::fields::{DateText, strip_controls};
use super::film::{self, FilmFields, FilmRef};
use super::front_matter::{self, Format};
use super::markdown::{self, Target};
use super::rating::Rating;
use super::review::{required_text, valid_slug};

/// A diary file as written: `entries:` and a list (`[[entries]]` in TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiaryFile {
    #[serde(default)]
    entries: Vec<EntryFields>,
}

/// One entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFields {
    /// The day the film was watched.
    date: DateText,
    film: FilmFields,
    #[serde(default)]
    rating: Option<f64>,
    /// Seen before: the film page counts it as another viewing.
    #[serde(default)]
    rewatch: bool,
    #[serde(default)]
    liked: bool,
    /// A line or two of markdown.
    #[serde(default)]
    note: Option<String>,
    /// The slug of the full review this viewing led to.
    #[serde(default)]
    review: Option<String>,
    /// The Letterboxd diary entry this one was imported from.
    #[serde(default)]
    letterboxd: Option<String>,
}

/// A year of the diary, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diary {
    pub(crate) entries: Vec<DiaryEntry>,
}

/// One viewing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiaryEntry {
    pub(crate) date: Date,
    pub(crate) film: FilmRef,
    pub(crate) rating: Option<Rating>,
    pub(crate) rewatch: bool,
    pub(crate) liked: bool,
    /// The note rendered as safe HTML.
    pub(crate) note_html: Option<String>,
    pub(crate) review: Option<String>,
    /// The Letterboxd entry's URI, so that a second import leaves this
    /// entry as it is.
    pub(crate) letterboxd: Option<String>,
}

/// Parses `diary/{year}.{ext}`; every entry must be dated in `year`.
pub(crate) fn parse_diary(
    text: &str,
    path: &str,
    year: i32,
    format: Format,
) -> Result<Diary, ContentError> {
    let text = strip_controls(text);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let split = front_matter::whole_file(format, text);
    let raw: DiaryFile = front_matter::deserialize(&split).map_err(|error| {
        ContentError::new(path, error.reason)
            .at_line(error.line)
            .in_field(error.field)
    })?;
    let invalid = |field: &str, reason: String| {
        ContentError::new(path, reason)
            .at_line(front_matter::line_of_field(&split, field))
            .in_field(field)
    };
    let entries = raw
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| validate_entry(&entry, &format!("entries[{index}]"), year, &invalid))
        .collect::<Result<_, _>>()?;
    Ok(Diary { entries })
}

fn validate_entry(
    raw: &EntryFields,
    at: &str,
    year: i32,
    invalid: &impl Fn(&str, String) -> ContentError,
) -> Result<DiaryEntry, ContentError> {
    let date_field = format!("{at}.date");
    let date = raw
        .date
        .to_date()
        .map_err(|reason| invalid(&date_field, reason))?;
    if date.year() != year {
        return Err(invalid(
            &date_field,
            format!(
                "{date} is not in {year}, the year this file holds; move the entry to diary/{}.yaml",
                date.year()
            ),
        ));
    }
    let film = film::validate(&raw.film, &format!("{at}.film"), invalid)?;
    let rating = match raw.rating {
        None => None,
        Some(stars) => Some(Rating::from_stars(stars).ok_or_else(|| {
            invalid(
                &format!("{at}.rating"),
                format!("must be between 0.5 and 5 in steps of 0.5 (found {stars})"),
            )
        })?),
    };
    let review = match raw.review.as_deref().map(str::trim) {
        None => None,
        Some(slug) => Some(valid_slug(slug).ok_or_else(|| {
            invalid(
                &format!("{at}.review"),
                format!("`{slug}` is not a review's slug; write one such as anora"),
            )
        })?),
    };
    Ok(DiaryEntry {
        date,
        film,
        rating,
        rewatch: raw.rewatch,
        liked: raw.liked,
        note_html: raw
            .note
            .as_deref()
            .and_then(required_text)
            .as_deref()
            .map(note_html),
        review,
        letterboxd: raw.letterboxd.as_deref().and_then(required_text),
    })
}

/// A short note in markdown as safe HTML (no embeds, no bundle).
pub(crate) fn note_html(note: &str) -> String {
    markdown::render(
        note,
        Target {
            asset_base: None,
            feed: None,
            embed_hosts: &[],
        },
    )
    .html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Diary, ContentError> {
        parse_diary(text, "diary/2024.yaml", 2024, Format::Yaml)
    }

    #[test]
    fn parses_entries_with_their_films() {
        let diary = parse(
            "entries:\n  - date: 2024-03-02\n    film: { title: Anora, year: 2024, tmdb: 1064213 }\n    rating: 4.5\n    rewatch: true\n    note: Even *better*.\n    review: anora\n",
        )
        .unwrap();
        let entry = &diary.entries[0];
        assert_eq!(entry.film.key.slug, "anora-2024");
        assert_eq!(entry.film.key.tmdb, Some(1_064_213));
        assert_eq!(entry.rating, Rating::from_stars(4.5));
        assert!(entry.rewatch && !entry.liked);
        assert_eq!(
            entry.note_html.as_deref(),
            Some("<p>Even <em>better</em>.</p>\n")
        );
        assert_eq!(entry.review.as_deref(), Some("anora"));
    }

    #[test]
    fn an_entry_keeps_the_letterboxd_uri_an_import_recorded() {
        let diary = parse(
            "entries:\n  - date: 2024-03-02\n    film: { title: Anora }\n    letterboxd: https://boxd.it/x1\n  - date: 2024-03-03\n    film: { title: Flow }\n",
        )
        .unwrap();
        let uris: Vec<_> = diary
            .entries
            .iter()
            .map(|e| e.letterboxd.as_deref())
            .collect();
        assert_eq!(uris, [Some("https://boxd.it/x1"), None]);
    }

    #[test]
    fn a_bad_entry_is_reported_with_its_line_and_field() {
        let text = "entries:\n  - date: 2024-03-02\n    film:\n      title: Anora\n  - date: 2024-03-03\n    film:\n      title: Flow\n    rating: 7\n";
        let error = parse(text).unwrap_err();
        assert_eq!(error.line, Some(8));
        assert_eq!(error.field.as_deref(), Some("entries[1].rating"));
        let error =
            parse("entries:\n  - date: 2023-12-31\n    film: { title: Anora }\n").unwrap_err();
        assert_eq!(
            (error.line, error.field.as_deref()),
            (Some(2), Some("entries[0].date"))
        );
        assert!(error.reason.contains("diary/2023.yaml"), "{error}");
    }

    #[test]
    fn toml_diaries_use_an_array_of_tables() {
        let text = "[[entries]]\ndate = 2024-01-05\nfilm = { title = \"Flow\", year = 2024 }\nliked = true\n";
        let diary = parse_diary(text, "diary/2024.toml", 2024, Format::Toml).unwrap();
        assert!(diary.entries[0].liked);
        assert_eq!(diary.entries[0].film.key.slug, "flow-2024");
    }
}
