//! What a kept page is kept under: its path, and of its query string only
//! the parameters its route reads. `/reviews/anora?utm_source=x` is the
//! page kept as `/reviews/anora`, and twelve thousand `/?pollute=N` are one
//! entry, `/`, instead of twelve thousand copies pushing real pages out.

use std::borrow::Cow;

use axum::http::Uri;

/// The query parameters each route reads, by path; a path not listed reads
/// none. Given by the router, which knows its routes (see `web::router`).
pub(crate) type RouteParams = &'static [(&'static str, &'static [&'static str])];

/// The key for `uri`: the path, then each parameter its route reads, once
/// (the first occurrence, as the handlers read them), in the route's order,
/// re-encoded. Borrowed from the request when there is nothing to keep,
/// which is every page but a search: the hit path allocates nothing.
pub(super) fn cache_key<'a>(uri: &'a Uri, routes: RouteParams) -> Cow<'a, str> {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return Cow::Borrowed(path);
    };
    let Some((_, names)) = routes.iter().find(|(route, _)| *route == path) else {
        return Cow::Borrowed(path);
    };
    let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
    let mut kept = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for name in *names {
        if let Some((_, value)) = pairs.iter().find(|(key, _)| key == name) {
            kept.append_pair(name, value);
            any = true;
        }
    }
    if !any {
        return Cow::Borrowed(path);
    }
    Cow::Owned(format!("{path}?{}", kept.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: RouteParams = &[("/", &["page"]), ("/search", &["q", "tag", "page"])];

    fn key(uri: &str) -> String {
        cache_key(&uri.parse().unwrap(), ROUTES).into_owned()
    }

    #[test]
    fn parameters_a_route_does_not_read_make_no_key_of_their_own() {
        assert_eq!(key("/reviews/anora?utm_source=x"), "/reviews/anora");
        assert_eq!(key("/?pollute=123"), "/");
        assert_eq!(key("/sitemap.xml?z=random"), "/sitemap.xml");
        assert_eq!(key("/search?utm=1"), "/search");
    }

    #[test]
    fn parameters_a_route_reads_are_kept_once_in_the_routes_order() {
        assert_eq!(key("/?page=2&x=1"), "/?page=2");
        assert_eq!(
            key("/search?page=2&junk=1&q=big+apple&q=ignored&tag=noir"),
            "/search?q=big+apple&tag=noir&page=2"
        );
        // Encoded alike, however the request spelled it.
        assert_eq!(key("/search?%71=big%20apple"), key("/search?q=big+apple"));
    }

    #[test]
    fn a_page_without_a_query_borrows_its_key() {
        let uri: Uri = "/reviews/anora".parse().unwrap();
        assert!(matches!(cache_key(&uri, ROUTES), Cow::Borrowed(_)));
    }
}
