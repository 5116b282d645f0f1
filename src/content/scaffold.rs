//! `marquee new "Film title"`: a new review file with every field in place
//! and documented, so an editor fills in blanks instead of remembering the
//! format, and nothing an editor forgets to change can go live. `--list`
//! and `--diary` start a list and a year of the diary the same way.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use time::Date;

use super::loader::{DIARY_DIR, LISTS_DIR, REVIEWS_DIR};

/// Why `marquee new` wrote nothing. Each message says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The film's title (as given) has no letter or digit to name a file after.
    #[error("the title `{0}` gives no usable file name; use some letters or digits")]
    NoSlug(String),
    /// The review file (its path) is already there: it is never overwritten.
    #[error("{0} already exists; nothing was written")]
    Exists(String),
    /// `reviews/` could not be made, or the file not written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The folder or file that failed.
        path: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

/// Writes `content/reviews/<slug>.md` for a film and returns its path.
///
/// Nothing in it may go live by being forgotten: the film's title is the
/// one fact given, optional fields are commented out (with examples), and
/// the required `title` and `published` are left empty, so `marquee check`
/// and the server refuse the file, saying what to write, until the editor
/// fills them in. It also starts as a draft. `today` dates the examples.
pub fn new_review(
    content_dir: &Path,
    film_title: &str,
    today: Date,
) -> Result<PathBuf, ScaffoldError> {
    let film_title = film_title.trim();
    let slug = slug::slugify(film_title);
    if slug.is_empty() {
        return Err(ScaffoldError::NoSlug(film_title.to_string()));
    }
    let text = template(film_title, &slug, today);
    write_new(content_dir, REVIEWS_DIR, &format!("{slug}.md"), &text)
}

/// Writes `content/lists/<slug>.md` for a list titled `title`: the title
/// given, `published` left empty (so it is refused until filled in), a
/// draft, and the films as commented examples.
pub fn new_list(content_dir: &Path, title: &str, today: Date) -> Result<PathBuf, ScaffoldError> {
    let title = title.trim();
    let slug = slug::slugify(title);
    if slug.is_empty() {
        return Err(ScaffoldError::NoSlug(title.to_string()));
    }
    let text = list_template(title, today);
    write_new(content_dir, LISTS_DIR, &format!("{slug}.md"), &text)
}

/// Writes `content/diary/<year>.yaml` for this year, with one entry for
/// today whose film is left for the editor to name (so the file is refused
/// until it is). An existing year is never touched: add entries to it.
pub fn new_diary(content_dir: &Path, today: Date) -> Result<PathBuf, ScaffoldError> {
    let name = format!("{}.yaml", today.year());
    write_new(content_dir, DIARY_DIR, &name, &diary_template(today))
}

/// Writes `text` into the new file `folder/name`, making `folder` (but
/// never the content folder itself: a missing one is more likely a
/// mistyped `--content` than a wish for a new site in an odd place).
fn write_new(
    content_dir: &Path,
    folder: &str,
    name: &str,
    text: &str,
) -> Result<PathBuf, ScaffoldError> {
    let dir = content_dir.join(folder);
    let path = dir.join(name);
    let display = path.display().to_string();
    let write_error = |source| ScaffoldError::Write {
        path: display.clone(),
        source,
    };
    match std::fs::create_dir(&dir) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(write_error(error));
        }
        _ => {}
    }
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ScaffoldError::Exists(display));
        }
        Err(error) => return Err(write_error(error)),
    };
    file.write_all(text.as_bytes()).map_err(write_error)?;
    Ok(path)
}

/// A new list's text; the title goes through the YAML serializer, as a
/// film's title does.
fn list_template(title: &str, today: Date) -> String {
    let title = yaml_string(title);
    format!(
        "---
# Fill in `published` and the films: until then `marquee check` lists what
# is missing and the list is not published. Remove the `# ` before an
# optional field to use it.
title: {title}
# description: One sentence for /lists and feeds; by default the first paragraph below.
# ranked: true                # numbered, best first
published:                    # required: a date, e.g. {today}; a future one schedules the list
# updated: {today}
draft: true                   # only in preview (marquee serve --drafts) until you set false or remove this line
films:
  # - title: Anora            # required; the film's page joins on title and year
  #   year: 2024
  #   tmdb: 1064213           # optional ids: join films written under other titles
  #   imdb: tt28607951
  #   note: Why it is here, in markdown.
---
An optional introduction, in markdown.
"
    )
}

/// A new diary year's text: one entry for today, its film to be named.
fn diary_template(today: Date) -> String {
    format!(
        "# The films you watched in {year}, one entry each, in any order. Every
# `date` must be in {year}. Remove the `# ` before an optional field to use it.
entries:
  - date: {today}             # the day you watched it (required)
    film:
      title:                  # required: the film's title, e.g. Anora
      # year: 2024            # the film's release year
      # tmdb: 1064213         # optional ids: join films written under other titles
      # imdb: tt28607951
    # rating: 4.5             # 0.5 to 5 in steps of 0.5
    # rewatch: true           # you had seen it before
    # liked: true
    # note: A line or two of markdown.
    # review: anora           # the slug of your review of it
",
        year = today.year()
    )
}

/// The new file's text. The film's title goes through the YAML serializer
/// so that `Mission: Impossible` or `"Crocodile" Dundee` stays valid. The
/// guide to the body sits in YAML comments, where it can never be published.
fn template(film_title: &str, slug: &str, today: Date) -> String {
    let film = yaml_string(film_title);
    format!(
        "---
# Fill in `title` and `published`: until then `marquee check` lists what is
# missing and the review is not published. Remove the `# ` before an
# optional field to use it.
title:                        # required: the review's headline, e.g. An anti-Fairytale of New York
film:
  title: {film}
  # year: 2024                # the film's release year
  # director: Sean Baker
  # runtime: 138              # minutes, shown as \"2h 18m\"
  # poster: posters/{slug}.jpg  # under static/, beside a bundle's index.md, or a URL
# rating: 4.5                 # 0.5 to 5 in steps of 0.5; leave it out for an unrated piece
# spoilers: true              # shows \"This review may reveal later elements of the plot.\"
published:                    # required: a date, e.g. {today}, or a date-time, e.g. {today}T09:00:00Z; a future one schedules the review
# updated: {today}         # when you revise a published review
# watched: {today}         # the day you watched it: an entry in the diary
draft: true                   # only in preview (marquee serve --drafts) until you set false or remove this line
# release_dates:              # the release box, one item per region
#   - region: UK
#     date: {today}
# tags: [Drama, New York]
# summary: One sentence for listings and feeds; by default the first paragraph.
# slug: {slug}  # the URL name; by default the file name
# author: Your Name           # by default the site's author
#
# Write the review below the closing line, in markdown. Its first paragraph
# is the standfirst in listings and feeds. A passage that gives the plot away
# goes in a spoiler block, shown closed until the reader opens it:
#
#   ```spoiler What happens at the end
#   The passage, in markdown.
#   ```
---
"
    )
}

fn yaml_string(text: &str) -> String {
    serde_norway::to_string(text)
        .map(|yaml| yaml.trim_end().to_string())
        .unwrap_or_else(|_| format!("{text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::diary::parse_diary;
    use crate::content::error::ContentError;
    use crate::content::front_matter::Format;
    use crate::content::list::parse_list;
    use crate::content::review::{Location, Review, parse_review};
    use time::macros::date;

    fn parse(text: &str) -> Result<Review, ContentError> {
        parse_review(
            text,
            Location {
                path: "reviews/x.md",
                default_slug: "x",
                is_bundle: false,
                embed_hosts: &[],
            },
        )
    }

    #[test]
    fn writes_a_file_that_is_refused_until_filled_in_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let film = "Mission: Impossible – \"Dead\" Reckoning";
        let path = new_review(dir.path(), film, date!(2026 - 11 - 24)).unwrap();
        assert!(
            path.ends_with("reviews/mission-impossible-dead-reckoning.md"),
            "{path:?}"
        );
        let written = std::fs::read_to_string(&path).unwrap();
        let error = parse(&written).unwrap_err();
        assert_eq!(
            (error.field.as_deref(), error.line),
            (Some("title"), Some(5))
        );
        assert!(
            error.reason.starts_with("is empty; write a title"),
            "{error}"
        );

        let text = written.replacen("title:  ", "title: Headline", 1);
        let error = parse(&text).unwrap_err();
        assert_eq!(
            (error.field.as_deref(), error.line),
            (Some("published"), Some(14))
        );
        assert!(
            error.reason.contains("write a date such as 2024-10-18"),
            "{error}"
        );

        let text = text.replacen("published:  ", "published: 2026-12-01", 1);
        let review = parse(&text).unwrap();
        assert!(review.draft);
        assert_eq!(review.film.title, film);
        assert_eq!(
            (review.title.as_str(), review.slug.as_str()),
            ("Headline", "x")
        );

        let again = new_review(dir.path(), film, date!(2026 - 11 - 24));
        assert!(matches!(again, Err(ScaffoldError::Exists(_))));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    }

    #[test]
    fn nothing_made_up_is_published_once_the_required_fields_are_filled() {
        let text = template("Anora", "anora", date!(2026 - 11 - 24))
            .replacen("title:  ", "title: Headline", 1)
            .replacen("published:  ", "published: 2026-12-01", 1)
            .replacen("draft: true ", "draft: false", 1);
        let review = parse(&text).unwrap();
        assert!(!review.draft);
        assert_eq!(review.rating, None);
        assert_eq!(review.film.year, None);
        assert_eq!(review.film.director, None);
        assert_eq!(review.film.runtime_minutes, None);
        assert_eq!(review.film.poster, None);
        assert!(review.releases.is_empty() && review.tags.is_empty());
        assert!(!review.spoilers);
        assert_eq!(review.updated, None);
        assert_eq!((review.author, review.summary.as_str()), (None, ""));
        assert_eq!(review.body_html.trim(), "");
    }

    #[test]
    fn a_new_list_is_refused_until_published_is_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_list(dir.path(), "Best of: 2024", date!(2026 - 11 - 24)).unwrap();
        assert!(path.ends_with("lists/best-of-2024.md"), "{path:?}");
        let written = std::fs::read_to_string(&path).unwrap();
        let error = parse_list(&written, "lists/best-of-2024.md", "best-of-2024").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("published"), "{error}");
        let text = written
            .replacen("published:  ", "published: 2026-12-01", 1)
            .replacen("  # - title: Anora", "  - title: Anora", 1)
            .replacen("  #   year: 2024", "    year: 2024", 1);
        let list = parse_list(&text, "lists/best-of-2024.md", "best-of-2024").unwrap();
        assert_eq!(list.title, "Best of: 2024");
        assert!(list.draft && !list.ranked);
        assert_eq!(list.items[0].film.key.slug, "anora-2024");
        assert!(matches!(
            new_list(dir.path(), "Best of: 2024", date!(2026 - 11 - 24)),
            Err(ScaffoldError::Exists(_))
        ));
    }

    #[test]
    fn a_new_diary_year_is_refused_until_its_film_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_diary(dir.path(), date!(2026 - 11 - 24)).unwrap();
        assert!(path.ends_with("diary/2026.yaml"), "{path:?}");
        let written = std::fs::read_to_string(&path).unwrap();
        let error = parse_diary(&written, "diary/2026.yaml", 2026, Format::Yaml).unwrap_err();
        assert_eq!(
            (error.field.as_deref(), error.line),
            (Some("entries[0].film.title"), Some(6)),
            "{error}"
        );
        let text = written.replacen("title:       ", "title: Anora", 1);
        let diary = parse_diary(&text, "diary/2026.yaml", 2026, Format::Yaml).unwrap();
        assert_eq!(diary.entries[0].date, date!(2026 - 11 - 24));
        assert_eq!(diary.entries[0].rating, None);
        assert!(matches!(
            new_diary(dir.path(), date!(2026 - 01 - 01)),
            Err(ScaffoldError::Exists(_))
        ));
    }

    #[test]
    fn refuses_a_title_without_letters() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            new_review(dir.path(), "???", date!(2026 - 11 - 24)),
            Err(ScaffoldError::NoSlug(_))
        ));
    }
}
