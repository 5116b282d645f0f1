//! View types: what the partials display, computed once from stored rows.

use time::{Date, OffsetDateTime};

use crate::content::review::Rating;
use crate::db::images::PosterFacts;
use crate::db::reviews::{CardRow, ReleaseRow, TagRow};
use crate::images::{self, DerivativeName, Format};

/// A star rating as the pages and feeds show it: five stars filled to the
/// rating for the eye (drawn by the partial from `halves`), the glyphs for
/// feeds and titles, a sentence for screen readers, a value for links.
#[derive(Debug, Clone)]
pub(crate) struct Stars {
    /// 1 to 10: how much of the five stars the partial fills.
    pub(crate) halves: u8,
    /// `★★★½`, for feed readers and titles, where no stylesheet draws.
    pub(crate) glyphs: String,
    /// "3.5 out of 5 stars"
    pub(crate) label: String,
    /// `3.5`: the `/ratings/{stars}` segment.
    pub(crate) value: String,
}

impl From<Rating> for Stars {
    fn from(rating: Rating) -> Self {
        let value = rating.stars_label();
        Self {
            halves: rating.halves(),
            glyphs: rating.glyphs(),
            label: format!("{value} out of 5 stars"),
            value,
        }
    }
}

/// One region's release, marked out relative to today.
#[derive(Debug, Clone)]
pub(crate) struct ReleaseView {
    pub(crate) region: String,
    pub(crate) region_slug: String,
    pub(crate) date: Date,
    pub(crate) released: bool,
}

impl ReleaseView {
    pub(crate) fn from_row(row: ReleaseRow, today: Date) -> Self {
        Self {
            released: row.date <= today,
            region: row.region,
            region_slug: row.region_slug,
            date: row.date,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TagView {
    pub(crate) slug: String,
    pub(crate) name: String,
}

impl From<TagRow> for TagView {
    fn from(row: TagRow) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
        }
    }
}

/// A review in a listing.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) director: Option<String>,
    pub(crate) stars: Option<Stars>,
    pub(crate) spoilers: bool,
    pub(crate) summary: String,
    pub(crate) published: OffsetDateTime,
    /// The poster thumbnail; `None` shows the placeholder.
    pub(crate) poster: Option<PosterView>,
    /// Which of the placeholder's tints: the same film, the same tint.
    pub(crate) tint: u8,
}

impl From<CardRow> for Card {
    fn from(row: CardRow) -> Self {
        let url = crate::web::urls::poster(row.poster.as_deref(), row.asset_base.as_deref());
        Self {
            poster: PosterView::new(url, &row.poster_facts),
            tint: tint(&row.film_title),
            stars: row.rating.map(Stars::from),
            published: row.published,
            slug: row.slug,
            title: row.title,
            film_title: row.film_title,
            film_year: row.film_year,
            director: row.director,
            spoilers: row.spoilers,
            summary: row.summary,
        }
    }
}

/// How many tints the placeholder comes in (`.tint-0` … in the stylesheet).
const TINTS: u8 = 6;

/// The placeholder's tint for a film: the same film, the same tint.
pub(crate) fn tint(film_title: &str) -> u8 {
    let hash = xxhash_rust::xxh3::xxh3_64(film_title.as_bytes());
    u8::try_from(hash % u64::from(TINTS)).unwrap_or(0)
}

/// A poster as a page shows it.
#[derive(Debug, Clone)]
pub(crate) enum PosterView {
    /// A local image whose derivatives exist (or are made on request).
    Sized(SizedPoster),
    /// Shown as given: a URL, or a local file the publisher has not looked
    /// at yet.
    Plain(PlainPoster),
}

/// A poster shown as given, at the size the editor gave (a URL's
/// `film.poster_width` and `poster_height`), else at the usual poster shape.
#[derive(Debug, Clone)]
pub(crate) struct PlainPoster {
    pub(crate) url: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// The shape reserved for a poster of unknown size: 2 : 3, as posters are.
const PLAIN_SIZE: (u32, u32) = (200, 300);

/// The candidates of a local poster, for `<picture>`.
#[derive(Debug, Clone)]
pub(crate) struct SizedPoster {
    /// `srcset` of the WebP `<source>`, unless the source is WebP itself.
    pub(crate) webp_srcset: Option<String>,
    /// `srcset` of the `<img>`: the source's own format.
    pub(crate) srcset: String,
    /// `src` of the `<img>`, for browsers without `srcset`.
    pub(crate) src: String,
    /// The `src` candidate's size: the aspect ratio the browser reserves.
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Browsers without `srcset` get the largest candidate up to this wide.
const PLAIN_SRC_WIDTH: u32 = 640;

impl PosterView {
    /// The view of a poster linked as `url` (`web::urls::poster`), with
    /// what the publisher knows of it. `None` when there is none, or it
    /// cannot be used: the placeholder is shown instead.
    pub(crate) fn new(url: Option<String>, facts: &PosterFacts) -> Option<Self> {
        let url = url?;
        if facts.failed {
            return None;
        }
        let (Some(hash), Some(width), Some(height), Some(format)) = (
            facts.hash.as_ref(),
            facts.width,
            facts.height,
            facts.format.as_deref().and_then(Format::from_name),
        ) else {
            let (width, height) = facts.width.zip(facts.height).unwrap_or(PLAIN_SIZE);
            return Some(PosterView::Plain(PlainPoster { url, width, height }));
        };
        let widths = images::widths(width);
        let srcset = |format: Format| {
            widths
                .iter()
                .map(|w| {
                    let name = DerivativeName {
                        hash: hash.clone(),
                        width: *w,
                        format,
                    };
                    format!("{} {w}w", crate::web::urls::derivative(&name))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fallback = *format.served().last().unwrap_or(&Format::Webp);
        let src_width = widths
            .iter()
            .copied()
            .filter(|w| *w <= PLAIN_SRC_WIDTH)
            .max()
            .unwrap_or(widths[0]);
        Some(PosterView::Sized(SizedPoster {
            webp_srcset: (fallback != Format::Webp).then(|| srcset(Format::Webp)),
            srcset: srcset(fallback),
            src: crate::web::urls::derivative(&DerivativeName {
                hash: hash.clone(),
                width: src_width,
                format: fallback,
            }),
            width: src_width,
            height: images::scaled_height(width, height, src_width),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_have_glyphs_and_a_text_alternative() {
        let stars = Stars::from(Rating::from_halves(7).unwrap());
        assert_eq!(stars.glyphs, "★★★½");
        assert_eq!(stars.label, "3.5 out of 5 stars");
        assert_eq!(stars.value, "3.5");
    }
}
