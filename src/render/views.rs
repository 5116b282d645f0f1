//! View types: what the partials display, computed once from stored rows.

use time::{Date, OffsetDateTime};

use crate::content::fields::parse_date;
use crate::content::review::Rating;
use crate::db::reviews::{CardRow, ReleaseRow, TagRow};

/// A star rating as the rating partial shows it: glyphs for the eye, a
/// sentence for screen readers, a value for links.
#[derive(Debug, Clone)]
pub struct Stars {
    /// `★★★½`
    pub glyphs: String,
    /// "3.5 out of 5 stars"
    pub label: String,
    /// `3.5`: the `/ratings/{stars}` segment.
    pub value: String,
}

impl Stars {
    pub fn from_halves(halves: Option<i64>) -> Option<Self> {
        let rating = Rating::from_halves(halves?)?;
        let value = rating.stars_label();
        Some(Self {
            glyphs: rating.glyphs(),
            label: format!("{value} out of 5 stars"),
            value,
        })
    }
}

/// One region's release, marked out relative to today.
#[derive(Debug, Clone)]
pub struct ReleaseView {
    pub region: String,
    pub region_slug: String,
    pub date: Date,
    pub released: bool,
}

impl ReleaseView {
    pub fn from_row(row: ReleaseRow, today: Date) -> Option<Self> {
        let date = parse_date(&row.date)?;
        Some(Self {
            region: row.region,
            region_slug: row.region_slug,
            date,
            released: date <= today,
        })
    }
}

#[derive(Debug, Clone)]
pub struct TagView {
    pub slug: String,
    pub name: String,
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
pub struct Card {
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i64>,
    pub director: Option<String>,
    pub stars: Option<Stars>,
    pub spoilers: bool,
    pub summary: String,
    pub published: OffsetDateTime,
}

impl From<CardRow> for Card {
    fn from(row: CardRow) -> Self {
        Self {
            stars: Stars::from_halves(row.rating_halves),
            published: timestamp(row.published_at),
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

/// A stored unix time as a moment; out-of-range values (impossible from our
/// own writes) fall back to the epoch rather than failing a page.
pub fn timestamp(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_have_glyphs_and_a_text_alternative() {
        let stars = Stars::from_halves(Some(7)).unwrap();
        assert_eq!(stars.glyphs, "★★★½");
        assert_eq!(stars.label, "3.5 out of 5 stars");
        assert_eq!(stars.value, "3.5");
        assert!(Stars::from_halves(None).is_none());
        assert!(Stars::from_halves(Some(11)).is_none());
    }
}
