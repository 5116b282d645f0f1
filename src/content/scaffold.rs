//! `marquee new "Film title"`: a new review file with every field in place
//! and documented, so an editor fills in blanks instead of remembering the
//! format, and nothing an editor forgets to change can go live.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use time::Date;

use super::loader::REVIEWS_DIR;

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
    let dir = content_dir.join(REVIEWS_DIR);
    let path = dir.join(format!("{slug}.md"));
    let display = path.display().to_string();
    let write_error = |source| ScaffoldError::Write {
        path: display.clone(),
        source,
    };
    // Only `reviews/` is made: a missing content folder is more likely a
    // mistyped `--content` than a wish for a new site in an odd place.
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
    file.write_all(template(film_title, &slug, today).as_bytes())
        .map_err(write_error)?;
    Ok(path)
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
    use crate::content::error::ContentError;
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
    fn refuses_a_title_without_letters() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            new_review(dir.path(), "???", date!(2026 - 11 - 24)),
            Err(ScaffoldError::NoSlug(_))
        ));
    }
}
