//! Gathering a feed once, whatever its format: the newest visible reviews
//! (of a tag, if given), each rendered for feed readers (absolute links,
//! spoiler blocks replaced by a link to the site), with its dates kept at
//! or before now.

use std::collections::HashMap;

use askama::Template;
use time::OffsetDateTime;

use super::{Entry, Feed};
use crate::content::markdown::{self, FeedTarget, Target};
use crate::content::site::Site;
use crate::db;
use crate::db::reviews::{ReleaseRow, ReviewRow, TagRow};
use crate::render::filters;
use crate::render::views::{ReleaseView, Stars};
use crate::web::error::AppError;
use crate::web::{AppState, modified, urls};

/// The HTML of one item's full content. A template rather than `format!`
/// so that every value is escaped.
#[derive(Template)]
#[template(path = "feeds/entry.html")]
struct EntryContent<'a> {
    /// The review's own headline (the item title is the film's).
    headline: &'a str,
    film_title: &'a str,
    stars: Option<&'a Stars>,
    /// Absolute.
    poster_url: Option<String>,
    spoilers: bool,
    /// The body rendered for feeds.
    body_html: &'a str,
    releases: Vec<ReleaseView>,
    /// The review's absolute URL; calendar links hang off it.
    page_url: &'a str,
}

/// Reads the newest visible reviews (of a tag, if given) and prepares them
/// for any format. An unknown tag, or one only drafts carry, is a 404.
pub(super) async fn gather(
    state: &AppState,
    tag: Option<&str>,
    self_path: &str,
) -> Result<Feed, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let site = state.site.get();
    let (title, description, home_path) = match tag {
        None => (site.title.clone(), site.tagline.clone(), "/".to_string()),
        Some(slug) => {
            let name = db::reviews::tag_name(&mut *tx, now, slug)
                .await?
                .ok_or(AppError::NotFound)?;
            (
                format!("{} — {name}", site.title),
                format!("Film reviews tagged {name} on {}.", site.title),
                format!("/tags/{slug}"),
            )
        }
    };
    let rows = db::reviews::latest_full(&mut *tx, now, tag, i64::from(site.feed_items)).await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut tags = by_review(db::reviews::tags_of(&mut *tx, &ids).await?, |t| t.review_id);
    let mut releases = by_review(db::reviews::releases_of(&mut *tx, &ids).await?, |r| {
        r.review_id
    });
    // A review leaving the feed changes it without any remaining item
    // changing: the catalog's time covers that. An `updated` in the future
    // counts as now, here and in each item (see `entry`).
    let modified = rows
        .iter()
        .map(changed_at)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .max(modified::catalog(&mut tx, &state.options.content_dir, now).await?)
        .min(now);
    let entries = rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            let tags = tags.remove(&id).unwrap_or_default();
            let releases = releases.remove(&id).unwrap_or_default();
            entry(&site, &row, &tags, releases, now)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let description = if description.trim().is_empty() {
        title.clone()
    } else {
        description
    };
    Ok(Feed {
        title: xml_safe(&title),
        description: xml_safe(&description),
        language: site.language.clone(),
        author: xml_safe(&site.author),
        home_url: site.url(&home_path),
        self_url: site.url(self_path),
        modified,
        entries,
    })
}

/// The last time a review's feed item could have changed.
fn changed_at(row: &ReviewRow) -> OffsetDateTime {
    let updated = row.updated.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    row.published.max(updated).max(row.modified)
}

/// Groups rows fetched for several reviews at once by their review.
fn by_review<T>(rows: Vec<T>, review_id: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(review_id(&row)).or_default().push(row);
    }
    grouped
}

fn entry(
    site: &Site,
    row: &ReviewRow,
    tags: &[TagRow],
    releases: Vec<ReleaseRow>,
    now: OffsetDateTime,
) -> Result<Entry, AppError> {
    let url = site.url(&urls::review(&row.slug));
    let stars = row.rating.map(Stars::from);
    let body = markdown::render(
        &row.body_markdown,
        Target {
            asset_base: row.asset_base.as_deref(),
            feed: Some(FeedTarget {
                base_url: &site.base_url,
                page_url: &url,
            }),
            embed_hosts: &site.embed_hosts,
        },
    );
    let poster = urls::poster(row.poster.as_deref(), row.asset_base.as_deref()).map(|poster| {
        if poster.starts_with('/') {
            site.url(&poster)
        } else {
            poster
        }
    });
    let content = EntryContent {
        headline: &row.title,
        film_title: &row.film_title,
        stars: stars.as_ref(),
        poster_url: poster,
        spoilers: row.spoilers,
        body_html: &body.html,
        releases: releases
            .into_iter()
            .map(|release| ReleaseView::from_row(release, now.date()))
            .collect(),
        page_url: &url,
    }
    .render()?;
    Ok(Entry {
        title: xml_safe(&item_title(&row.film_title, row.film_year, stars.as_ref())),
        // A feed reader takes a date after its own clock as a promise; the
        // page's byline shows the date as written.
        published: row.published.min(now),
        updated: row.updated.map(|updated| updated.min(now)),
        author: xml_safe(row.author.as_deref().unwrap_or(&site.author)),
        summary: xml_safe(&row.summary),
        content_html: xml_safe(&content),
        tags: tags.iter().map(|tag| xml_safe(&tag.name)).collect(),
        url,
    })
}

/// "Anora (2024) ★★★★★": the film, its year and the rating, each if known.
pub(super) fn item_title(film_title: &str, year: Option<i32>, stars: Option<&Stars>) -> String {
    [
        Some(film_title.to_string()),
        year.map(|year| format!("({year})")),
        stars.map(|stars| stars.glyphs.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// Drops the characters XML 1.0 cannot carry at all, not even escaped
/// (control characters other than tab and newlines, U+FFFE, U+FFFF), with
/// the content loader's own rule. Content is cleaned when it is loaded;
/// this also covers the site's text and anything stored before that rule,
/// since one stray character makes the whole feed unreadable.
pub(super) fn xml_safe(text: &str) -> String {
    crate::content::fields::strip_controls(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::review::Rating;

    #[test]
    fn item_titles_name_film_year_and_rating() {
        let stars = Rating::from_halves(10).map(Stars::from);
        assert_eq!(
            item_title("Anora", Some(2024), stars.as_ref()),
            "Anora (2024) ★★★★★"
        );
        assert_eq!(item_title("Anora", None, None), "Anora");
        assert_eq!(
            item_title(
                "Brat",
                None,
                Rating::from_halves(7).map(Stars::from).as_ref()
            ),
            "Brat ★★★½"
        );
    }

    #[test]
    fn xml_safe_keeps_text_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_safe("Fish & <Chips> ]]> 🎬 Кино\tok\n"),
            "Fish & <Chips> ]]> 🎬 Кино\tok\n"
        );
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\u{FFFF}d"), "abcd");
    }
}
