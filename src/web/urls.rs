//! The site's own addresses, built in one place: the handlers, the feeds
//! and the sitemap all link to reviews, tags and posters, and must agree on
//! how (the templates write the same paths for the pages they link).

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
    }
}
