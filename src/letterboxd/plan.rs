//! The import plan: every file the import would write, made in memory from
//! the export and what the content folder already holds, before anything
//! is written. The rules:
//! - a file that does not exist is written;
//! - a file carrying the same Letterboxd URI with identical bytes is
//!   unchanged; with different bytes it was edited since the import and is
//!   kept, never overwritten;
//! - a diary year's entries already there (by URI) stay exactly as written,
//!   new ones are added at the end of its file;
//! - a slug taken by an unrelated file gives the next free one (`-2`, `-3`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use time::Date;

use super::existing::Existing;
use super::html;
use super::rows::{Archive, FilmName, Logged};
use super::{LetterboxdError, Progress};

/// The longest headline made from a review's first sentence.
const HEADLINE_CHARS: usize = 80;

/// What the import does with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new file.
    Write,
    /// The file exists with these very bytes.
    Unchanged,
    /// The file carries the URI but was edited since: left alone.
    Kept,
    /// New diary entries added to an existing year's file.
    Added(usize),
}

/// One file of the plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Relative to the content folder (`reviews/anora.md`).
    pub path: String,
    pub(crate) bytes: Vec<u8>,
    /// What happens to it.
    pub outcome: Outcome,
}

/// Everything an import would do, and what it leaves out and why.
#[derive(Debug, Default)]
pub struct Plan {
    /// Reviews, diary years and lists, in that order.
    pub files: Vec<Planned>,
    /// Diary entries new to the diary, and those already there.
    pub diary_added: usize,
    /// Diary entries whose URI a diary file already holds.
    pub diary_present: usize,
    /// What was not imported, with the reason (`3 reviews: no text`).
    pub skipped: Vec<String>,
}

#[derive(Serialize)]
struct FilmOut<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tmdb: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    imdb: Option<&'a str>,
}

impl<'a> From<&'a FilmName> for FilmOut<'a> {
    fn from(film: &'a FilmName) -> Self {
        Self {
            title: &film.name,
            year: film
                .year
                .filter(|year| crate::content::film::FILM_YEARS.contains(year)),
            tmdb: film.tmdb,
            imdb: film.imdb.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct ReviewOut<'a> {
    title: String,
    film: FilmOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<Stars>,
    #[serde(skip_serializing_if = "is_false")]
    spoilers: bool,
    published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    watched: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    letterboxd: Option<&'a str>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    date: String,
    film: FilmOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<Stars>,
    #[serde(skip_serializing_if = "is_false")]
    rewatch: bool,
    #[serde(skip_serializing_if = "is_false")]
    liked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    letterboxd: Option<&'a str>,
}

#[derive(Serialize)]
struct DiaryOut<'a> {
    entries: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct ListOut<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    ranked: bool,
    published: String,
    #[serde(skip_serializing_if = "is_false")]
    draft: bool,
    films: Vec<ListFilmOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    letterboxd: Option<&'a str>,
}

#[derive(Serialize)]
struct ListFilmOut<'a> {
    #[serde(flatten)]
    film: FilmOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// A rating as an editor writes it: `4`, `4.5`, never `4.0`.
struct Stars(f64);

impl Serialize for Stars {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 {
            // Ratings are checked to be 0.5 to 5 when read.
            serializer.serialize_u8(self.0 as u8)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

/// A list as the plan writes it, from a Letterboxd list or the watchlist.
struct ListIn<'a> {
    stem: &'a str,
    title: &'a str,
    uri: Option<&'a str>,
    intro: String,
    published: Date,
    ranked: bool,
    draft: bool,
    films: Vec<(&'a FilmName, String)>,
}

/// Makes the plan. `progress` ticks once per review converted.
pub(crate) fn make(
    archive: &Archive,
    existing: &Existing,
    progress: &Progress,
) -> Result<Plan, LetterboxdError> {
    let mut plan = Plan::default();
    let mut slugs = existing.review_slugs.clone();
    let mut reviews: Vec<&Logged> = archive
        .reviews
        .iter()
        .filter(|row| row.review.is_some())
        .collect();
    let no_text = archive.reviews.len() - reviews.len();
    if no_text > 0 {
        plan.skipped.push(format!(
            "{no_text} rows of reviews.csv: no review text (their diary entries are kept)"
        ));
    }
    // The older of two reviews of a film keeps the plain slug.
    reviews.sort_by_key(|row| row.logged);
    let logged_in_diary: HashSet<Viewing> = archive.diary.iter().map(viewing).collect();
    let mut review_slug_of: HashMap<Viewing, String> = HashMap::with_capacity(reviews.len());
    for row in reviews {
        let in_diary = logged_in_diary.contains(&viewing(row));
        let (path, slug) = match row
            .uri
            .as_ref()
            .and_then(|uri| existing.files_by_uri.get(uri))
        {
            Some((path, slug)) => (path.clone(), slug.clone()),
            None => {
                let slug = free_slug(&slug_of(&row.film.name, "review"), &slugs);
                (format!("reviews/{slug}.md"), slug)
            }
        };
        slugs.insert(slug.clone());
        let bytes = review_file(row, in_diary)?;
        plan.files
            .push(planned(existing_bytes(existing, &path), path, bytes));
        review_slug_of.insert(viewing(row), slug);
        progress.tick();
    }
    diary(archive, existing, &review_slug_of, &mut plan)?;
    lists(archive, existing, &mut plan)?;
    let logged_films: HashSet<FilmKey> = archive
        .diary
        .iter()
        .map(|row| film_key(&row.film))
        .collect();
    let unlogged_likes = archive
        .likes
        .iter()
        .filter(|film| !logged_films.contains(&film_key(film)))
        .count();
    if unlogged_likes > 0 {
        plan.skipped.push(format!(
            "{unlogged_likes} liked films never logged in diary.csv: Marquee keeps likes on diary entries"
        ));
    }
    for (file, reason) in &archive.left_out {
        plan.skipped.push(format!("{file}: {reason}"));
    }
    Ok(plan)
}

/// What makes a review and a diary row one viewing: the entry's URI or,
/// in a CSV without URIs, the film and the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Viewing {
    Uri(String),
    Film(FilmKey, Option<Date>),
}

fn viewing(row: &Logged) -> Viewing {
    match &row.uri {
        Some(uri) => Viewing::Uri(uri.clone()),
        None => Viewing::Film(film_key(&row.film), row.watched),
    }
}

/// A film's title folded (case and punctuation ignored) and its year.
type FilmKey = (String, Option<i32>);

fn film_key(film: &FilmName) -> FilmKey {
    (slug::slugify(&film.name), film.year)
}

fn slug_of(name: &str, fallback: &str) -> String {
    let slug = slug::slugify(name);
    if slug.is_empty() {
        fallback.to_string()
    } else {
        slug
    }
}

/// `base`, or `base-2`, `base-3`… whichever is free.
fn free_slug(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|slug| !taken.contains(slug))
        .unwrap_or_else(|| base.to_string())
}

fn existing_bytes(existing: &Existing, path: &str) -> Option<Vec<u8>> {
    existing.imported.get(path).cloned()
}

fn planned(current: Option<Vec<u8>>, path: String, bytes: Vec<u8>) -> Planned {
    let outcome = match current {
        None => Outcome::Write,
        Some(current) if current == bytes => Outcome::Unchanged,
        Some(_) => Outcome::Kept,
    };
    Planned {
        path,
        bytes,
        outcome,
    }
}

fn date_text(date: Date) -> String {
    date.to_string()
}

/// The review's file: YAML front matter, then the converted body.
fn review_file(row: &Logged, in_diary: bool) -> Result<Vec<u8>, LetterboxdError> {
    let body = html::to_markdown(row.review.as_deref().unwrap_or_default());
    let headline = html::first_sentence(&body, HEADLINE_CHARS);
    let title = if headline.chars().any(char::is_alphanumeric) {
        headline
    } else {
        match row.film.year {
            Some(year) => format!("{} ({year})", row.film.name),
            None => row.film.name.clone(),
        }
    };
    let front = ReviewOut {
        title,
        film: (&row.film).into(),
        rating: row.rating.map(Stars),
        spoilers: row.spoilers,
        published: date_text(row.logged),
        // A viewing the diary holds is its entry there, linked to the
        // review; the review's own `watched` would count it twice.
        watched: row.watched.filter(|_| !in_diary).map(date_text),
        tags: &row.tags,
        letterboxd: row.uri.as_deref(),
    };
    Ok(with_front_matter(&yaml(&front)?, &body))
}

fn with_front_matter(yaml: &str, body: &str) -> Vec<u8> {
    let mut text = String::with_capacity(yaml.len() + body.len() + 16);
    text.push_str("---\n");
    text.push_str(yaml);
    text.push_str("---\n");
    if !body.is_empty() {
        text.push_str(body);
        text.push('\n');
    }
    text.into_bytes()
}

fn yaml(value: &impl Serialize) -> Result<String, LetterboxdError> {
    serde_norway::to_string(value).map_err(|error| LetterboxdError::Internal(error.to_string()))
}

fn diary(
    archive: &Archive,
    existing: &Existing,
    reviews: &HashMap<Viewing, String>,
    plan: &mut Plan,
) -> Result<(), LetterboxdError> {
    let mut years: BTreeMap<i32, Vec<EntryOut<'_>>> = BTreeMap::new();
    let liked: HashSet<FilmKey> = archive.likes.iter().map(film_key).collect();
    let mut rows: Vec<&Logged> = archive.diary.iter().collect();
    rows.sort_by_key(|row| (row.watched.unwrap_or(row.logged), row.logged));
    for row in rows {
        if row
            .uri
            .as_ref()
            .is_some_and(|uri| existing.diary_uris.contains(uri))
        {
            plan.diary_present += 1;
            continue;
        }
        let date = row.watched.unwrap_or(row.logged);
        let review = reviews.get(&viewing(row)).cloned();
        years.entry(date.year()).or_default().push(EntryOut {
            date: date_text(date),
            film: (&row.film).into(),
            rating: row.rating.map(Stars),
            rewatch: row.rewatch,
            liked: liked.contains(&film_key(&row.film)),
            review,
            letterboxd: row.uri.as_deref(),
        });
    }
    for (year, entries) in years {
        plan.diary_added += entries.len();
        let added = entries.len();
        let file = match existing.diaries.get(&year) {
            None => Planned {
                path: format!("diary/{year}.yaml"),
                bytes: yaml(&DiaryOut { entries })?.into_bytes(),
                outcome: Outcome::Write,
            },
            Some(current) => Planned {
                path: current.path.clone(),
                bytes: appended(&current.text, current.toml, entries)?.into_bytes(),
                outcome: Outcome::Added(added),
            },
        };
        plan.files.push(file);
    }
    Ok(())
}

/// A year's file with `entries` added at its end, every line already in
/// it left as written.
fn appended(text: &str, toml: bool, entries: Vec<EntryOut<'_>>) -> Result<String, LetterboxdError> {
    let mut merged = text.to_string();
    if !merged.is_empty() && !merged.ends_with('\n') {
        merged.push('\n');
    }
    if toml {
        let tables = toml::to_string(&DiaryOut { entries })
            .map_err(|error| LetterboxdError::Internal(error.to_string()))?;
        merged.push_str(&tables);
        return Ok(merged);
    }
    let items = yaml(&entries)?;
    let indent = yaml_item_indent(text);
    if !text.lines().any(|line| line.trim_end() == "entries:") {
        merged.push_str("entries:\n");
    }
    for line in items.lines() {
        merged.push_str(&" ".repeat(indent));
        merged.push_str(line);
        merged.push('\n');
    }
    Ok(merged)
}

/// How far the existing entries' `- ` is indented under `entries:` (two
/// spaces when there are none to follow).
fn yaml_item_indent(text: &str) -> usize {
    text.lines()
        .skip_while(|line| line.trim_end() != "entries:")
        .skip(1)
        .find(|line| line.trim_start().starts_with("- "))
        .map_or(2, |line| line.len() - line.trim_start().len())
}

fn lists(archive: &Archive, existing: &Existing, plan: &mut Plan) -> Result<(), LetterboxdError> {
    let mut stems = existing.list_stems.clone();
    let mut inputs: Vec<ListIn<'_>> = archive
        .lists
        .iter()
        .map(|list| ListIn {
            stem: &list.stem,
            title: &list.name,
            uri: list.url.as_deref(),
            intro: html::to_markdown(&list.description),
            published: list.date,
            ranked: list.ranked,
            draft: false,
            films: list
                .films
                .iter()
                .map(|(film, note)| (film, html::to_markdown(note)))
                .collect(),
        })
        .collect();
    let watchlist_uri = archive.username.as_ref().map_or_else(
        || "watchlist".to_string(),
        |user| format!("https://letterboxd.com/{user}/watchlist/"),
    );
    if let Some((films, newest)) = &archive.watchlist {
        // Films not yet seen: a draft, for the critic to publish or not.
        inputs.push(ListIn {
            stem: "watchlist",
            title: "Watchlist",
            uri: Some(&watchlist_uri),
            intro: String::new(),
            published: *newest,
            ranked: false,
            draft: true,
            films: films.iter().map(|film| (film, String::new())).collect(),
        });
    }
    for list in inputs {
        let (path, stem) = match list.uri.and_then(|uri| existing.files_by_uri.get(uri)) {
            Some(known) => known.clone(),
            None => {
                let stem = free_slug(&slug_of(list.stem, "list"), &stems);
                (format!("lists/{stem}.md"), stem)
            }
        };
        stems.insert(stem);
        let front = ListOut {
            title: list.title,
            ranked: list.ranked,
            published: date_text(list.published),
            draft: list.draft,
            films: list
                .films
                .iter()
                .map(|(film, note)| ListFilmOut {
                    film: (*film).into(),
                    note: (!note.is_empty()).then(|| note.clone()),
                })
                .collect(),
            letterboxd: list.uri,
        };
        let bytes = with_front_matter(&yaml(&front)?, &list.intro);
        plan.files
            .push(planned(existing_bytes(existing, &path), path, bytes));
    }
    Ok(())
}
