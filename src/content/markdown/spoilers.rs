//! Inline spoilers: a fenced block whose info string is `spoiler` becomes a
//! closed `<details>` disclosure the reader opens without JavaScript, and in
//! feeds a link to it, since a feed reader would show the passage in full.

use pulldown_cmark_escape::{escape_href, escape_html};

/// The info string that marks a fenced code block as an inline spoiler:
/// ```` ```spoiler What happens at the wedding ````.
const FENCE: &str = "spoiler";

/// Spoiler blocks may contain spoiler blocks (with a longer fence), but not
/// without end: past this depth the inner text is shown as a code block.
pub(super) const MAX_DEPTH: usize = 4;

/// The label of a spoiler fence (empty when it has none), or `None` when
/// the info string is something else (`rust`, `spoilers`).
pub(super) fn label(info: &str) -> Option<&str> {
    let info = info.trim();
    let word = info.get(..FENCE.len())?;
    let rest = &info[FENCE.len()..];
    (word.eq_ignore_ascii_case(FENCE) && rest.chars().next().is_none_or(char::is_whitespace))
        .then(|| rest.trim())
}

/// The id of the `n`th spoiler in a review, which feeds link to.
pub(super) fn anchor(n: usize) -> String {
    format!("spoiler-{n}")
}

/// The closed disclosure around a spoiler's rendered inside.
pub(super) fn disclosure(anchor: &str, label: &str, inner_html: &str) -> String {
    let mut html = String::new();
    html.push_str("<details class=\"spoiler\" id=\"");
    html.push_str(anchor);
    html.push_str("\"><summary>Spoiler");
    if !label.is_empty() {
        html.push_str(": ");
        push_escaped(&mut html, label);
    }
    html.push_str("</summary>\n");
    html.push_str(inner_html);
    html.push_str("</details>\n");
    html
}

/// What a feed shows instead of a spoiler: the text stays out of feeds
/// entirely, since a subscriber's reader would show it in full with no way
/// to keep it closed.
pub(super) fn feed_placeholder(page_url: &str, anchor: &str) -> String {
    let mut html = String::new();
    html.push_str("<p class=\"spoiler-hidden\"><a href=\"");
    // Writing to a String cannot fail.
    let _ = escape_href(&mut html, &format!("{page_url}#{anchor}"));
    html.push_str("\">Spoiler hidden — read it on the site</a></p>\n");
    html
}

fn push_escaped(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = escape_html(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use crate::content::markdown::{FeedTarget, Target, render};

    fn page(markdown: &str) -> String {
        render(markdown, Target::default()).html
    }

    #[test]
    fn spoiler_fence_becomes_closed_details() {
        let html = page("Before.\n\n```spoiler The ending\nShe *leaves*.\n```\n");
        assert!(
            html.contains(
                "<details class=\"spoiler\" id=\"spoiler-1\"><summary>Spoiler: The ending</summary>"
            ),
            "{html}"
        );
        assert!(html.contains("<em>leaves</em>"), "{html}");
        assert!(!html.contains("<details open"), "{html}");
    }

    #[test]
    fn spoilers_are_hidden_in_feeds() {
        let target = Target {
            asset_base: None,
            feed: Some(FeedTarget {
                base_url: "https://example.com",
                page_url: "https://example.com/reviews/anora",
            }),
            embed_hosts: &[],
        };
        let html = render("```spoiler\nThe twist.\n```\n", target).html;
        assert!(!html.contains("The twist"), "{html}");
        assert!(
            html.contains("href=\"https://example.com/reviews/anora#spoiler-1\""),
            "{html}"
        );
    }

    #[test]
    fn ordinary_code_blocks_are_untouched() {
        let html = page("```rust\nlet spoiler = 1;\n```\n\n```spoilers\nx\n```");
        assert!(!html.contains("<details"), "{html}");
    }
}
