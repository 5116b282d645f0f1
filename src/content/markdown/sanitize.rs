//! The ammonia set-up for bodies with raw HTML: what an editor's HTML may
//! keep, built once rather than for each of the thousands of files a sync
//! renders. Which iframes are players, and what they keep, is `embeds`'
//! policy; this module only wires it into the sanitizer.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::{Target, embeds};

/// The most `<` a body with raw HTML may render to and still be sanitized.
/// Parsing HTML for the sanitizer costs more than linear time in the number
/// of elements and their nesting (10,000 nested `<div>`s take a fifth of a
/// second, 20,000 take almost two, a 2 MB file would stall a sync for
/// minutes), while a real review holds a few hundred tags.
const MAX_SANITIZED_TAGS: usize = 20_000;

/// Sanitizes rendered HTML that holds raw HTML from the editor, or `None`
/// when it holds too many tags to sanitize in reasonable time.
pub(super) fn sanitize(html: &str, target: Target<'_>) -> Option<String> {
    if html.bytes().filter(|&byte| byte == b'<').count() > MAX_SANITIZED_TAGS {
        return None;
    }
    if target.embed_hosts.is_empty() {
        return Some(without_embeds(html));
    }
    let clean = embed_sanitizer_for(target.embed_hosts)
        .clean(html)
        .to_string();
    // Only a body that kept a player needs finishing: ammonia escapes `<`
    // in text and attribute values, so any `<iframe` is an element.
    if !clean.contains("<iframe") {
        return Some(clean);
    }
    // The rewriter refuses markup it cannot parse with certainty (none that
    // ammonia writes); the body then loses its players rather than its
    // safety.
    Some(embeds::finish(&clean, target.feed.is_some()).unwrap_or_else(|| without_embeds(html)))
}

/// The allowlist for raw HTML in reviews: ammonia's defaults (no scripts, no
/// event handlers, no `javascript:` URLs, no iframes), plus the ids and
/// classes that headings, footnotes and spoiler disclosures need.
fn allowlist() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class"])
        .add_tags(["figure", "figcaption"])
        .rm_url_schemes([
            "ftp", "sftp", "ssh", "irc", "ircs", "xmpp", "sms", "news", "nntp",
        ])
        .link_rel(Some("noopener"));
    builder
}

/// Sanitizes with no host allowed to be embedded.
fn without_embeds(html: &str) -> String {
    /// An iframe goes with its fallback text, as any other would when hosts
    /// are allowed.
    static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = allowlist();
        builder.add_clean_content_tags(["iframe"]);
        builder
    });
    SANITIZER.clean(html).to_string()
}

/// The allowlist plus iframes on `hosts`. ammonia drops the `src` of an
/// iframe on any other host (and any attribute `embeds` refuses);
/// `embeds::finish` then removes the iframes left without a source.
fn embed_sanitizer(hosts: &[String]) -> ammonia::Builder<'static> {
    let hosts = hosts.to_vec();
    let mut builder = allowlist();
    builder
        .add_tags(["iframe"])
        .add_tag_attributes("iframe", embeds::KEPT_ATTRIBUTES);
    for (attribute, value) in embeds::SET_ATTRIBUTES {
        builder.set_tag_attribute_value("iframe", attribute, value);
    }
    builder.attribute_filter(move |element, attribute, value| {
        (element != "iframe" || embeds::keeps(attribute, value, &hosts))
            .then_some(Cow::Borrowed(value))
    });
    builder
}

/// The sanitizer for `hosts`, built once per host list rather than for
/// each file: a sync renders thousands of files with the same settings.
fn embed_sanitizer_for(hosts: &[String]) -> Arc<ammonia::Builder<'static>> {
    type Built = Option<(Vec<String>, Arc<ammonia::Builder<'static>>)>;
    static LAST: Mutex<Built> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    match &*last {
        Some((built_for, builder)) if built_for.as_slice() == hosts => builder.clone(),
        _ => {
            let builder = Arc::new(embed_sanitizer(hosts));
            *last = Some((hosts.to_vec(), builder.clone()));
            builder
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::content::markdown::{Target, render};

    fn page(markdown: &str) -> crate::content::markdown::Rendered {
        render(markdown, Target::default())
    }

    #[test]
    fn raw_html_is_sanitized() {
        let html = page("<script>alert(1)</script>\n\n<p onclick=\"x()\">hi</p>\n\n<iframe src=\"https://evil\"></iframe>").html;
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains("hi"), "{html}");
    }

    #[test]
    fn too_much_raw_html_is_shown_as_text_and_flagged() {
        let markdown = format!("<b onclick=x>bold</b>\n\n{}", "<i>x</i>\n\n".repeat(12_000));
        let rendered = page(&markdown);
        assert!(rendered.too_much_html);
        assert!(!rendered.html.contains("<b") && !rendered.html.contains("<i>"));
        assert!(rendered.html.contains("&lt;b onclick=x&gt;bold&lt;/b&gt;"));
        assert!(!page("<b>fine</b>").too_much_html);
    }
}
