//! Letterboxd's review text to markdown. Letterboxd keeps a review as text
//! with a little HTML (`<i>`, `<b>`, `<a>`, `<blockquote>`, `<br>`) and
//! newlines: a blank line between paragraphs, a single one for a line
//! break. `htmd` does the conversion (and escapes markdown's own
//! characters in the text, so `*` or `# 1` stay words); the newlines are
//! made into the HTML they stand for first, since HTML ignores them.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Clean markdown for a review body: every word kept, no HTML left.
pub(crate) fn to_markdown(text: &str) -> String {
    let html = if looks_like_html_blocks(text) {
        text.to_string()
    } else {
        paragraphs_as_html(text)
    };
    // htmd only fails when its own handlers do; ours are the defaults. The
    // text itself is then kept, escaped, rather than lost.
    let markdown = htmd::convert(&html).unwrap_or_else(|_| escape_text(text));
    markdown.trim().to_string()
}

/// Marquee's own export (and some tools) write block HTML (`<p>`): its
/// newlines are then layout, not breaks.
fn looks_like_html_blocks(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("<p>") || lower.contains("<p ")
}

/// Blank-line-separated paragraphs as `<p>`, single newlines as `<br>`.
/// Only newlines are replaced: the text and its tags are left as written.
fn paragraphs_as_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut html = String::with_capacity(text.len() + 64);
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        html.push_str(&paragraph.replace('\n', "<br>"));
        html.push_str("</p>");
    }
    // A quote on lines of its own is a block, not a break before and after.
    html.replace("<br><blockquote>", "<blockquote>")
        .replace("</blockquote><br>", "</blockquote>")
}

/// The last resort: the text with HTML's and markdown's characters
/// escaped, through pulldown-cmark's escaper.
fn escape_text(text: &str) -> String {
    let mut escaped = String::new();
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut escaped, text);
    escaped
}

/// The plain text of a markdown body's first sentence, for a headline:
/// up to the first `.`, `!` or `?` followed by a space, cut to `max`
/// characters at a word with `…`.
pub(crate) fn first_sentence(markdown: &str, max: usize) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Text(words) | Event::Code(words) => text.push_str(&words),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::Start(Tag::CodeBlock(_)) => break,
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = text
        .char_indices()
        .find(|&(index, c)| matches!(c, '.' | '!' | '?') && text[index + 1..].starts_with(' '))
        .map_or(text.len(), |(index, c)| index + c.len_utf8());
    let sentence = text[..end].trim();
    if sentence.chars().count() <= max {
        return sentence.to_string();
    }
    let mut cut = String::new();
    for word in sentence.split(' ') {
        if cut.chars().count() + word.chars().count() + 1 > max.saturating_sub(1) {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    let cut = cut.trim_end_matches([',', ';', ':', '—', '-', ' ']);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterboxd_formatting_becomes_markdown_without_html() {
        let markdown = to_markdown(
            "I <i>loved</i> it, <b>truly</b>: a *mess* of #1 ideas.\n\nSee <a href=\"https://example.com/a\">this</a>.\nNext line.\n\n<blockquote>Quoted\nwords</blockquote>",
        );
        assert_eq!(
            markdown,
            "I *loved* it, **truly**: a \\*mess\\* of #1 ideas.\n\nSee [this](https://example.com/a).  \nNext line.\n\n> Quoted  \n> words"
        );
    }

    #[test]
    fn a_quote_on_its_own_lines_is_a_block() {
        assert_eq!(
            to_markdown("Before.\n<blockquote>Quoted</blockquote>\nAfter."),
            "Before.\n\n> Quoted\n\nAfter."
        );
    }

    #[test]
    fn block_html_keeps_its_paragraphs() {
        assert_eq!(
            to_markdown("<p>One <em>two</em>.</p>\n<p>Three.</p>\n"),
            "One *two*.\n\nThree."
        );
    }

    #[test]
    fn unknown_tags_leave_their_words() {
        let markdown = to_markdown("<u>under</u> <span>lined</span> &lt;div&gt;");
        assert_eq!(markdown, "under lined \\<div>");
    }

    #[test]
    fn the_first_sentence_is_a_headline() {
        assert_eq!(first_sentence("I *loved* it. More.", 80), "I loved it.");
        assert_eq!(first_sentence("No stop at all", 80), "No stop at all");
        assert_eq!(
            first_sentence(
                "A very long opening sentence that goes on and on, well past the limit.",
                30
            ),
            "A very long opening sentence…"
        );
    }
}
