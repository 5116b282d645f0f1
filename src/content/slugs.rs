//! Which of several files claiming one slug gets it.
//!
//! The rule depends on the files alone, so that the live sync, a rebuild of
//! the database from scratch and `marquee check` always agree: the review
//! published first keeps its slug, and at the same moment (or for pages,
//! which have no date) the file whose path sorts first does. Whoever held
//! the slug before does not matter: otherwise deleting the database could
//! hand `/reviews/anora` to another file.

use super::error::ContentError;
use super::loader::Document;

/// One file's claim to a slug. Claims order as the rule says: the smaller
/// one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Claim<'a> {
    /// When the review is published (unix seconds); 0 for pages.
    pub(crate) published: i64,
    /// The file, relative to the content folder.
    pub(crate) path: &'a str,
}

/// The URL spaces slugs are unique in: a page and a review may share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SlugSpace {
    Reviews,
    Pages,
}

impl Document {
    /// The slug this document asks for, where it has one, with its claim.
    pub(crate) fn slug_claim<'a>(
        &'a self,
        path: &'a str,
    ) -> Option<(SlugSpace, &'a str, Claim<'a>)> {
        match self {
            Document::Review(review) => Some((
                SlugSpace::Reviews,
                review.slug.as_str(),
                Claim {
                    published: review.published.unix_timestamp(),
                    path,
                },
            )),
            Document::Page(page) => Some((
                SlugSpace::Pages,
                page.slug.as_str(),
                Claim { published: 0, path },
            )),
            Document::Diary(_) | Document::List(_) | Document::Site(_) => None,
        }
    }

    /// The line of the `slug:` field, where the front matter sets one.
    pub(crate) fn slug_line(&self) -> Option<usize> {
        match self {
            Document::Review(review) => review.slug_line,
            Document::Page(page) => page.slug_line,
            Document::Diary(_) | Document::List(_) | Document::Site(_) => None,
        }
    }
}

/// The error for the file that lost a slug to `winner`.
pub(crate) fn taken(
    loser: &str,
    line: Option<usize>,
    slug: &str,
    winner: Claim<'_>,
    lost: Claim<'_>,
) -> ContentError {
    let why = if winner.published < lost.published {
        "which was published earlier"
    } else {
        "whose path sorts first"
    };
    ContentError::new(
        loser,
        format!(
            "the slug `{slug}` is already used by {}, {why}; give this file another `slug`",
            winner.path
        ),
    )
    .at_line(line)
    .in_field("slug")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_review_wins_then_the_first_path() {
        let early = Claim {
            published: 100,
            path: "reviews/z.md",
        };
        let late = Claim {
            published: 200,
            path: "reviews/a.md",
        };
        assert!(
            early < late,
            "published first beats a path that sorts first"
        );
        let same_time = Claim {
            published: 100,
            path: "reviews/a.md",
        };
        assert!(same_time < early, "at the same moment the path decides");
        let error = taken("reviews/a.md", Some(4), "anora", early, late);
        assert_eq!(error.line, Some(4));
        assert_eq!(error.field.as_deref(), Some("slug"));
        assert!(error.reason.contains("reviews/z.md"), "{error}");
        assert!(error.reason.contains("published earlier"), "{error}");
    }
}
