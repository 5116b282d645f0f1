//! `marquee new "Film title"`: a new review file with every field in place,
//! so an editor fills in blanks instead of remembering the format.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use time::Date;

use super::loader::REVIEWS_DIR;

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("the title `{0}` gives no usable file name; use some letters or digits")]
    NoSlug(String),
    #[error("{0} already exists; nothing was written")]
    Exists(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Writes `content/reviews/<slug>.md` for a film and returns its path. The
/// review starts as a draft, dated today, so saving it publishes nothing
/// until the editor says so.
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

/// The new file's text. The title goes through the YAML serializer so that
/// a film called `Mission: Impossible` or `"Crocodile" Dundee` stays valid.
fn template(film_title: &str, slug: &str, today: Date) -> String {
    let title = yaml_string(film_title);
    let year = today.year();
    format!(
        "---
title: {title}            # the review's headline
film:
  title: {title}
  year: {year}              # the film's release year
  director:                 # e.g. Sean Baker
  runtime:                  # minutes, e.g. 138
  # poster: posters/{slug}.jpg   # under static/, beside a bundle's index.md, or a URL
rating: 3.5                 # 0.5 to 5 in steps of 0.5; remove for an unrated piece
spoilers: false             # true shows \"This review may reveal later elements of the plot.\"
published: {today}         # a date, or a date-time like {today}T09:00:00Z; a future one schedules the review
# updated: {today}         # when you revise a published review
draft: true                 # a draft is visible only in preview (marquee serve --drafts); set false to publish
release_dates:              # the release box; one line per region
  - region: UK
    date: {today}
tags: []                    # e.g. [drama, new-york]
# summary: One sentence for listings and feeds; by default the first paragraph.
# slug: {slug}              # the URL name; by default the file name
# author: Your Name         # by default the site's author
---
The first paragraph is the standfirst readers see in listings and feeds.

Write the review here, in markdown. A passage that gives away the plot can
sit in a spoiler block, shown closed until the reader opens it:

```spoiler What happens at the end
The twist, in full.
```
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
    use crate::content::review::{Location, parse_review};
    use time::macros::date;

    #[test]
    fn writes_a_draft_that_parses_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = new_review(
            dir.path(),
            "Mission: Impossible – \"Dead\" Reckoning",
            date!(2026 - 11 - 24),
        )
        .unwrap();
        assert!(
            path.ends_with("reviews/mission-impossible-dead-reckoning.md"),
            "{path:?}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let review = parse_review(
            &text,
            Location {
                path: "reviews/x.md",
                default_slug: "mission-impossible-dead-reckoning",
                is_bundle: false,
                embed_hosts: &[],
            },
        )
        .unwrap();
        assert_eq!(
            review.film.title,
            "Mission: Impossible – \"Dead\" Reckoning"
        );
        assert!(review.draft);
        assert_eq!(review.releases.len(), 1);
        let again = new_review(
            dir.path(),
            "Mission: Impossible – \"Dead\" Reckoning",
            date!(2026 - 11 - 24),
        );
        assert!(matches!(again, Err(ScaffoldError::Exists(_))));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
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
