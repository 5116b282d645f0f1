//! Standalone pages (`content/pages/<slug>.md`): an "About" page, a
//! colophon. They are served at `/{slug}` and may ask to be in the menu.

use serde::Deserialize;

use super::error::ContentError;
use super::fields::strip_controls;
use super::front_matter;
use super::markdown::{self, Target};
use super::messages;
use super::review::{check_rendered, default_slug, required_text, valid_slug};

/// URL names that belong to Marquee's own routes; a page cannot take them.
pub(crate) const RESERVED_SLUGS: &[&str] = &[
    "reviews",
    "tags",
    "ratings",
    "films",
    "film",
    "diary",
    "lists",
    "directors",
    "stats",
    "search",
    "static",
    "page",
    "feed.xml",
    "atom.xml",
    "feed.json",
    "sitemap.xml",
    "robots.txt",
    "healthz",
    "favicon.ico",
    "status",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageFrontMatter {
    pub(crate) title: String,
    /// For the meta description; by default the first paragraph.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Link the page from the site's navigation.
    #[serde(default)]
    pub(crate) menu: bool,
    /// Order in the navigation, lowest first.
    #[serde(default)]
    pub(crate) weight: i64,
    #[serde(default)]
    pub(crate) slug: Option<String>,
    #[serde(default)]
    pub(crate) draft: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub(crate) slug: String,
    /// The line of the `slug:` field, when the front matter sets one.
    pub(crate) slug_line: Option<usize>,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) body_html: String,
    pub(crate) menu: bool,
    pub(crate) weight: i64,
    pub(crate) draft: bool,
}

/// `embed_hosts` are the site's, which decide the iframes the body keeps.
pub(crate) fn parse_page(
    text: &str,
    path: &str,
    stem: &str,
    embed_hosts: &[String],
) -> Result<Page, ContentError> {
    let text = strip_controls(text);
    let split =
        front_matter::split(&text).map_err(|error| ContentError::new(path, error.to_string()))?;
    let raw: PageFrontMatter = front_matter::deserialize(&split).map_err(|error| {
        ContentError::new(path, error.reason)
            .at_line(error.line)
            .in_field(error.field)
    })?;
    let invalid = |field: &str, reason: &str| {
        ContentError::new(path, reason)
            .at_line(front_matter::line_of_field(&split, field))
            .in_field(field)
    };
    let title =
        required_text(&raw.title).ok_or_else(|| invalid("title", &messages::empty("title")))?;
    let slug = match raw.slug.as_deref() {
        Some(slug) => valid_slug(slug.trim())
            .ok_or_else(|| invalid("slug", "use lower-case letters, digits and hyphens"))?,
        None => default_slug(stem)
            .ok_or_else(|| invalid("slug", "the file name gives no usable URL name; set `slug`"))?,
    };
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(invalid(
            "slug",
            &format!("`/{slug}` is one of Marquee's own addresses; choose another slug"),
        ));
    }
    let rendered = markdown::render(
        split.body,
        Target {
            embed_hosts,
            ..Target::default()
        },
    );
    check_rendered(path, &rendered)?;
    Ok(Page {
        slug,
        slug_line: raw
            .slug
            .is_some()
            .then(|| front_matter::line_of_field(&split, "slug"))
            .flatten(),
        title,
        description: raw
            .description
            .as_deref()
            .and_then(required_text)
            .unwrap_or(rendered.first_paragraph),
        body_html: rendered.html,
        menu: raw.menu,
        weight: raw.weight,
        draft: raw.draft,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_menu_page() {
        let page = parse_page(
            "---\ntitle: About\nmenu: true\n---\nWho writes here.\n",
            "pages/about.md",
            "about",
            &[],
        )
        .unwrap();
        assert_eq!(page.slug, "about");
        assert!(page.menu);
        assert_eq!(page.description, "Who writes here.");
    }

    #[test]
    fn refuses_reserved_slugs() {
        let error =
            parse_page("---\ntitle: Tags\n---\n", "pages/tags.md", "tags", &[]).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("slug"));
    }
}
