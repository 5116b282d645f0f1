//! Embedded players: which iframes a body may keep (an `https://` source on
//! exactly one of the site's `embed_hosts`), what they keep and gain, and
//! the step that finishes them after the sanitizer.
//!
//! ammonia can only strip an iframe of attributes. The finishing step needs
//! elements: an iframe left without a `src` goes with its content, a kept
//! one loses its fallback content (browsers never show it) and gains a title
//! when it has none, and in feeds it becomes a link. It runs lol_html's
//! streaming rewriter over ammonia's output, and only for a body that kept
//! an iframe.

use lol_html::html_content::{Attribute, ContentType, Element};
use lol_html::{HandlerResult, RewriteStrSettings, element, rewrite_str};

/// What a kept iframe may carry from the editor's HTML.
pub(super) const KEPT_ATTRIBUTES: [&str; 5] =
    ["src", "title", "width", "height", "allowfullscreen"];

/// What every kept iframe is given, whatever the editor wrote: players load
/// when scrolled to, run in a sandbox that allows what video players need
/// (their own scripts and cookies, pop-ups for "watch on YouTube",
/// fullscreen presentation) and nothing else (no top navigation, no forms),
/// and learn no more than our origin from the referrer.
pub(super) const SET_ATTRIBUTES: [(&str, &str); 3] = [
    ("loading", "lazy"),
    (
        "sandbox",
        "allow-scripts allow-same-origin allow-popups allow-presentation",
    ),
    ("referrerpolicy", "strict-origin-when-cross-origin"),
];

/// A frame without a title is a nameless box to a screen reader (axe's
/// `frame-title` rule), so one without gets this.
const DEFAULT_TITLE: &str = "Embedded video";

/// Whether `src` is an `https://` URL on exactly one of `hosts`, on the
/// default port, without user or password. The host is compared as a
/// browser would load it (parsed by the URL standard, so lower-cased and
/// without tricks like `https://allowed@evil.example/`); relative and
/// protocol-relative URLs are refused, and so is `https:host/path`, which
/// a browser resolves against the page's own address.
pub fn is_embeddable(src: &str, hosts: &[String]) -> bool {
    const SCHEME: &str = "https://";
    let src = src.trim_start_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    if !src
        .get(..SCHEME.len())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(SCHEME))
    {
        return false;
    }
    let Ok(url) = url::Url::parse(src) else {
        return false;
    };
    url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && url
            .host_str()
            .is_some_and(|host| hosts.iter().any(|allowed| allowed == host))
}

/// Whether an iframe keeps `attribute` with `value` (decoded, as the
/// sanitizer sees it). A refused `src` leaves the iframe to be removed.
pub(super) fn keeps(attribute: &str, value: &str, hosts: &[String]) -> bool {
    match attribute {
        "src" => is_embeddable(value, hosts),
        "title" => !value.trim().is_empty(),
        // HTML allows only a number of pixels; `100%` belongs in CSS.
        "width" | "height" => !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()),
        _ => true,
    }
}

/// Finishes the iframes in sanitized HTML (see the module's comment); in
/// feeds a kept iframe becomes a link to the player, since most feed
/// readers drop iframes, and those that keep them run them outside our
/// sandbox and CSP. `None` when the rewriter cannot read the HTML with
/// certainty (strict mode, which ammonia's output never trips).
pub(super) fn finish(sanitized: &str, feed: bool) -> Option<String> {
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("iframe", |iframe| {
            finish_iframe(iframe, feed)
        }));
    rewrite_str(sanitized, settings).ok()
}

fn finish_iframe(iframe: &mut Element<'_, '_>, feed: bool) -> HandlerResult {
    let Some(src) = iframe.get_attribute("src") else {
        iframe.remove();
        return Ok(());
    };
    let title = iframe.get_attribute("title");
    if feed {
        return into_link(iframe, &src, title.as_deref().unwrap_or(DEFAULT_TITLE));
    }
    if title.is_none() {
        iframe.set_attribute("title", DEFAULT_TITLE)?;
    }
    iframe.set_inner_content("", ContentType::Text);
    Ok(())
}

/// Turns a kept iframe into `<a href="src">title</a>`.
///
/// lol_html hands over attribute values as written, entities and all, and
/// ammonia writes `&`, `<`, `>` and `"` in them as entities: so `src` goes
/// into `href` as it is, and the title is already HTML text that cannot
/// open a tag.
fn into_link(iframe: &mut Element<'_, '_>, src: &str, title: &str) -> HandlerResult {
    let names: Vec<String> = iframe.attributes().iter().map(Attribute::name).collect();
    for name in names {
        iframe.remove_attribute(&name);
    }
    iframe.set_tag_name("a")?;
    iframe.set_attribute("href", src)?;
    iframe.set_inner_content(title, ContentType::Html);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::{FeedTarget, Rendered, Target, render};

    #[test]
    fn markup_the_rewriter_cannot_read_with_certainty_is_refused() {
        // In a `<select>`, whether `<xmp>` starts raw text depends on where
        // the `<select>` sits, which a streaming rewriter cannot know.
        let ambiguous =
            "<select><xmp><iframe src=\"https://player.vimeo.com/v\"></iframe></xmp></select>";
        assert_eq!(finish(ambiguous, false), None);
        assert!(
            finish(
                "<p><iframe src=\"https://player.vimeo.com/v\"></iframe></p>",
                false
            )
            .is_some()
        );
    }

    fn page(markdown: &str) -> Rendered {
        render(markdown, Target::default())
    }

    fn hosts() -> Vec<String> {
        vec!["www.youtube-nocookie.com".into(), "player.vimeo.com".into()]
    }

    fn with_embeds(markdown: &str, hosts: &[String]) -> String {
        render(
            markdown,
            Target {
                embed_hosts: hosts,
                ..Target::default()
            },
        )
        .html
    }

    fn iframes(html: &str) -> Vec<scraper::Html> {
        let selector = scraper::Selector::parse("iframe").unwrap();
        scraper::Html::parse_fragment(html)
            .select(&selector)
            .map(|iframe| scraper::Html::parse_fragment(&iframe.html()))
            .collect()
    }

    fn attributes_of_only_iframe(html: &str) -> Vec<(String, String)> {
        let selector = scraper::Selector::parse("iframe").unwrap();
        let document = scraper::Html::parse_fragment(html);
        let found: Vec<_> = document.select(&selector).collect();
        assert_eq!(found.len(), 1, "{html}");
        let mut attributes: Vec<(String, String)> = found[0]
            .value()
            .attrs()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        attributes.sort();
        attributes
    }

    #[test]
    fn an_iframe_on_an_allowed_host_is_kept_with_safe_attributes_only() {
        let html = with_embeds(
            "Watch:\n\n<iframe src=\"https://www.youtube-nocookie.com/embed/abc?start=5&amp;rel=0\" \
             title=\"Trailer\" width=\"560\" height=\"315\" allowfullscreen onload=\"x()\" \
             style=\"position:fixed\" loading=\"eager\" sandbox=\"allow-top-navigation\" \
             allow=\"camera\" srcdoc=\"<script>x()</script>\" name=\"n\">Fallback <b>text</b></iframe>\n",
            &hosts(),
        );
        let expected: Vec<(String, String)> = [
            ("allowfullscreen", ""),
            ("height", "315"),
            ("loading", "lazy"),
            ("referrerpolicy", "strict-origin-when-cross-origin"),
            (
                "sandbox",
                "allow-scripts allow-same-origin allow-popups allow-presentation",
            ),
            (
                "src",
                "https://www.youtube-nocookie.com/embed/abc?start=5&rel=0",
            ),
            ("title", "Trailer"),
            ("width", "560"),
        ]
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
        assert_eq!(attributes_of_only_iframe(&html), expected, "{html}");
        assert!(!html.contains("Fallback"), "{html}");
        assert!(html.contains("Watch:"), "{html}");
    }

    #[test]
    fn embed_sizes_are_whole_pixels_or_nothing() {
        let html = with_embeds(
            "<iframe src=\"https://player.vimeo.com/video/1\" width=\"100%\" height=\"\"></iframe>\n\n\
             <iframe src=\"https://player.vimeo.com/video/2\" width=\"640\" height=\"360px\"></iframe>",
            &hosts(),
        );
        assert!(!html.contains("100%") && !html.contains("360px"), "{html}");
        assert!(!html.contains("height="), "{html}");
        assert!(html.contains("width=\"640\""), "{html}");
    }

    #[test]
    fn an_embed_without_a_title_gets_the_default_one() {
        for title in ["", " title=\"\"", " title=\"  \""] {
            let html = with_embeds(
                &format!("<iframe src=\"https://player.vimeo.com/video/1\"{title}></iframe>"),
                &hosts(),
            );
            let attributes = attributes_of_only_iframe(&html);
            assert!(
                attributes.contains(&("title".into(), DEFAULT_TITLE.into())),
                "{html}"
            );
        }
    }

    #[test]
    fn iframes_from_anywhere_else_are_removed_entirely() {
        for src in [
            "https://evil.example/embed",
            "http://www.youtube-nocookie.com/embed/abc",
            "//www.youtube-nocookie.com/embed/abc",
            "/embed/abc",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://www.youtube-nocookie.com@evil.example/",
            "https://user:pass@www.youtube-nocookie.com/embed/abc",
            "https://www.youtube-nocookie.com.evil.example/",
            "https://evil.example/?https://www.youtube-nocookie.com/",
            "https://www.youtube-nocookie.com:8443/embed/abc",
            "https://youtube-nocookie.com/embed/abc",
            "https:www.youtube-nocookie.com/embed",
            "",
        ] {
            let html = with_embeds(
                &format!("Before\n\n<iframe src=\"{src}\" title=\"t\">fallback</iframe>\n\nAfter"),
                &hosts(),
            );
            assert!(iframes(&html).is_empty(), "{src}: {html}");
            assert!(!html.contains("fallback"), "{src}: {html}");
            assert!(
                html.contains("Before") && html.contains("After"),
                "{src}: {html}"
            );
        }
        let html = with_embeds("<iframe title=\"no source\"></iframe>", &hosts());
        assert!(iframes(&html).is_empty(), "{html}");
    }

    #[test]
    fn host_names_are_compared_as_browsers_parse_them() {
        let html = with_embeds(
            "<iframe src=\"HTTPS://WWW.YouTube-NoCookie.com:443/embed/abc\"></iframe>",
            &hosts(),
        );
        assert_eq!(iframes(&html).len(), 1, "{html}");
        assert!(!is_embeddable(
            "https://www.youtube-nocookie.com\\@evil.example/",
            &["evil.example".into()]
        ));
        assert!(is_embeddable(" https://player.vimeo.com/video/1", &hosts()));
    }

    #[test]
    fn without_embed_hosts_every_iframe_is_removed() {
        let html = page(
            "<iframe src=\"https://www.youtube-nocookie.com/embed/abc\" title=\"t\">fallback</iframe>\n\nText",
        )
        .html;
        assert!(iframes(&html).is_empty(), "{html}");
        assert!(!html.contains("fallback"), "{html}");
        assert!(html.contains("Text"), "{html}");
    }

    #[test]
    fn iframes_cannot_smuggle_markup_past_the_finishing_step() {
        for markdown in [
            "<iframe src=\"https://player.vimeo.com/v\"><iframe src=\"https://evil.example/\"></iframe>",
            "<iframe src=\"https://player.vimeo.com/v\"></iframe x><script>alert(1)</script>",
            "<p title=\"<iframe src=&quot;https://evil.example/&quot;>\">x</p>",
            "<iframe src=\"https://player.vimeo.com/v\" title='a\"><script>alert(1)</script>'></iframe>",
            "<iframe src=\"https://evil.example/\"><img src=x onerror=alert(1)></iframe>",
        ] {
            let html = with_embeds(markdown, &hosts());
            assert!(!html.contains("<script"), "{markdown}: {html}");
            for iframe in iframes(&html) {
                let src = iframe.root_element().html();
                assert!(src.contains("player.vimeo.com"), "{markdown}: {html}");
            }
            let document = scraper::Html::parse_fragment(&html);
            let any = scraper::Selector::parse("*").unwrap();
            for element in document.select(&any) {
                for (name, _) in element.value().attrs() {
                    assert!(!name.starts_with("on"), "{markdown}: {html}");
                }
            }
        }
    }

    #[test]
    fn feeds_link_to_allowed_players_instead_of_embedding_them() {
        let target = Target {
            asset_base: None,
            feed: Some(FeedTarget {
                base_url: "https://example.com",
                page_url: "https://example.com/reviews/anora",
            }),
            embed_hosts: &hosts(),
        };
        let html = render(
            "<iframe src=\"https://player.vimeo.com/video/1?a=1&amp;b=2\" title=\"The &lt;trailer&gt;\"></iframe>\n\n\
             <iframe src=\"https://evil.example/\" title=\"Evil\"></iframe>\n\n\
             <iframe src=\"https://www.youtube-nocookie.com/embed/x\"></iframe>",
            target,
        )
        .html;
        assert!(iframes(&html).is_empty(), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://player.vimeo.com/video/1?a=1&amp;b=2\">The &lt;trailer&gt;</a>"
            ),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "<a href=\"https://www.youtube-nocookie.com/embed/x\">{DEFAULT_TITLE}</a>"
            )),
            "{html}"
        );
        assert!(
            !html.contains("Evil") && !html.contains("evil.example"),
            "{html}"
        );
    }
}
