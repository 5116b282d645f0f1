//! What a sync changed, named the way pages name what they show: each page
//! the cache keeps lists the keys it depends on, a sync reports the keys it
//! touched, and only the pages that share one are dropped. The same keys
//! go out as the `Surrogate-Key` and `Cache-Tag` headers, so a CDN in front
//! can purge by them too (`serve --purge-hook`).
//!
//! Keys come from the files alone (slugs, never database ids), so every
//! instance serving the same `content/` gives the same ones.

use std::collections::BTreeSet;
use std::fmt;

/// Something pages show, that a sync may change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SurrogateKey {
    /// What every page shows: the site settings and the menu of
    /// standalone pages (`site`).
    Site,
    /// The catalog as listings, feeds, the sitemap, film pages, lists, the
    /// diary and search show it: any change to a review, list or diary
    /// file (`catalog`).
    Catalog,
    /// The search index's answers (`search`).
    Search,
    /// One review, by slug: its page, and pages showing its card
    /// (`review:anora`).
    Review(String),
    /// The reviews of a tag, by slug: a review page's "Related" may change
    /// when one of them does (`tag:drama`).
    Tag(String),
    /// The reviews of a film year (`year:2024`), for the same reason.
    Year(i32),
    /// A director's reviews, by slug: "More by" (`director:sean-baker`).
    Director(String),
}

impl fmt::Display for SurrogateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SurrogateKey::Site => f.write_str("site"),
            SurrogateKey::Catalog => f.write_str("catalog"),
            SurrogateKey::Search => f.write_str("search"),
            SurrogateKey::Review(slug) => write!(f, "review:{slug}"),
            SurrogateKey::Tag(slug) => write!(f, "tag:{slug}"),
            SurrogateKey::Year(year) => write!(f, "year:{year}"),
            SurrogateKey::Director(slug) => write!(f, "director:{slug}"),
        }
    }
}

/// What changed: some keys, or everything (a first start, a sync too large
/// to track, the posters' facts, the clock publishing a scheduled review).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    everything: bool,
    keys: BTreeSet<SurrogateKey>,
}

impl Changes {
    /// Every page may have changed.
    pub fn everything() -> Self {
        Self {
            everything: true,
            keys: BTreeSet::new(),
        }
    }

    /// Only pages showing `keys` changed.
    pub fn of(keys: impl IntoIterator<Item = SurrogateKey>) -> Self {
        Self {
            everything: false,
            keys: keys.into_iter().collect(),
        }
    }

    /// Whether every page may have changed.
    pub fn is_everything(&self) -> bool {
        self.everything || self.keys.contains(&SurrogateKey::Site)
    }

    /// Whether nothing a reader sees changed.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.keys.is_empty()
    }

    /// The keys changed (empty when everything did: see `is_everything`).
    pub fn keys(&self) -> &BTreeSet<SurrogateKey> {
        &self.keys
    }

    /// Adds `key`.
    pub(crate) fn add(&mut self, key: SurrogateKey) {
        if !self.everything {
            self.keys.insert(key);
        }
    }

    /// Adds what `other` changed.
    pub fn merge(&mut self, other: Changes) {
        if other.everything {
            *self = Changes::everything();
        } else {
            for key in other.keys {
                self.add(key);
            }
        }
    }

    /// Marks everything changed.
    pub(crate) fn set_everything(&mut self) {
        *self = Changes::everything();
    }
}

/// What of one review the keys follow, before or after a sync wrote it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ReviewKeys {
    pub(crate) slug: String,
    pub(crate) draft: bool,
    pub(crate) film_year: Option<i32>,
    pub(crate) director_slug: Option<String>,
    /// The tags' slugs, as a JSON array.
    pub(crate) tags: String,
}

impl ReviewKeys {
    /// The keys of a review about to be stored.
    pub(crate) fn of(review: &crate::content::review::Review) -> Self {
        let tags: Vec<&str> = review.tags.iter().map(|tag| tag.slug.as_str()).collect();
        Self {
            slug: review.slug.clone(),
            draft: review.draft,
            film_year: review.film.year,
            director_slug: review
                .film
                .director
                .as_ref()
                .map(|director| director.slug.clone()),
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        }
    }

    /// The keys a change to this review touches: its own page always (a
    /// draft's preview too); for a review readers can see, the catalog and
    /// the reviews that may list it beside them, by tag, year and director.
    pub(crate) fn touched(&self, changes: &mut Changes) {
        changes.add(SurrogateKey::Review(self.slug.clone()));
        if self.draft {
            return;
        }
        changes.add(SurrogateKey::Catalog);
        let tags: Vec<String> = serde_json::from_str(&self.tags).unwrap_or_default();
        for tag in tags {
            changes.add(SurrogateKey::Tag(tag));
        }
        if let Some(year) = self.film_year {
            changes.add(SurrogateKey::Year(year));
        }
        if let Some(director) = &self.director_slug {
            changes.add(SurrogateKey::Director(director.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(draft: bool) -> ReviewKeys {
        ReviewKeys {
            slug: "anora".into(),
            draft,
            film_year: Some(2024),
            director_slug: Some("sean-baker".into()),
            tags: r#"["drama","comedy"]"#.into(),
        }
    }

    #[test]
    fn a_draft_touches_its_own_page_only() {
        let mut changes = Changes::default();
        review(true).touched(&mut changes);
        assert_eq!(changes, Changes::of([SurrogateKey::Review("anora".into())]));
    }

    #[test]
    fn a_published_review_touches_what_may_list_it() {
        let mut changes = Changes::default();
        review(false).touched(&mut changes);
        let keys: Vec<String> = changes.keys().iter().map(ToString::to_string).collect();
        assert_eq!(
            keys,
            [
                "catalog",
                "review:anora",
                "tag:comedy",
                "tag:drama",
                "year:2024",
                "director:sean-baker"
            ]
        );
    }

    #[test]
    fn everything_absorbs_keys_and_site_means_everything() {
        let mut changes = Changes::of([SurrogateKey::Catalog]);
        changes.merge(Changes::everything());
        assert!(changes.is_everything());
        assert!(changes.keys().is_empty());
        assert!(Changes::of([SurrogateKey::Site]).is_everything());
        assert!(Changes::default().is_empty());
    }
}
