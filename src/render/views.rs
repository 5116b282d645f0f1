//! View types: what the partials display, computed once from stored rows.

use time::{Date, OffsetDateTime};

use crate::content::review::Rating;
use crate::db::reviews::{CardRow, ReleaseRow, TagRow};

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
}

impl From<CardRow> for Card {
    fn from(row: CardRow) -> Self {
        Self {
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
