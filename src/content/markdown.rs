//! Markdown to HTML, done once when a file is loaded (and again for feeds,
//! which need absolute URLs and hidden spoilers).
//!
//! We walk pulldown-cmark's event stream rather than post-processing HTML:
//! headings get stable ids, link and image URLs are checked and resolved,
//! and fenced `spoiler` blocks become closed `<details>` disclosures. Markdown
//! without raw HTML cannot produce unsafe markup once URLs are checked, so
//! the sanitizer only runs when an editor wrote raw HTML.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html,
};
use pulldown_cmark_escape::{escape_href, escape_html};

/// The info string that marks a fenced code block as an inline spoiler:
/// ```` ```spoiler What happens at the wedding ````.
pub const SPOILER_FENCE: &str = "spoiler";

/// Spoiler blocks may contain spoiler blocks (with a longer fence), but not
/// without end: past this depth the inner text is shown as a code block.
const MAX_SPOILER_DEPTH: usize = 4;

/// The most `<` a body with raw HTML may render to and still be sanitized.
/// Parsing HTML for the sanitizer costs more than linear time in the number
/// of elements and their nesting (10,000 nested `<div>`s take a fifth of a
/// second, 20,000 take almost two, a 2 MB file would stall a sync for
/// minutes), while a real review holds a few hundred tags.
const MAX_SANITIZED_TAGS: usize = 20_000;

/// The extensions Marquee's markdown supports, chosen explicitly so that an
/// upgrade of pulldown-cmark cannot change what an editor's file means.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Where the HTML will be shown, which decides how URLs and spoilers come out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// For a page bundle, the URL folder its assets are served from
    /// (`/reviews/anora/`): relative links and images resolve against it.
    pub asset_base: Option<&'a str>,
    /// Set when rendering for a feed: every URL becomes absolute, and inline
    /// spoilers are replaced by a link to the review.
    pub feed: Option<FeedTarget<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct FeedTarget<'a> {
    /// The site's base URL without a trailing slash (`https://example.com`).
    pub base_url: &'a str,
    /// The absolute URL of the review page the content belongs to.
    pub page_url: &'a str,
}

/// The outputs of one render.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Plain text of the whole body, for the search index.
    pub text: String,
    /// Plain text of the first paragraph: the default standfirst.
    pub first_paragraph: String,
    /// The body mixes raw HTML with more tags than can be sanitized in
    /// reasonable time (`MAX_SANITIZED_TAGS`). The HTML then shows the raw
    /// HTML as text, which is safe; loaders report the file as an error.
    pub too_much_html: bool,
}

pub fn render(markdown: &str, target: Target<'_>) -> Rendered {
    let mut renderer = Renderer::new(target, false);
    let mut html = renderer.render_fragment(markdown, 0);
    let mut too_much_html = false;
    if renderer.has_raw_html {
        if html.bytes().filter(|&byte| byte == b'<').count() <= MAX_SANITIZED_TAGS {
            html = SANITIZER.clean(&html).to_string();
        } else {
            too_much_html = true;
            renderer = Renderer::new(target, true);
            html = renderer.render_fragment(markdown, 0);
        }
    }
    Rendered {
        html,
        text: renderer.text.trim().to_string(),
        first_paragraph: renderer
            .first_paragraph
            .unwrap_or_default()
            .trim()
            .to_string(),
        too_much_html,
    }
}

/// The allowlist for raw HTML in reviews: ammonia's defaults (no scripts, no
/// event handlers, no `javascript:` URLs, no iframes), plus the ids and
/// classes that headings, footnotes and spoiler disclosures need.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class"])
        .add_tags(["figure", "figcaption"])
        .rm_url_schemes([
            "ftp", "sftp", "ssh", "irc", "ircs", "xmpp", "sms", "news", "nntp",
        ])
        .link_rel(Some("noopener"));
    builder
});

struct Renderer<'t> {
    target: Target<'t>,
    /// Every heading id given out so far.
    heading_ids: HashSet<String>,
    /// For each id base, the last numeric suffix tried, so that a thousand
    /// headings with one title cost a thousand steps, not half a million.
    heading_suffixes: HashMap<String, usize>,
    spoilers: usize,
    has_raw_html: bool,
    /// Render raw HTML as visible text instead of passing it on.
    raw_html_as_text: bool,
    text: String,
    first_paragraph: Option<String>,
}

impl<'t> Renderer<'t> {
    fn new(target: Target<'t>, raw_html_as_text: bool) -> Self {
        Self {
            target,
            heading_ids: HashSet::new(),
            heading_suffixes: HashMap::new(),
            spoilers: 0,
            has_raw_html: false,
            raw_html_as_text,
            text: String::new(),
            first_paragraph: None,
        }
    }

    fn render_fragment(&mut self, markdown: &str, depth: usize) -> String {
        let mut events: Vec<Event<'_>> = Vec::new();
        let mut parser = Parser::new_ext(markdown, options());
        let mut in_first_paragraph = false;
        while let Some(event) = parser.next() {
            match event {
                // Custom attributes (`{onclick=...}`) are dropped: markdown
                // without raw HTML is not sanitized, so nothing in it may
                // produce an event handler or a style.
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs: _,
                }) => {
                    let inner = collect_until_heading_end(&mut parser, level);
                    let title = plain_text(&inner);
                    self.push_text(&title);
                    let id = self.unique_heading_id(id.as_deref(), &title);
                    events.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(id.into()),
                        classes,
                        attrs: Vec::new(),
                    }));
                    // Inline HTML in a heading is raw HTML like any other.
                    for event in inner {
                        events.push(match event {
                            Event::InlineHtml(html) if self.raw_html_as_text => Event::Text(html),
                            Event::InlineHtml(html) => {
                                self.has_raw_html = true;
                                Event::InlineHtml(html)
                            }
                            other => self.resolve_urls(other),
                        });
                    }
                    events.push(Event::End(TagEnd::Heading(level)));
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                    if is_spoiler_fence(&info) && depth < MAX_SPOILER_DEPTH =>
                {
                    let inner = collect_code_text(&mut parser);
                    let summary = info.trim()[SPOILER_FENCE.len()..].trim().to_string();
                    let html = self.spoiler_html(&summary, &inner, depth);
                    events.push(Event::Html(html.into()));
                }
                Event::Start(Tag::Paragraph) if depth == 0 && self.first_paragraph.is_none() => {
                    in_first_paragraph = true;
                    self.first_paragraph = Some(String::new());
                    events.push(Event::Start(Tag::Paragraph));
                }
                Event::End(TagEnd::Paragraph) => {
                    in_first_paragraph = false;
                    self.text.push('\n');
                    events.push(event);
                }
                Event::Text(ref text) | Event::Code(ref text) => {
                    if let Some(first) =
                        self.first_paragraph.as_mut().filter(|_| in_first_paragraph)
                    {
                        first.push_str(text);
                    }
                    self.push_text(text);
                    events.push(event);
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(first) =
                        self.first_paragraph.as_mut().filter(|_| in_first_paragraph)
                    {
                        first.push(' ');
                    }
                    self.text.push(' ');
                    events.push(event);
                }
                Event::Html(html) | Event::InlineHtml(html) if self.raw_html_as_text => {
                    events.push(Event::Text(html));
                }
                Event::Html(_) | Event::InlineHtml(_) => {
                    self.has_raw_html = true;
                    events.push(event);
                }
                other => events.push(self.resolve_urls(other)),
            }
        }
        let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
        html::push_html(&mut out, events.into_iter());
        out
    }

    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Heading ids let readers link to a section; an explicit `{#id}` wins,
    /// otherwise the slug of the heading text, made unique in the review.
    fn unique_heading_id(&mut self, explicit: Option<&str>, title: &str) -> String {
        let base = match explicit {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                let slug = slug::slugify(title);
                if slug.is_empty() {
                    "section".to_string()
                } else {
                    slug
                }
            }
        };
        let n = self.heading_suffixes.entry(base.clone()).or_insert(1);
        let mut id = if *n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        while !self.heading_ids.insert(id.clone()) {
            *n += 1;
            id = format!("{base}-{n}");
        }
        id
    }

    fn spoiler_html(&mut self, summary: &str, inner_markdown: &str, depth: usize) -> String {
        self.spoilers += 1;
        let anchor = format!("spoiler-{}", self.spoilers);
        let mut html = String::new();
        if let Some(feed) = self.target.feed {
            // The text stays out of feeds entirely: a subscriber's reader
            // would show it in full, with no way to keep it closed.
            html.push_str("<p class=\"spoiler-hidden\"><a href=\"");
            push_escaped_href(&mut html, &format!("{}#{anchor}", feed.page_url));
            html.push_str("\">Spoiler hidden — read it on the site</a></p>\n");
            return html;
        }
        let inner = self.render_fragment(inner_markdown, depth + 1);
        html.push_str("<details class=\"spoiler\" id=\"");
        html.push_str(&anchor);
        html.push_str("\"><summary>Spoiler");
        if !summary.is_empty() {
            html.push_str(": ");
            push_escaped(&mut html, summary);
        }
        html.push_str("</summary>\n");
        html.push_str(&inner);
        html.push_str("</details>\n");
        html
    }

    fn resolve_urls<'e>(&self, event: Event<'e>) -> Event<'e> {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: self.resolve(dest_url),
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
                dest_url: self.resolve(dest_url),
                title,
                id,
            }),
            other => other,
        }
    }

    fn resolve<'e>(&self, url: CowStr<'e>) -> CowStr<'e> {
        resolve_url(&url, self.target).map_or(url, CowStr::from)
    }
}

/// Returns the URL to emit when it differs from what the editor wrote:
/// unsafe schemes become `#`, bundle-relative paths gain the bundle folder,
/// and in feeds every URL becomes absolute.
pub fn resolve_url(url: &str, target: Target<'_>) -> Option<String> {
    let url = url.trim();
    if let Some(scheme) = scheme_of(url) {
        let allowed = ["http", "https", "mailto", "tel"];
        return (!allowed.iter().any(|a| a.eq_ignore_ascii_case(scheme))).then(|| "#".to_string());
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

fn is_spoiler_fence(info: &str) -> bool {
    let info = info.trim();
    info.get(..SPOILER_FENCE.len())
        .is_some_and(|word| word.eq_ignore_ascii_case(SPOILER_FENCE))
        && info[SPOILER_FENCE.len()..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

fn collect_until_heading_end<'a>(parser: &mut Parser<'a>, level: HeadingLevel) -> Vec<Event<'a>> {
    let mut inner = Vec::new();
    for event in parser.by_ref() {
        if event == Event::End(TagEnd::Heading(level)) {
            break;
        }
        inner.push(event);
    }
    inner
}

fn collect_code_text(parser: &mut Parser<'_>) -> String {
    let mut text = String::new();
    for event in parser.by_ref() {
        match event {
            Event::End(TagEnd::CodeBlock) => break,
            Event::Text(chunk) => text.push_str(&chunk),
            _ => {}
        }
    }
    text
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        if let Event::Text(chunk) | Event::Code(chunk) = event {
            text.push_str(chunk);
        }
    }
    text
}

fn push_escaped(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = escape_html(&mut *out, text);
}

fn push_escaped_href(out: &mut String, url: &str) {
    let _ = escape_href(&mut *out, url);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(markdown: &str) -> Rendered {
        render(markdown, Target::default())
    }

    #[test]
    fn renders_extensions() {
        let html = page("| a |\n|---|\n| b |\n\n~~gone~~ \"quoted\"[^1]\n\n[^1]: note").html;
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("“quoted”"), "{html}");
        assert!(html.contains("footnote"), "{html}");
    }

    #[test]
    fn headings_get_unique_ids() {
        let html = page("## The Cast\n\n## The Cast\n\n## Custom {#mine}").html;
        assert!(html.contains("<h2 id=\"the-cast\">"), "{html}");
        assert!(html.contains("<h2 id=\"the-cast-2\">"), "{html}");
        assert!(html.contains("<h2 id=\"mine\">"), "{html}");
    }

    #[test]
    fn first_paragraph_and_text_are_collected() {
        let rendered = page("# Title\n\nFirst *para*\ncontinues.\n\nSecond.");
        assert_eq!(rendered.first_paragraph, "First para continues.");
        assert!(rendered.text.contains("Title"));
        assert!(rendered.text.contains("Second."));
    }

    #[test]
    fn spoiler_fence_becomes_closed_details() {
        let html = page("Before.\n\n```spoiler The ending\nShe *leaves*.\n```\n").html;
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
        let html = page("```rust\nlet spoiler = 1;\n```\n\n```spoilers\nx\n```").html;
        assert!(!html.contains("<details"), "{html}");
    }

    #[test]
    fn unsafe_link_schemes_are_neutralised() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "<java\tscript:alert(1)>",
            "data:text/html,x",
            "vbscript:x",
        ] {
            let html = page(&format!("[x]({url})")).html;
            assert!(html.contains("href=\"#\""), "{url}: {html}");
        }
        let html = page("[ok](https://example.com) [rel](other) [mail](mailto:a@b.c)").html;
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("href=\"other\""));
        assert!(html.contains("href=\"mailto:a@b.c\""));
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
    fn headings_cannot_carry_handlers_or_raw_html() {
        let html = page("# Hi {#mine .wide onclick=alert(1) style=color:red}\n\n## <img src=x onerror=alert(1)>Cast").html;
        assert!(
            html.contains("<h1 id=\"mine\" class=\"wide\">Hi</h1>"),
            "{html}"
        );
        assert!(
            !html.contains("onclick") && !html.contains("style"),
            "{html}"
        );
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn heading_ids_stay_unique_beside_explicit_ones() {
        let html = page("# a\n\n# a {#a-2}\n\n# a\n\n# a").html;
        let ids: Vec<&str> = html
            .split("id=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert_eq!(ids, ["a", "a-2", "a-3", "a-4"]);
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

    #[test]
    fn bundle_assets_resolve_against_the_bundle() {
        let target = Target {
            asset_base: Some("/reviews/anora/"),
            feed: None,
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
