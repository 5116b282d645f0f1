//! Lists: `content/lists/{slug}.md`, a critic's ranked or unranked
//! selection of films (a year's top ten), with an optional introduction in
//! markdown. Drafts and scheduling work as for reviews.

use serde::Deserialize;
use time::OffsetDateTime;

use super::diary::note_html;
use super::error::ContentError;
use super::fields::{DateText, strip_controls};
use super::film::{self, FilmRef};
use super::front_matter;
use super::markdown::{self, Target};
use super::review::{check_rendered, required_text};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFrontMatter {
    title: String,
    /// For the listing and the meta description; by default the
    /// introduction's first paragraph.
    #[serde(default)]
    description: Option<String>,
    /// Numbered, best first.
    #[serde(default)]
    ranked: bool,
    published: DateText,
    #[serde(default)]
    updated: Option<DateText>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    films: Vec<ListFilmFields>,
    /// The Letterboxd list this one was imported from.
    #[serde(default)]
    letterboxd: Option<String>,
}

/// One film of a list as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilmFields {
    title: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    tmdb: Option<i64>,
    #[serde(default)]
    imdb: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// A list that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) ranked: bool,
    pub(crate) published: OffsetDateTime,
    pub(crate) updated: Option<OffsetDateTime>,
    pub(crate) draft: bool,
    pub(crate) intro_html: String,
    pub(crate) items: Vec<ListItem>,
    /// The Letterboxd list's URL, so that a second import recognises it.
    pub(crate) letterboxd: Option<String>,
}

/// One film of a list, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub(crate) film: FilmRef,
    pub(crate) note_html: Option<String>,
}

/// Parses `lists/{stem}.md`. The file name is the list's address, so it
/// must already be one: two files could otherwise fold to one slug.
pub(crate) fn parse_list(text: &str, path: &str, stem: &str) -> Result<List, ContentError> {
    let slug = super::review::valid_slug(stem).ok_or_else(|| {
        ContentError::new(
            path,
            "a list's file name is its address: name it with lower-case letters, digits and hyphens, such as best-of-2024.md",
        )
    })?;
    let text = strip_controls(text);
    let split = front_matter::split(&text).map_err(|error| {
        let line = matches!(error, front_matter::SplitError::Unterminated(_)).then_some(1);
        ContentError::new(path, error.to_string()).at_line(line)
    })?;
    let raw: ListFrontMatter = front_matter::deserialize(&split).map_err(|error| {
        ContentError::new(path, error.reason)
            .at_line(error.line)
            .in_field(error.field)
    })?;
    let invalid = |field: &str, reason: String| {
        ContentError::new(path, reason)
            .at_line(front_matter::line_of_field(&split, field))
            .in_field(field)
    };
    let title = required_text(&raw.title)
        .ok_or_else(|| invalid("title", "is empty; write the list's title".into()))?;
    let published = raw
        .published
        .to_moment()
        .map_err(|reason| invalid("published", reason))?;
    let updated = raw
        .updated
        .map(|updated| updated.to_moment())
        .transpose()
        .map_err(|reason| invalid("updated", reason))?;
    let mut items = Vec::with_capacity(raw.films.len());
    for (index, item) in raw.films.into_iter().enumerate() {
        let at = format!("films[{index}]");
        let fields = film::FilmFields {
            title: item.title,
            year: item.year,
            tmdb: item.tmdb,
            imdb: item.imdb,
        };
        items.push(ListItem {
            film: film::validate(&fields, &at, &invalid)?,
            note_html: item
                .note
                .as_deref()
                .and_then(required_text)
                .as_deref()
                .map(note_html),
        });
    }
    let rendered = markdown::render(
        split.body,
        Target {
            asset_base: None,
            feed: None,
            embed_hosts: &[],
        },
    );
    check_rendered(path, &rendered)?;
    let description = raw
        .description
        .as_deref()
        .and_then(required_text)
        .unwrap_or(rendered.first_paragraph);
    Ok(List {
        slug,
        title,
        description,
        ranked: raw.ranked,
        published,
        updated,
        draft: raw.draft,
        intro_html: rendered.html,
        items,
        letterboxd: raw.letterboxd.as_deref().and_then(required_text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_ranked_list() {
        let list = parse_list(
            "---\ntitle: Best of 2024\nranked: true\npublished: 2024-12-20\nfilms:\n  - title: Anora\n    year: 2024\n    note: The one.\n  - title: Flow\n    year: 2024\n---\nMy year.\n",
            "lists/best-of-2024.md",
            "best-of-2024",
        )
        .unwrap();
        assert_eq!(list.slug, "best-of-2024");
        assert!(list.ranked);
        assert_eq!(list.description, "My year.");
        let slugs: Vec<&str> = list
            .items
            .iter()
            .map(|i| i.film.key.slug.as_str())
            .collect();
        assert_eq!(slugs, ["anora-2024", "flow-2024"]);
    }

    #[test]
    fn keeps_the_letterboxd_url_an_import_recorded() {
        let list = parse_list(
            "---\ntitle: L\npublished: 2024-12-20\nletterboxd: https://letterboxd.com/someone/list/l/\n---\n",
            "lists/l.md",
            "l",
        )
        .unwrap();
        assert_eq!(
            list.letterboxd.as_deref(),
            Some("https://letterboxd.com/someone/list/l/")
        );
    }

    #[test]
    fn a_bad_film_names_its_line_and_a_bad_name_its_file() {
        let error = parse_list(
            "---\ntitle: L\npublished: 2024-12-20\nfilms:\n  - title: Anora\n    imdb: nope\n---\n",
            "lists/l.md",
            "l",
        )
        .unwrap_err();
        assert_eq!(
            (error.line, error.field.as_deref()),
            (Some(6), Some("films[0].imdb"))
        );
        assert!(
            parse_list(
                "---\ntitle: L\npublished: 2024-12-20\n---\n",
                "lists/Best.md",
                "Best"
            )
            .is_err()
        );
    }
}
