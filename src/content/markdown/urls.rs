//! The URL policy for links and images written in markdown: what each URL
//! becomes where it is shown. Unsafe schemes are neutralised here, since
//! markdown without raw HTML never reaches the sanitizer; bundle-relative
//! paths gain the bundle's folder; feeds get absolute URLs, because a feed
//! reader has no page to resolve them against.

use pulldown_cmark::{CowStr, Event, Tag};

use super::Target;

/// The schemes a link or image may use; anything else becomes `#`.
const ALLOWED_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// `event` with its link or image URL resolved for `target`; any other
/// event unchanged.
pub(super) fn resolve_event<'e>(event: Event<'e>, target: Target<'_>) -> Event<'e> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: resolve(dest_url, target),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: resolve(dest_url, target),
            title,
            id,
        }),
        other => other,
    }
}

/// An image URL as resolved for a page, if it names a file the site
/// serves itself (a bundle's, or one under `/static/`): those are served
/// in sizes (`crate::images`). Not in feeds, which link the file itself.
pub(super) fn local_image<'u>(url: &'u str, target: Target<'_>) -> Option<&'u str> {
    let local = target.feed.is_none()
        && url.starts_with('/')
        && !url.starts_with("//")
        && (url.starts_with("/static/")
            || target.asset_base.is_some_and(|base| url.starts_with(base)));
    local.then_some(url)
}

fn resolve<'e>(url: CowStr<'e>, target: Target<'_>) -> CowStr<'e> {
    resolve_url(&url, target).map_or(url, CowStr::from)
}

/// Returns the URL to emit when it differs from what the editor wrote:
/// unsafe schemes become `#`, bundle-relative paths gain the bundle folder,
/// and in feeds every URL becomes absolute.
fn resolve_url(url: &str, target: Target<'_>) -> Option<String> {
    let url = url.trim();
    if let Some(scheme) = scheme_of(url) {
        return (!ALLOWED_SCHEMES
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(scheme)))
        .then(|| "#".to_string());
    }
    if url.starts_with("//") {
        return None;
    }
    let feed = target.feed;
    if let Some(fragment) = url.strip_prefix('#') {
        return feed.map(|feed| format!("{}#{fragment}", feed.page_url));
    }
    let rooted = if url.starts_with('/') {
        None
    } else {
        target.asset_base.map(|base| format!("{base}{url}"))
    };
    match (feed, rooted) {
        (Some(feed), Some(path)) => Some(format!("{}{path}", feed.base_url)),
        (Some(feed), None) if url.starts_with('/') => Some(format!("{}{url}", feed.base_url)),
        (Some(feed), None) => Some(format!("{}/{url}", feed.page_url.trim_end_matches('/'))),
        (None, rooted) => rooted,
    }
}

/// The scheme of an absolute URL (`https`), following the URL standard's
/// shape: letters first, then letters, digits, `+`, `-` or `.`, then `:`
/// before any `/`, `?` or `#`. Control characters and spaces are ignored the
/// way browsers ignore them, so `java\tscript:` is still caught.
fn scheme_of(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let candidate = &url[..colon];
    if candidate.contains(['/', '?', '#']) {
        return None;
    }
    let cleaned: String = candidate
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let mut chars = cleaned.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if valid && cleaned.len() == candidate.len() {
        Some(candidate)
    } else {
        // A scheme hidden by whitespace or control characters is never one
        // we allow; report something that is not on the allowlist.
        Some("invalid")
    }
}

#[cfg(test)]
mod tests {
    use crate::content::markdown::{FeedTarget, Target, render};

    #[test]
    fn unsafe_link_schemes_are_neutralised() {
        let page = |markdown: &str| render(markdown, Target::default()).html;
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "<java\tscript:alert(1)>",
            "data:text/html,x",
            "vbscript:x",
        ] {
            let html = page(&format!("[x]({url})"));
            assert!(html.contains("href=\"#\""), "{url}: {html}");
        }
        let html = page("[ok](https://example.com) [rel](other) [mail](mailto:a@b.c)");
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("href=\"other\""));
        assert!(html.contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn bundle_assets_resolve_against_the_bundle() {
        let target = Target {
            asset_base: Some("/reviews/anora/"),
            feed: None,
            embed_hosts: &[],
        };
        let html = render("![still](still.jpg) [home](/) [frag](#x)", target).html;
        assert!(html.contains("src=\"/reviews/anora/still.jpg\""), "{html}");
        assert!(html.contains("href=\"/\""), "{html}");
        assert!(html.contains("href=\"#x\""), "{html}");
    }

    #[test]
    fn feed_urls_are_absolute() {
        let target = Target {
            asset_base: Some("/reviews/anora/"),
            feed: Some(FeedTarget {
                base_url: "https://example.com",
                page_url: "https://example.com/reviews/anora",
            }),
            embed_hosts: &[],
        };
        let html = render("![still](still.jpg) [home](/tags) [frag](#x)", target).html;
        assert!(
            html.contains("src=\"https://example.com/reviews/anora/still.jpg\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://example.com/tags\""), "{html}");
        assert!(
            html.contains("href=\"https://example.com/reviews/anora#x\""),
            "{html}"
        );
    }
}
