//! The site's own addresses, built in one place: the handlers, the feeds
//! and the sitemap all link to reviews, tags and posters, and must agree on
//! how (the templates write the same paths for the pages they link). Slugs
//! are lower case, so an address that capitalises one is sent to the page's
//! one address.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// `/reviews/{slug}`
pub(crate) fn review(slug: &str) -> String {
    format!("/reviews/{slug}")
}

/// `/tags/{slug}`
pub(crate) fn tag(slug: &str) -> String {
    format!("/tags/{slug}")
}

/// `/directors/{slug}`
pub(crate) fn director(slug: &str) -> String {
    format!("/directors/{slug}")
}

/// `/ratings/{stars}`, with stars as the rating writes them (`4.5`, `5`).
pub(crate) fn rating(stars: &str) -> String {
    format!("/ratings/{stars}")
}

/// `/films/{year}`
pub(crate) fn film_year(year: &str) -> String {
    format!("/films/{year}")
}

/// `/film/{slug}`: a film's page.
pub(crate) fn film(slug: &str) -> String {
    format!("/film/{slug}")
}

/// `/lists/{slug}`
pub(crate) fn list(slug: &str) -> String {
    format!("/lists/{slug}")
}

/// `/stats/{year}`: a year in review.
pub(crate) fn stats_year(year: i32) -> String {
    format!("/stats/{year}")
}

/// `/diary/{year}`
pub(crate) fn diary_year(year: i32) -> String {
    format!("/diary/{year}")
}

/// `/{slug}`: a standalone page.
pub(crate) fn page(slug: &str) -> String {
    format!("/{slug}")
}

/// Where a poster is served from: a URL as written, a bundle file beside
/// the review, or a path under `static/`.
pub(crate) fn poster(poster: Option<&str>, asset_base: Option<&str>) -> Option<String> {
    let poster = poster?.trim();
    if poster.starts_with("https://") || poster.starts_with("http://") {
        return Some(poster.to_string());
    }
    if let Some(path) = poster.strip_prefix('/') {
        return Some(format!("/{}", path.trim_start_matches('/')));
    }
    Some(match asset_base {
        Some(base) if !poster.starts_with("static/") => format!("{base}{poster}"),
        _ => format!("/static/{}", poster.trim_start_matches("static/")),
    })
}

/// `/images/{hash}-{width}.{ext}`: a poster's derivative, under a name
/// that changes when the image does (`web::images`).
pub(crate) fn derivative(name: &crate::images::DerivativeName) -> String {
    format!("/images/{}", name.file_name())
}

/// Slugs are lower case (`Anora.md` and `anora.md` are one slug), so an
/// address that capitalises one (`/reviews/Anora`, `/tags/Drama`, `/About`)
/// is sent to the page's one address instead of a 404.
pub(super) async fn lowercase_slugs(request: Request, next: Next) -> Response {
    match lowercased(request.uri().path()) {
        Some(mut path) => {
            if let Some(query) = request.uri().query() {
                path.push('?');
                path.push_str(query);
            }
            axum::response::Redirect::permanent(&path).into_response()
        }
        None => next.run(request).await,
    }
}

/// The path with its slug segment in lower case, if that changes it: the
/// segment after `/reviews/`, `/tags/` or `/directors/`, or a standalone
/// page's only segment. Other segments (a region, a page number) are left.
fn lowercased(path: &str) -> Option<String> {
    let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
    let slug = match segments.get(1).map(String::as_str) {
        Some("reviews" | "tags" | "directors" | "film" | "lists") => 2,
        Some(_) if segments.len() == 2 => 1,
        _ => return None,
    };
    let segment = segments.get_mut(slug)?;
    // Only what would be a slug once lowered: letters, digits and hyphens,
    // some of them capitals (`%2F` is an escape, not a capital F).
    let slug_like = segment
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if !slug_like || !segment.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return None;
    }
    segment.make_ascii_lowercase();
    Some(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posters_resolve_by_kind() {
        assert_eq!(
            poster(Some("posters/anora.jpg"), None).as_deref(),
            Some("/static/posters/anora.jpg")
        );
        assert_eq!(
            poster(Some("poster.jpg"), Some("/reviews/a/")).as_deref(),
            Some("/reviews/a/poster.jpg")
        );
        assert_eq!(
            poster(Some("https://img.example/p.jpg"), None).as_deref(),
            Some("https://img.example/p.jpg")
        );
        assert_eq!(poster(None, None), None);
    }

    #[test]
    fn paths_of_the_site() {
        assert_eq!(review("anora"), "/reviews/anora");
        assert_eq!(tag("new-york"), "/tags/new-york");
        assert_eq!(director("sean-baker"), "/directors/sean-baker");
        assert_eq!(rating("4.5"), "/ratings/4.5");
        assert_eq!(film_year("2024"), "/films/2024");
        assert_eq!(page("about"), "/about");
        assert_eq!(film("anora-2024"), "/film/anora-2024");
        assert_eq!(list("best-of-2024"), "/lists/best-of-2024");
        assert_eq!(diary_year(2024), "/diary/2024");
    }

    #[test]
    fn only_the_slug_segment_is_lowered() {
        assert_eq!(
            lowercased("/reviews/Anora").as_deref(),
            Some("/reviews/anora")
        );
        assert_eq!(
            lowercased("/tags/New-York/page/2").as_deref(),
            Some("/tags/new-york/page/2")
        );
        assert_eq!(
            lowercased("/reviews/Anora/release/UK.ics").as_deref(),
            Some("/reviews/anora/release/UK.ics")
        );
        assert_eq!(lowercased("/About").as_deref(), Some("/about"));
        for unchanged in [
            "/reviews/anora",
            "/static/Style.css",
            "/ratings/4.5",
            "/",
            "/films/2024",
            "/tags/..%2F..%2Fetc/atom.xml",
            "/reviews/%C3%89t%C3%A9",
            "/Feed.XML",
        ] {
            assert_eq!(lowercased(unchanged), None, "{unchanged}");
        }
    }
}
