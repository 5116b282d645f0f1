//! Giving the writing back: the reviews and diary in Letterboxd's import
//! format (a CSV Letterboxd's importer reads), and the whole content folder
//! as a zip for backups.

use std::io::Write as _;
use std::path::Path;

use pulldown_cmark::{Options, Parser};
use serde::Serialize;

use super::LetterboxdError;
use crate::content::diary::DiaryEntry;
use crate::content::loader::{self, Document};
use crate::content::rating::Rating;
use crate::content::review::Review;

/// One row of Letterboxd's import format. `Date` (the review's
/// publication) is not one of Letterboxd's columns: its importer ignores
/// it, and Marquee's reads it back, so a round trip keeps the date.
#[derive(Serialize)]
struct ImportRow {
    #[serde(rename = "Title")]
    title: String,
    #[serde(rename = "Year")]
    year: Option<i32>,
    #[serde(rename = "Rating")]
    rating: Option<f64>,
    #[serde(rename = "WatchedDate")]
    watched: Option<String>,
    #[serde(rename = "Rewatch")]
    rewatch: &'static str,
    #[serde(rename = "Tags")]
    tags: String,
    #[serde(rename = "Review")]
    review: String,
    #[serde(rename = "tmdbID")]
    tmdb: Option<i64>,
    #[serde(rename = "imdbID")]
    imdb: Option<String>,
    #[serde(rename = "Date")]
    date: Option<String>,
}

fn stars(rating: Option<Rating>) -> Option<f64> {
    rating.map(|rating| f64::from(rating.halves()) / 2.0)
}

fn yes(value: bool) -> &'static str {
    if value { "Yes" } else { "" }
}

/// The review's markdown as HTML, which Letterboxd's importer takes (it
/// keeps its own few tags: emphasis, links, quotes).
fn review_html(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH),
    );
    html
}

/// Every published review and diary entry of `content_dir`, parsed as the
/// server parses them; files with errors are left out (`marquee check`
/// names them).
fn documents(content_dir: &Path) -> Result<(Vec<Review>, Vec<DiaryEntry>), LetterboxdError> {
    let scan =
        loader::scan(content_dir).map_err(|source| LetterboxdError::io(content_dir, source))?;
    let mut reviews = Vec::new();
    let mut entries = Vec::new();
    for file in &scan.files {
        let parsed = loader::read(file).and_then(|bytes| loader::parse(file, &bytes, &[]));
        match parsed {
            Ok(Document::Review(review)) if !review.draft => reviews.push(*review),
            Ok(Document::Diary(diary)) => entries.extend(diary.entries),
            _ => {}
        }
    }
    Ok((reviews, entries))
}

/// Writes the reviews and diary of `content_dir` to `out` in Letterboxd's
/// import format; returns the number of rows. A diary entry linked to a
/// review is that review's row (its watched date and rewatch).
pub fn export_csv(content_dir: &Path, out: &Path) -> Result<usize, LetterboxdError> {
    let (reviews, entries) = documents(content_dir)?;
    let mut rows = Vec::with_capacity(reviews.len() + entries.len());
    for review in &reviews {
        let entry = entries
            .iter()
            .find(|entry| entry.review.as_deref() == Some(review.slug.as_str()));
        let key = review.film.key.as_ref();
        rows.push(ImportRow {
            title: review.film.title.clone(),
            year: review.film.year,
            rating: stars(review.rating.or(entry.and_then(|entry| entry.rating))),
            watched: entry
                .map(|entry| entry.date)
                .or(review.watched)
                .map(|date| date.to_string()),
            rewatch: yes(entry.is_some_and(|entry| entry.rewatch)),
            tags: review
                .tags
                .iter()
                .map(|tag| tag.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            review: review_html(&review.body_markdown),
            tmdb: key.and_then(|key| key.tmdb),
            imdb: key.and_then(|key| key.imdb.clone()),
            date: Some(review.published.date().to_string()),
        });
    }
    let exported = |entry: &DiaryEntry| {
        entry
            .review
            .as_deref()
            .is_some_and(|slug| reviews.iter().any(|review| review.slug == slug))
    };
    for entry in entries.iter().filter(|entry| !exported(entry)) {
        rows.push(ImportRow {
            title: entry.film.title.clone(),
            year: entry.film.year,
            rating: stars(entry.rating),
            watched: Some(entry.date.to_string()),
            rewatch: yes(entry.rewatch),
            tags: String::new(),
            review: String::new(),
            tmdb: entry.film.key.tmdb,
            imdb: entry.film.key.imdb.clone(),
            date: None,
        });
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in &rows {
        writer
            .serialize(row)
            .map_err(|error| LetterboxdError::Internal(error.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| LetterboxdError::Internal(error.to_string()))?;
    std::fs::write(out, bytes).map_err(|source| LetterboxdError::io(out, source))?;
    Ok(rows.len())
}

/// Zips every file under `content_dir` (hidden ones and editors' swap
/// files too: a backup keeps what is there) into `out`; returns how many.
pub fn export_archive(content_dir: &Path, out: &Path) -> Result<usize, LetterboxdError> {
    let file = std::fs::File::create(out).map_err(|source| LetterboxdError::io(out, source))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zip_error = |error: zip::result::ZipError| LetterboxdError::Internal(error.to_string());
    let mut count = 0;
    let mut pending = vec![content_dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&folder)
            .map_err(|source| LetterboxdError::io(&folder, source))?
            .collect::<Result<_, _>>()
            .map_err(|source| LetterboxdError::io(&folder, source))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|source| LetterboxdError::io(&path, source))?;
            let Ok(relative) = path.strip_prefix(content_dir) else {
                continue;
            };
            let name = relative.to_string_lossy().replace('\\', "/");
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let bytes =
                    std::fs::read(&path).map_err(|source| LetterboxdError::io(&path, source))?;
                zip.start_file(name, options).map_err(zip_error)?;
                zip.write_all(&bytes)
                    .map_err(|source| LetterboxdError::io(out, source))?;
                count += 1;
            }
        }
    }
    zip.finish().map_err(zip_error)?;
    Ok(count)
}
