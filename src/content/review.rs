//! A review: its front matter as an editor writes it, and the validated form
//! the rest of Marquee works with.

use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::error::ContentError;
use super::fields::{DateText, strip_controls};
use super::film::{self, FilmKey};
use super::front_matter::{self, Split};
use super::markdown::{self, Rendered, Target};
use super::messages;
pub use super::rating::Rating;

/// The front matter of `content/reviews/<slug>.md`, exactly as written.
/// Unknown fields are refused so that a typo (`ratng: 4`) is an error the
/// editor sees, not a setting silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewFrontMatter {
    /// The review's headline.
    pub(crate) title: String,
    /// What is being reviewed.
    pub(crate) film: FilmFrontMatter,
    /// 0.5 to 5 in steps of 0.5; none for an unrated piece.
    #[serde(default)]
    pub(crate) rating: Option<f64>,
    /// Shows the whole-review spoiler notice.
    #[serde(default)]
    pub(crate) spoilers: bool,
    /// A date or an RFC 3339 date-time; in the future, the review waits.
    pub(crate) published: DateText,
    /// When the review was last revised, shown on the page and in feeds.
    #[serde(default)]
    pub(crate) updated: Option<DateText>,
    /// Unlisted and unreachable, except in preview mode.
    #[serde(default)]
    pub(crate) draft: bool,
    /// Release dates per region, for the release box.
    #[serde(default)]
    pub(crate) release_dates: Vec<ReleaseFrontMatter>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// The standfirst; by default the body's first paragraph.
    #[serde(default)]
    pub(crate) summary: Option<String>,
    /// The URL name; by default the file (or bundle folder) name.
    #[serde(default)]
    pub(crate) slug: Option<String>,
    /// By default the site's author.
    #[serde(default)]
    pub(crate) author: Option<String>,
    /// The day the critic watched the film: a diary entry of its own.
    #[serde(default)]
    pub(crate) watched: Option<DateText>,
    /// The Letterboxd entry this review was imported from, so that a second
    /// import recognises it rather than writing it again.
    #[serde(default)]
    pub(crate) letterboxd: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilmFrontMatter {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) year: Option<i32>,
    #[serde(default)]
    pub(crate) director: Option<String>,
    /// Minutes.
    #[serde(default)]
    pub(crate) runtime: Option<u32>,
    /// A path under `static/`, a file in the review's bundle, or a URL.
    #[serde(default)]
    pub(crate) poster: Option<String>,
    /// A poster URL's size in pixels, so that pages reserve its shape (a
    /// local file's is read from the file).
    #[serde(default)]
    pub(crate) poster_width: Option<u32>,
    #[serde(default)]
    pub(crate) poster_height: Option<u32>,
    /// A TMDB movie id: joins the film's diary and list entries, and links
    /// the film from its structured data.
    #[serde(default)]
    pub(crate) tmdb: Option<i64>,
    /// An IMDb title id (`tt…`), for the same.
    #[serde(default)]
    pub(crate) imdb: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseFrontMatter {
    pub(crate) region: String,
    pub(crate) date: DateText,
}

/// A name as written (a tag, a director, a release region) with the URL
/// segment made from it. The slug is made once, here: the store keeps both,
/// and nothing downstream slugifies again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub(crate) name: String,
    pub(crate) slug: String,
}

impl Named {
    /// `None` when the name has no letters or digits to make a slug from.
    pub(crate) fn new(name: String) -> Option<Self> {
        let slug = slug::slugify(&name);
        (!slug.is_empty()).then_some(Self { name, slug })
    }
}

/// The film a review is about, validated: the facts box, and the director
/// page it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Film {
    pub(crate) title: String,
    /// From 1870 to 2200.
    pub(crate) year: Option<i32>,
    pub(crate) director: Option<Named>,
    /// From 1 to 6000.
    pub(crate) runtime_minutes: Option<u32>,
    /// As written: a path under `static/`, a file in the bundle, or a URL;
    /// the web layer decides which.
    pub(crate) poster: Option<String>,
    /// The poster's size as the editor gave it (both or neither, each from
    /// 1 to 20,000 pixels): what a page reserves for a poster URL.
    pub(crate) poster_size: Option<(u32, u32)>,
    /// What joins the review to the film's page, diary and lists; `None`
    /// when the title has no letter or digit to make an address from.
    pub(crate) key: Option<FilmKey>,
}

/// One line of the release box: when the film opens in a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub(crate) region: Named,
    pub(crate) date: Date,
}

/// A review that passed validation, with its body rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub(crate) slug: String,
    /// The line of the `slug:` field, when the front matter sets one (for
    /// the error when another file holds the slug).
    pub(crate) slug_line: Option<usize>,
    /// The headline, trimmed and never empty.
    pub title: String,
    /// The film reviewed.
    pub film: Film,
    /// `None` for an unrated piece.
    pub rating: Option<Rating>,
    pub(crate) spoilers: bool,
    pub(crate) draft: bool,
    pub(crate) published: OffsetDateTime,
    pub(crate) updated: Option<OffsetDateTime>,
    /// Sorted by date, then region.
    pub releases: Vec<Release>,
    /// In the order written, without two of one slug.
    pub tags: Vec<Named>,
    /// The standfirst: `summary` when written, or else the body's first
    /// paragraph as plain text (which may be empty).
    pub summary: String,
    pub(crate) author: Option<String>,
    /// The day the film was watched, which stands for a diary entry.
    pub(crate) watched: Option<Date>,
    /// The markdown body as written; kept so feeds can render their variant.
    pub(crate) body_markdown: String,
    /// For a page bundle, the URL folder of its assets (`/reviews/anora/`).
    pub(crate) asset_base: Option<String>,
    /// The body as safe HTML for the review page (relative URLs resolved
    /// for a bundle, spoilers as closed disclosures).
    pub body_html: String,
    pub(crate) body_text: String,
    /// The local images the body shows, as linked (`Rendered::images`).
    pub(crate) body_images: Vec<String>,
    /// The Letterboxd entry's URI, for `marquee import letterboxd`.
    pub(crate) letterboxd: Option<String>,
}

/// Where a review file sits decides its default slug and whether it is a
/// bundle with assets beside it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location<'a> {
    /// Relative path for error messages (`reviews/anora.md`).
    pub(crate) path: &'a str,
    /// The file stem, or the bundle folder's name for `<slug>/index.md`.
    pub(crate) default_slug: &'a str,
    pub(crate) is_bundle: bool,
    /// The site's `embed_hosts`, which decide the iframes the body keeps.
    pub(crate) embed_hosts: &'a [String],
}

pub(crate) fn parse_review(text: &str, location: Location<'_>) -> Result<Review, ContentError> {
    let path = location.path;
    let text = strip_controls(text);
    let split = front_matter::split(&text).map_err(|error| {
        let line = matches!(error, front_matter::SplitError::Unterminated(_)).then_some(1);
        ContentError::new(path, error.to_string()).at_line(line)
    })?;
    let raw: ReviewFrontMatter = front_matter::deserialize(&split).map_err(|error| {
        ContentError::new(path, error.reason)
            .at_line(error.line)
            .in_field(error.field)
    })?;
    let invalid = |field: &str, reason: String| {
        ContentError::new(path, reason)
            .at_line(front_matter::line_of_field(&split, field))
            .in_field(field)
    };
    validate(raw, &split, location, invalid)
}

fn validate(
    raw: ReviewFrontMatter,
    split: &Split<'_>,
    location: Location<'_>,
    invalid: impl Fn(&str, String) -> ContentError,
) -> Result<Review, ContentError> {
    let title =
        required_text(&raw.title).ok_or_else(|| invalid("title", messages::empty("title")))?;
    let film_title = required_text(&raw.film.title)
        .ok_or_else(|| invalid("film.title", messages::empty("film.title")))?;
    let rating = match raw.rating {
        None => None,
        Some(stars) => Some(Rating::from_stars(stars).ok_or_else(|| {
            invalid(
                "rating",
                format!("must be between 0.5 and 5 in steps of 0.5 (found {stars})"),
            )
        })?),
    };
    film::check_year(raw.film.year).map_err(|reason| invalid("film.year", reason))?;
    let tmdb = film::check_tmdb(raw.film.tmdb).map_err(|reason| invalid("film.tmdb", reason))?;
    let imdb = film::check_imdb(raw.film.imdb.as_deref())
        .map_err(|reason| invalid("film.imdb", reason))?;
    let key = film::film_slug(&film_title, raw.film.year).map(|slug| FilmKey { slug, tmdb, imdb });
    if let Some(runtime) = raw.film.runtime
        && !(1..=6000).contains(&runtime)
    {
        return Err(invalid(
            "film.runtime",
            format!(
                "{runtime} is not a runtime in minutes; write a whole number from 1 to 6000, such as 138"
            ),
        ));
    }
    let poster_size = poster_size(raw.film.poster_width, raw.film.poster_height)
        .map_err(|(field, reason)| invalid(field, reason))?;
    let published = raw
        .published
        .to_moment()
        .map_err(|reason| invalid("published", reason))?;
    let updated = raw
        .updated
        .map(|updated| updated.to_moment())
        .transpose()
        .map_err(|reason| invalid("updated", reason))?;
    let releases = releases(raw.release_dates, &invalid)?;
    let watched = raw
        .watched
        .map(|watched| watched.to_date())
        .transpose()
        .map_err(|reason| invalid("watched", reason))?;
    let slug = match raw.slug.as_deref().map(str::trim) {
        Some(slug) => valid_slug(slug).ok_or_else(|| {
            invalid(
                "slug",
                format!(
                    "`{slug}` is not a usable URL name: use lower-case letters, digits and hyphens"
                ),
            )
        })?,
        None => default_slug(location.default_slug).ok_or_else(|| {
            invalid(
                "slug",
                "the file name gives no usable URL name; set `slug`".into(),
            )
        })?,
    };
    let tags = tags(raw.tags, &invalid)?;
    let director = match raw.film.director.as_deref().and_then(required_text) {
        None => None,
        Some(name) => Some(Named::new(name.clone()).ok_or_else(|| {
            invalid(
                "film.director",
                format!(
                    "the name `{name}` has no letters or digits, so its director page would have no address; write {}",
                    messages::what_to_write("film.director").unwrap_or_default()
                ),
            )
        })?),
    };
    let asset_base = location.is_bundle.then(|| format!("/reviews/{slug}/"));
    let rendered = markdown::render(
        split.body,
        Target {
            asset_base: asset_base.as_deref(),
            feed: None,
            embed_hosts: location.embed_hosts,
        },
    );
    check_rendered(location.path, &rendered)?;
    let summary = raw
        .summary
        .as_deref()
        .and_then(required_text)
        .unwrap_or(rendered.first_paragraph);
    Ok(Review {
        slug,
        slug_line: raw
            .slug
            .is_some()
            .then(|| front_matter::line_of_field(split, "slug"))
            .flatten(),
        title,
        film: Film {
            title: film_title,
            year: raw.film.year,
            director,
            runtime_minutes: raw.film.runtime,
            poster: raw.film.poster.as_deref().and_then(required_text),
            poster_size,
            key,
        },
        rating,
        spoilers: raw.spoilers,
        draft: raw.draft,
        published,
        updated,
        releases,
        tags,
        summary,
        author: raw.author.as_deref().and_then(required_text),
        watched,
        body_markdown: split.body.to_string(),
        asset_base,
        body_html: rendered.html,
        body_text: rendered.text,
        body_images: rendered.images,
        letterboxd: raw.letterboxd.as_deref().and_then(required_text),
    })
}

fn releases(
    raw: Vec<ReleaseFrontMatter>,
    invalid: &impl Fn(&str, String) -> ContentError,
) -> Result<Vec<Release>, ContentError> {
    let mut releases = Vec::with_capacity(raw.len());
    for (index, release) in raw.into_iter().enumerate() {
        let field = format!("release_dates[{index}]");
        let region_field = format!("{field}.region");
        let region = required_text(&release.region)
            .ok_or_else(|| invalid(&region_field, messages::empty(&region_field)))?;
        let date = release
            .date
            .to_date()
            .map_err(|reason| invalid(&format!("{field}.date"), reason))?;
        // The region's slug names its calendar file.
        let Some(region) = Named::new(region.clone()) else {
            return Err(invalid(
                &region_field,
                format!(
                    "the region `{region}` has no letters or digits, so its calendar link would have no address; write {}",
                    messages::what_to_write("release_dates.region").unwrap_or_default()
                ),
            ));
        };
        // One calendar file per region: `UK` and `U.K.` would share one.
        if releases
            .iter()
            .any(|r: &Release| r.region.slug == region.slug)
        {
            return Err(invalid(
                &region_field,
                format!(
                    "the region `{}` is listed twice; give each region one line",
                    region.name
                ),
            ));
        }
        releases.push(Release { region, date });
    }
    releases.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.region.name.cmp(&b.region.name))
    });
    Ok(releases)
}

fn tags(
    raw: Vec<String>,
    invalid: &impl Fn(&str, String) -> ContentError,
) -> Result<Vec<Named>, ContentError> {
    let mut tags: Vec<Named> = Vec::with_capacity(raw.len());
    for tag in raw {
        let Some(tag) = required_text(&tag) else {
            return Err(invalid(
                "tags",
                "a tag is empty; remove it or write a tag, such as Drama".into(),
            ));
        };
        let Some(tag) = Named::new(tag.clone()) else {
            return Err(invalid(
                "tags",
                format!(
                    "the tag `{tag}` has no letters or digits; write a tag with some, such as Drama"
                ),
            ));
        };
        if !tags.iter().any(|t| t.slug == tag.slug) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// Why a body whose raw HTML cannot be sanitized is refused.
pub(crate) const TOO_MUCH_HTML: &str = "the body mixes raw HTML with too many tags (over 20,000) to be made safe; write it in markdown, or split it";

/// The most HTML a body may render to. Its page then stays well within
/// what the page cache keeps (`web::cache`): every page is served from
/// memory, shared by every client that asks for it, rather than rendered
/// again for each (a body of 14 MB, rendered once per client that stopped
/// reading, took the server past a gigabyte). Some 300,000 words of prose.
pub(crate) const MAX_BODY_HTML: usize = 2 * 1024 * 1024;

/// A rendered body fit to publish: one the sanitizer could make safe, of
/// at most `MAX_BODY_HTML`.
pub(crate) fn check_rendered(path: &str, rendered: &Rendered) -> Result<(), ContentError> {
    if rendered.too_much_html {
        return Err(ContentError::new(path, TOO_MUCH_HTML));
    }
    if rendered.html.len() > MAX_BODY_HTML {
        let megabytes = rendered.html.len() as f64 / (1024.0 * 1024.0);
        return Err(ContentError::new(
            path,
            format!(
                "the body renders to {megabytes:.1} MB of HTML, more than the 2 MB a page may show; split it into parts"
            ),
        ));
    }
    Ok(())
}

/// Cleans a front-matter string of control characters (a YAML `"\e"` is
/// an ESC) and trims it; returns it when anything is left.
pub(crate) fn required_text(text: &str) -> Option<String> {
    let text = strip_controls(text);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// An explicit slug must already be a clean URL segment.
pub(crate) fn valid_slug(slug: &str) -> Option<String> {
    (!slug.is_empty() && slug::slugify(slug) == slug).then(|| slug.to_string())
}

/// A file name becomes a slug the way an editor would expect:
/// `The Brutalist.md` → `the-brutalist`.
pub(crate) fn default_slug(stem: &str) -> Option<String> {
    let slug = slug::slugify(stem);
    (!slug.is_empty()).then_some(slug)
}

/// The largest poster side an editor may give, in pixels.
const MAX_POSTER_SIDE: u32 = 20_000;

/// `film.poster_width` and `film.poster_height` checked: both or neither,
/// each a plausible number of pixels.
fn poster_size(
    width: Option<u32>,
    height: Option<u32>,
) -> Result<Option<(u32, u32)>, (&'static str, String)> {
    let check = |field: &'static str, pixels: u32| {
        if (1..=MAX_POSTER_SIDE).contains(&pixels) {
            Ok(pixels)
        } else {
            Err((
                field,
                format!(
                    "{pixels} is not a poster size; write the poster's size in whole pixels, from 1 to 20000, such as 500"
                ),
            ))
        }
    };
    match (width, height) {
        (None, None) => Ok(None),
        (Some(width), Some(height)) => Ok(Some((
            check("film.poster_width", width)?,
            check("film.poster_height", height)?,
        ))),
        (Some(_), None) => Err((
            "film.poster_height",
            "is missing; give both poster_width and poster_height, such as 500 and 750".into(),
        )),
        (None, Some(_)) => Err((
            "film.poster_width",
            "is missing; give both poster_width and poster_height, such as 500 and 750".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const LOCATION: Location<'static> = Location {
        path: "reviews/test.md",
        default_slug: "test",
        is_bundle: false,
        embed_hosts: &[],
    };

    fn parse(text: &str) -> Result<Review, ContentError> {
        parse_review(text, LOCATION)
    }

    const MINIMAL: &str = "---\ntitle: Headline\nfilm:\n  title: Film\npublished: 2024-10-18\n---\nFirst paragraph.\n\nSecond.\n";

    #[test]
    fn parses_a_minimal_review_with_defaults() {
        let review = parse(MINIMAL).unwrap();
        assert_eq!(review.slug, "test");
        assert_eq!(review.summary, "First paragraph.");
        assert_eq!(review.published, datetime!(2024-10-18 0:00 UTC));
        assert!(!review.spoilers && !review.draft);
        assert_eq!(review.rating, None);
    }

    #[test]
    fn parses_every_field_in_toml() {
        let text = r#"+++
title = "Headline"
rating = 3.5
spoilers = true
published = 2024-10-18T09:00:00Z
updated = 2024-12-03
tags = ["Drama", "drama", "New York"]
summary = "Standfirst."
slug = "custom"
author = "Someone"
release_dates = [{ region = "US", date = 2024-10-18 }, { region = "UK", date = 2024-11-01 }]
[film]
title = "Anora"
year = 2024
director = "Sean Baker"
runtime = 138
+++
Body.
"#;
        let review = parse(text).unwrap();
        assert_eq!(review.slug, "custom");
        assert_eq!(review.rating, Rating::from_halves(7));
        let tags: Vec<&str> = review.tags.iter().map(|tag| tag.name.as_str()).collect();
        assert_eq!(tags, vec!["Drama", "New York"]);
        assert_eq!(review.summary, "Standfirst.");
        assert_eq!(review.updated, Some(datetime!(2024-12-03 0:00 UTC)));
        assert_eq!(review.film.runtime_minutes, Some(138));
        let regions: Vec<_> = review
            .releases
            .iter()
            .map(|r| (r.region.name.as_str(), r.date))
            .collect();
        assert_eq!(
            regions,
            vec![("US", date!(2024 - 10 - 18)), ("UK", date!(2024 - 11 - 01))]
        );
    }

    #[test]
    fn keeps_the_letterboxd_uri_an_import_recorded() {
        let text = MINIMAL.replace(
            "published:",
            "letterboxd: ' https://boxd.it/aB3 '\npublished:",
        );
        assert_eq!(
            parse(&text).unwrap().letterboxd.as_deref(),
            Some("https://boxd.it/aB3")
        );
        assert_eq!(parse(MINIMAL).unwrap().letterboxd, None);
    }

    #[test]
    fn a_bad_rating_names_field_and_line() {
        let text = MINIMAL.replace("published:", "rating: 4.3\npublished:");
        let error = parse(&text).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rating"));
        assert_eq!(error.line, Some(5));
        assert!(error.reason.contains("4.3"), "{error}");
    }

    #[test]
    fn an_impossible_date_is_an_error() {
        let error = parse(&MINIMAL.replace("2024-10-18", "2024-02-30")).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("published"));
        assert_eq!(error.line, Some(5));
    }

    #[test]
    fn a_missing_title_is_an_error() {
        let error = parse(&MINIMAL.replace("title: Headline\n", "")).unwrap_err();
        assert!(error.reason.contains("title"), "{error}");
    }

    #[test]
    fn an_unknown_field_is_an_error() {
        let error = parse(&MINIMAL.replace("published:", "ratng: 4\npublished:")).unwrap_err();
        assert!(error.reason.contains("ratng"), "{error}");
        assert_eq!(error.line, Some(5));
    }

    #[test]
    fn names_without_letters_or_digits_are_refused_with_their_field() {
        let error =
            parse(&MINIMAL.replace("  title: Film\n", "  title: Film\n  director: \"!!!\"\n"))
                .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("film.director"));
        assert_eq!(error.line, Some(5));
        assert!(error.reason.contains("such as Sean Baker"), "{error}");
        let releases = "release_dates:\n  - region: UK\n    date: 2024-11-01\n  - region: \"???\"\n    date: 2024-11-02\n";
        let error =
            parse(&MINIMAL.replace("---\nFirst", &format!("{releases}---\nFirst"))).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("release_dates[1].region"));
        assert_eq!(error.line, Some(9));
        assert!(error.reason.contains("such as UK"), "{error}");
    }

    #[test]
    fn control_characters_are_dropped_from_body_and_front_matter() {
        let text = MINIMAL
            .replace(
                "title: Headline",
                "title: \"Head\\e[31mline\\0\"\nauthor: \"A\\x85B\"",
            )
            .replace(
                "First paragraph.",
                "First\u{0} para\u{b}graph\u{1b}.\u{7f}\u{ffff}",
            );
        let review = parse(&text).unwrap();
        assert_eq!(review.title, "Head[31mline");
        assert_eq!(review.author.as_deref(), Some("AB"));
        assert_eq!(review.summary, "First paragraph.");
        for output in [&review.body_html, &review.body_markdown, &review.body_text] {
            assert!(
                !output.contains(|c: char| c.is_control() && c != '\n'),
                "{output:?}"
            );
        }
    }

    #[test]
    fn values_out_of_bounds_say_what_would_be_right() {
        for (from, to, field, right) in [
            (
                "  title: Film\n",
                "  title: Film\n  year: 20024\n",
                "film.year",
                "such as 2024",
            ),
            (
                "  title: Film\n",
                "  title: Film\n  runtime: 0\n",
                "film.runtime",
                "such as 138",
            ),
            (
                "  title: Film\n",
                "  title: Film\n  poster: https://img.example/p.jpg\n  poster_width: 500\n",
                "film.poster_height",
                "such as 500 and 750",
            ),
            (
                "  title: Film\n",
                "  title: Film\n  poster_width: 0\n  poster_height: 750\n",
                "film.poster_width",
                "such as 500",
            ),
            (
                "published:",
                "tags: [\"\"]\npublished:",
                "tags",
                "such as Drama",
            ),
            (
                "published:",
                "tags: [\"--\"]\npublished:",
                "tags",
                "such as Drama",
            ),
        ] {
            let error = parse(&MINIMAL.replace(from, to)).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{error}");
            assert!(error.reason.ends_with(right), "{error}");
        }
    }

    #[test]
    fn a_body_that_renders_past_the_page_limit_is_refused() {
        // Four bytes of markdown, eleven of HTML: well under the file size
        // limit, over the page's once rendered.
        let body = "- a\n".repeat(MAX_BODY_HTML / 8);
        let error = parse(&format!("{MINIMAL}{body}")).unwrap_err();
        assert!(
            error.reason.starts_with("the body renders to 2.")
                && error.reason.ends_with("split it into parts"),
            "{error}"
        );
        let body = "- a\n".repeat(MAX_BODY_HTML / 16);
        assert!(parse(&format!("{MINIMAL}{body}")).is_ok());
    }

    #[test]
    fn an_empty_title_says_what_to_write() {
        let error = parse(&MINIMAL.replace("title: Headline", "title: \"  \"")).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("title"));
        assert_eq!(error.line, Some(2));
        assert!(
            error.reason.starts_with("is empty; write a title"),
            "{error}"
        );
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert_eq!(parse("").unwrap_err().reason, "the file is empty");
    }

    #[test]
    fn slugs_come_from_file_names() {
        assert_eq!(
            default_slug("The Brutalist").as_deref(),
            Some("the-brutalist")
        );
        assert_eq!(valid_slug("Not A Slug"), None);
        let error =
            parse(&MINIMAL.replace("published:", "slug: Not A Slug\npublished:")).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("slug"));
    }

    #[test]
    fn bundles_resolve_assets() {
        let location = Location {
            path: "reviews/test/index.md",
            default_slug: "test",
            is_bundle: true,
            embed_hosts: &[],
        };
        let review = parse_review(
            &format!(
                "{MINIMAL}\n![still](still.jpg) ![again](still.jpg)\n\n![set](/static/sets/a.png) \
                 ![far](https://img.example/b.jpg) ![other](/reviews/other/c.jpg)\n"
            ),
            location,
        )
        .unwrap();
        assert!(
            review.body_html.contains("/reviews/test/still.jpg"),
            "{}",
            review.body_html
        );
        // The images the site serves itself, each once: the bundle's and
        // the static folder's, not a URL's nor another review's.
        assert_eq!(
            review.body_images,
            ["/reviews/test/still.jpg", "/static/sets/a.png"]
        );
    }
}
