//! The shapes of a Letterboxd export's CSV files, read into one typed
//! `Archive`. Columns are found by their header names (Letterboxd has
//! added columns over the years), and every value is checked here, so a
//! bad date or rating is reported with its file and line before anything
//! is planned.

use std::collections::HashMap;

use csv::StringRecord;
use time::Date;
use time::macros::format_description;

use super::LetterboxdError;
use super::source::Files;
use crate::content::rating::Rating;

/// A film as an export names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilmName {
    pub(crate) name: String,
    pub(crate) year: Option<i32>,
    pub(crate) tmdb: Option<i64>,
    pub(crate) imdb: Option<String>,
}

/// One row of `reviews.csv` or `diary.csv`: a logged viewing, with or
/// without a review.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    /// The entry's URI (`https://boxd.it/…`): names the entry, not the film.
    pub(crate) uri: Option<String>,
    pub(crate) film: FilmName,
    pub(crate) rating: Option<f64>,
    pub(crate) rewatch: bool,
    pub(crate) tags: Vec<String>,
    /// When the entry was logged: a review's publication.
    pub(crate) logged: Date,
    /// When the film was seen, when the member said.
    pub(crate) watched: Option<Date>,
    /// The review's text as Letterboxd keeps it (HTML), when there is any.
    pub(crate) review: Option<String>,
    pub(crate) spoilers: bool,
}

/// One `lists/{slug}.csv`.
#[derive(Debug, Clone)]
pub(crate) struct ListExport {
    /// The file's stem, the list's slug on Letterboxd.
    pub(crate) stem: String,
    pub(crate) name: String,
    pub(crate) url: Option<String>,
    pub(crate) description: String,
    pub(crate) date: Date,
    /// Ranked when the export numbers every film.
    pub(crate) ranked: bool,
    pub(crate) films: Vec<(FilmName, String)>,
}

/// Everything an export holds that Marquee imports.
#[derive(Debug, Default)]
pub(crate) struct Archive {
    pub(crate) reviews: Vec<Logged>,
    pub(crate) diary: Vec<Logged>,
    pub(crate) likes: Vec<FilmName>,
    pub(crate) lists: Vec<ListExport>,
    /// The watchlist's films and the newest date one was added.
    pub(crate) watchlist: Option<(Vec<FilmName>, Date)>,
    pub(crate) username: Option<String>,
    /// Files read but not imported, with the reason.
    pub(crate) left_out: Vec<(String, &'static str)>,
}

const REVIEWS: &[&str] = &[
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Review",
    "Tags",
    "Watched Date",
];
const DIARY: &[&str] = &[
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Tags",
    "Watched Date",
];
const FILMS: &[&str] = &["Date", "Name", "Year", "Letterboxd URI"];
const LIST_HEAD: &[&str] = &["Date", "Name", "URL", "Description"];
const LIST_FILMS: &[&str] = &["Position", "Name", "Year", "URL"];
/// Letterboxd's own import format, which `marquee export letterboxd`
/// writes (with `Date`, tmdbID and imdbID beside it).
const IMPORT_FORMAT: &[&str] = &[
    "Title",
    "Year",
    "Rating",
    "WatchedDate",
    "Rewatch",
    "Tags",
    "Review",
];

/// Reads the files of an export.
pub(crate) fn archive(files: &Files) -> Result<Archive, LetterboxdError> {
    if !files.contains_key("reviews.csv") && !files.contains_key("diary.csv") {
        return Err(LetterboxdError::Malformed {
            file: "the export".into(),
            line: None,
            reason: "has neither reviews.csv nor diary.csv: is it the zip from Letterboxd's Settings → Data → Export?".into(),
        });
    }
    let mut archive = Archive::default();
    for (path, bytes) in files {
        match path.as_str() {
            "reviews.csv" => archive.reviews = logged(path, bytes, REVIEWS)?,
            "diary.csv" => archive.diary = logged(path, bytes, DIARY)?,
            "likes/films.csv" => {
                archive.likes = Table::read(path, bytes, FILMS)?
                    .rows
                    .iter()
                    .map(Row::film)
                    .collect::<Result<_, _>>()?;
            }
            "watchlist.csv" => archive.watchlist = watchlist(path, bytes)?,
            "profile.csv" => archive.username = username(path, bytes)?,
            "ratings.csv" | "watched.csv" => archive
                .left_out
                .push((path.clone(), "every dated viewing is in diary.csv")),
            _ if path.starts_with("lists/") => archive.lists.push(list(path, bytes)?),
            _ => archive
                .left_out
                .push((path.clone(), "not a kind Marquee imports")),
        }
    }
    Ok(archive)
}

/// Reads a CSV in Letterboxd's import format: every row with a review
/// becomes a review, every row with a watched date a diary entry.
pub(crate) fn import_format(path: &str, bytes: &[u8]) -> Result<Archive, LetterboxdError> {
    let table = Table::read(path, bytes, IMPORT_FORMAT)?;
    let mut archive = Archive::default();
    for row in &table.rows {
        let film = FilmName {
            name: row.required("Title")?,
            year: row.year("Year")?,
            tmdb: row.number("tmdbID")?,
            imdb: row.optional("imdbID"),
        };
        let watched = row.date_or_empty("WatchedDate")?;
        let Some(logged) = row.date_or_empty("Date")?.or(watched) else {
            return Err(row.error("has neither a Date nor a WatchedDate"));
        };
        let entry = Logged {
            uri: None,
            film,
            rating: row.rating("Rating")?,
            rewatch: row.yes("Rewatch")?,
            tags: row.tags("Tags"),
            logged,
            watched,
            review: row.optional("Review"),
            spoilers: false,
        };
        if entry.watched.is_some() {
            archive.diary.push(Logged {
                review: None,
                ..entry.clone()
            });
        }
        if entry.review.is_some() {
            archive.reviews.push(entry);
        }
    }
    Ok(archive)
}

fn logged(path: &str, bytes: &[u8], columns: &[&str]) -> Result<Vec<Logged>, LetterboxdError> {
    let table = Table::read(path, bytes, columns)?;
    table
        .rows
        .iter()
        .map(|row| {
            let (review, marked) = match row.optional("Review") {
                Some(text) => spoiler_marker(&text),
                None => (None, false),
            };
            Ok(Logged {
                uri: row.optional("Letterboxd URI"),
                film: row.film()?,
                rating: row.rating("Rating")?,
                rewatch: row.yes("Rewatch")?,
                tags: row.tags("Tags"),
                logged: row.date("Date")?,
                watched: row.date_or_empty("Watched Date")?,
                review,
                spoilers: marked || row.yes("Spoilers")?,
            })
        })
        .collect()
}

/// Some exports open a spoiler review with "(contains spoilers)": the
/// marker becomes `spoilers: true` and leaves the text.
fn spoiler_marker(text: &str) -> (Option<String>, bool) {
    const MARKER: &str = "(contains spoilers)";
    let trimmed = text.trim_start();
    match trimmed.get(..MARKER.len()) {
        Some(head) if head.eq_ignore_ascii_case(MARKER) => {
            let rest = trimmed[MARKER.len()..].trim();
            ((!rest.is_empty()).then(|| rest.to_string()), true)
        }
        _ => (Some(text.to_string()), false),
    }
}

fn watchlist(path: &str, bytes: &[u8]) -> Result<Option<(Vec<FilmName>, Date)>, LetterboxdError> {
    let table = Table::read(path, bytes, FILMS)?;
    let mut films = Vec::with_capacity(table.rows.len());
    let mut newest = None;
    for row in &table.rows {
        films.push(row.film()?);
        newest = newest.max(Some(row.date("Date")?));
    }
    Ok(newest.map(|date| (films, date)))
}

fn username(path: &str, bytes: &[u8]) -> Result<Option<String>, LetterboxdError> {
    let table = Table::read(path, bytes, &["Username"])?;
    Ok(table.rows.first().and_then(|row| row.optional("Username")))
}

/// `lists/{slug}.csv`: a version line, the list's own header and row, a
/// blank line, then the films' header and rows.
fn list(path: &str, bytes: &[u8]) -> Result<ListExport, LetterboxdError> {
    let stem = path
        .strip_prefix("lists/")
        .and_then(|name| name.strip_suffix(".csv"))
        .unwrap_or(path)
        .to_string();
    let records = records(path, bytes, true)?;
    let version = records
        .first()
        .map(|(_, record)| record.get(0).unwrap_or_default());
    if !version.is_some_and(|line| line.starts_with("Letterboxd list export")) {
        return Err(LetterboxdError::at(
            path,
            1,
            "does not start with `Letterboxd list export`: not a list from a Letterboxd export",
        ));
    }
    let part = |from: usize, columns: &[&str]| -> Result<Table, LetterboxdError> {
        let Some((line, header)) = records.get(from) else {
            return Err(LetterboxdError::at(
                path,
                records.last().map_or(1, |(line, _)| *line),
                "ends early: the file is truncated",
            ));
        };
        Table::new(path, *line, header, columns)
    };
    let head = part(1, LIST_HEAD)?;
    let Some((line, record)) = records.get(2) else {
        return Err(LetterboxdError::at(
            path,
            2,
            "ends early: the file is truncated",
        ));
    };
    let list_row = head.row(*line, record.clone())?;
    let mut films = part(3, LIST_FILMS)?;
    films.rows = records[4..]
        .iter()
        .map(|(line, record)| films.row(*line, record.clone()))
        .collect::<Result<_, _>>()?;
    let mut numbered = Vec::with_capacity(films.rows.len());
    for row in &films.rows {
        let position: Option<u32> = row.number("Position")?;
        numbered.push((
            position,
            row.film()?,
            row.optional("Description").unwrap_or_default(),
        ));
    }
    let ranked = !numbered.is_empty() && numbered.iter().all(|(position, ..)| position.is_some());
    if ranked {
        numbered.sort_by_key(|(position, ..)| *position);
    }
    Ok(ListExport {
        stem,
        name: list_row.required("Name")?,
        url: list_row.optional("URL"),
        description: list_row.optional("Description").unwrap_or_default(),
        date: list_row.date("Date")?,
        ranked,
        films: numbered
            .into_iter()
            .map(|(_, film, note)| (film, note))
            .collect(),
    })
}

/// Every record of a file with its line, blank lines skipped.
fn records(
    path: &str,
    bytes: &[u8],
    flexible: bool,
) -> Result<Vec<(u64, StringRecord)>, LetterboxdError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(flexible)
        .from_reader(bytes);
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(path, &error))?;
        let line = record.position().map_or(0, csv::Position::line);
        records.push((line, record));
    }
    Ok(records)
}

fn csv_error(path: &str, error: &csv::Error) -> LetterboxdError {
    let line = error.position().map(csv::Position::line);
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text: Letterboxd exports UTF-8; was the file re-saved in another encoding?".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
            "has {len} fields where the header has {expected_len}: the row is cut short or the file truncated"
        ),
        _ => format!("cannot be read as CSV ({error})"),
    };
    LetterboxdError::Malformed {
        file: path.to_string(),
        line,
        reason,
    }
}

/// A CSV file with a header row, its columns found by name.
struct Table<'a> {
    path: &'a str,
    columns: HashMap<String, usize>,
    rows: Vec<Row<'a>>,
}

impl<'a> Table<'a> {
    /// Reads a whole file whose first row is the header, which must name
    /// every one of `required`. Rows must have as many fields as the header.
    fn read(path: &'a str, bytes: &[u8], required: &[&str]) -> Result<Self, LetterboxdError> {
        let records = records(path, bytes, false)?;
        let Some((line, header)) = records.first() else {
            return Err(LetterboxdError::at(
                path,
                1,
                "is empty: it should start with a header row",
            ));
        };
        let mut table = Self::new(path, *line, header, required)?;
        table.rows = records[1..]
            .iter()
            .map(|(line, record)| table.row(*line, record.clone()))
            .collect::<Result<_, _>>()?;
        Ok(table)
    }

    fn new(
        path: &'a str,
        line: u64,
        header: &StringRecord,
        required: &[&str],
    ) -> Result<Self, LetterboxdError> {
        let columns: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(index, name)| (name.trim().to_string(), index))
            .collect();
        if let Some(missing) = required.iter().find(|name| !columns.contains_key(**name)) {
            return Err(LetterboxdError::at(
                path,
                line,
                &format!(
                    "the header has no `{missing}` column (expected {}): not the file Letterboxd exports",
                    required.join(",")
                ),
            ));
        }
        Ok(Self {
            path,
            columns,
            rows: Vec::new(),
        })
    }

    fn row(&self, line: u64, record: StringRecord) -> Result<Row<'a>, LetterboxdError> {
        if record.len() < self.columns.len() {
            return Err(LetterboxdError::at(
                self.path,
                line,
                &format!(
                    "has {} fields where the header has {}: the row is cut short or the file truncated",
                    record.len(),
                    self.columns.len()
                ),
            ));
        }
        Ok(Row {
            path: self.path,
            line,
            columns: self.columns.clone(),
            record,
        })
    }
}

/// One row, with typed readers that name the file, line and column of a
/// bad value.
struct Row<'a> {
    path: &'a str,
    line: u64,
    columns: HashMap<String, usize>,
    record: StringRecord,
}

impl Row<'_> {
    fn error(&self, reason: &str) -> LetterboxdError {
        LetterboxdError::at(self.path, self.line, reason)
    }

    fn optional(&self, column: &str) -> Option<String> {
        let index = *self.columns.get(column)?;
        let value = self.record.get(index)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    fn required(&self, column: &str) -> Result<String, LetterboxdError> {
        self.optional(column)
            .ok_or_else(|| self.error(&format!("`{column}` is empty")))
    }

    fn film(&self) -> Result<FilmName, LetterboxdError> {
        Ok(FilmName {
            name: self.required("Name")?,
            year: self.year("Year")?,
            tmdb: None,
            imdb: None,
        })
    }

    fn number<T: std::str::FromStr>(&self, column: &str) -> Result<Option<T>, LetterboxdError> {
        self.optional(column)
            .map(|text| {
                text.parse()
                    .map_err(|_| self.error(&format!("`{column}` is `{text}`, not a number")))
            })
            .transpose()
    }

    fn year(&self, column: &str) -> Result<Option<i32>, LetterboxdError> {
        self.number(column)
    }

    fn rating(&self, column: &str) -> Result<Option<f64>, LetterboxdError> {
        let rating: Option<f64> = self.number(column)?;
        match rating {
            Some(stars) if Rating::from_stars(stars).is_none() => Err(self.error(&format!(
                "`{column}` is {stars}: a rating is 0.5 to 5 in halves"
            ))),
            _ => Ok(rating),
        }
    }

    fn yes(&self, column: &str) -> Result<bool, LetterboxdError> {
        match self
            .optional(column)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("no" | "false") => Ok(false),
            Some("yes" | "true") => Ok(true),
            Some(other) => Err(self.error(&format!(
                "`{column}` is `{other}`: write Yes or leave it empty"
            ))),
        }
    }

    fn tags(&self, column: &str) -> Vec<String> {
        self.optional(column)
            .map(|tags| {
                tags.split(',')
                    .map(str::trim)
                    .filter(|tag| tag.chars().any(char::is_alphanumeric))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn date_or_empty(&self, column: &str) -> Result<Option<Date>, LetterboxdError> {
        self.optional(column)
            .map(|text| {
                Date::parse(&text, format_description!("[year]-[month]-[day]"))
                    .ok()
                    .filter(|date| crate::content::fields::YEARS.contains(&date.year()))
                    .ok_or_else(|| {
                        self.error(&format!(
                            "`{column}` is `{text}`, not a date such as 2024-10-18"
                        ))
                    })
            })
            .transpose()
    }

    fn date(&self, column: &str) -> Result<Date, LetterboxdError> {
        self.date_or_empty(column)?
            .ok_or_else(|| self.error(&format!("`{column}` is empty")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
            .collect()
    }

    const HEADER: &str = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date";

    #[test]
    fn a_spoilers_column_marks_the_review() {
        let text = format!(
            "{HEADER},Spoilers\n2024-01-02,Flow,2024,https://boxd.it/a,4,,\"It ends, \"\"well\"\".\",,2024-01-01,Yes\n"
        );
        let archive = archive(&files(&[("reviews.csv", &text)])).unwrap();
        let review = &archive.reviews[0];
        assert!(review.spoilers);
        assert_eq!(review.review.as_deref(), Some("It ends, \"well\"."));
    }

    #[test]
    fn a_bad_value_names_its_file_line_and_column() {
        let text = format!("{HEADER}\n2024-01-02,Flow,2024,x,4.3,,Text,,\n");
        let error = archive(&files(&[("reviews.csv", &text)])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "reviews.csv:2: `Rating` is 4.3: a rating is 0.5 to 5 in halves"
        );
        let text = format!("{HEADER}\n2024-01-02,Flow,2024,x,4,Maybe,Text,,\n");
        let error = archive(&files(&[("reviews.csv", &text)])).unwrap_err();
        assert!(
            error.to_string().starts_with("reviews.csv:2: `Rewatch`"),
            "{error}"
        );
    }

    #[test]
    fn a_list_without_its_version_line_or_films_header_is_refused() {
        let diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n";
        let no_version = "Date,Name,Tags,URL,Description\n2024-01-01,L,,u,\n";
        let error =
            archive(&files(&[("diary.csv", diary), ("lists/l.csv", no_version)])).unwrap_err();
        assert!(error.to_string().starts_with("lists/l.csv:1:"), "{error}");
        let cut = "Letterboxd list export v7\nDate,Name,Tags,URL,Description\n2024-01-01,L,,u,\n";
        let error = archive(&files(&[("diary.csv", diary), ("lists/l.csv", cut)])).unwrap_err();
        assert!(error.to_string().contains("truncated"), "{error}");
    }

    #[test]
    fn an_export_without_reviews_or_diary_is_not_one() {
        let error = archive(&files(&[(
            "watched.csv",
            "Date,Name,Year,Letterboxd URI\n",
        )]))
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("neither reviews.csv nor diary.csv"),
            "{error}"
        );
    }
}
