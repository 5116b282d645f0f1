//! Markdown to HTML, done once when a file is loaded (and again for feeds,
//! which need absolute URLs and hidden spoilers).
//!
//! We walk pulldown-cmark's event stream rather than post-processing HTML:
//! headings get stable ids, link and image URLs are checked and resolved,
//! and fenced `spoiler` blocks become closed `<details>` disclosures. Markdown
//! without raw HTML cannot produce unsafe markup once URLs are checked, so
//! the sanitizer only runs when an editor wrote raw HTML.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

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
    /// The site's `embed_hosts`: an `<iframe>` in raw HTML is kept only when
    /// its `src` is an `https://` URL on one of them.
    pub embed_hosts: &'a [String],
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
            html = sanitize(&html, target);
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

/// The sanitizer when no host may be embedded: an iframe goes with its
/// fallback text, as any other would when hosts are allowed.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = allowlist();
    builder.add_clean_content_tags(["iframe"]);
    builder
});

/// What a kept iframe may carry from the editor's HTML. The rest is set:
/// players load when scrolled to, run in a sandbox that allows what video
/// players need (their own scripts and cookies, pop-ups for "watch on
/// YouTube", fullscreen presentation) and nothing else (no top navigation,
/// no forms), and learn no more than our origin from the referrer.
const EMBED_ATTRIBUTES: [&str; 5] = ["src", "title", "width", "height", "allowfullscreen"];
const EMBED_SET_ATTRIBUTES: [(&str, &str); 3] = [
    ("loading", "lazy"),
    (
        "sandbox",
        "allow-scripts allow-same-origin allow-popups allow-presentation",
    ),
    ("referrerpolicy", "strict-origin-when-cross-origin"),
];

/// A frame without a title is a nameless box to a screen reader (axe's
/// `frame-title` rule), so one without gets this.
pub const DEFAULT_EMBED_TITLE: &str = "Embedded video";

/// The allowlist plus iframes on `hosts`. ammonia drops the `src` of an
/// iframe on any other host (and an empty title); `finish_embeds` then
/// removes the iframes left without a source.
fn embed_sanitizer(hosts: &[String]) -> ammonia::Builder<'static> {
    let hosts = hosts.to_vec();
    let mut builder = allowlist();
    builder
        .add_tags(["iframe"])
        .add_tag_attributes("iframe", EMBED_ATTRIBUTES);
    for (attribute, value) in EMBED_SET_ATTRIBUTES {
        builder.set_tag_attribute_value("iframe", attribute, value);
    }
    builder.attribute_filter(
        move |element, attribute, value| match (element, attribute) {
            ("iframe", "src") => is_embeddable(value, &hosts).then_some(Cow::Borrowed(value)),
            ("iframe", "title") => (!value.trim().is_empty()).then_some(Cow::Borrowed(value)),
            // HTML allows only a number of pixels; `100%` belongs in CSS.
            ("iframe", "width" | "height") => value
                .bytes()
                .all(|byte| byte.is_ascii_digit())
                .then_some(Cow::Borrowed(value))
                .filter(|value| !value.is_empty()),
            _ => Some(Cow::Borrowed(value)),
        },
    );
    builder
}

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

/// Sanitizes rendered HTML that holds raw HTML from the editor.
fn sanitize(html: &str, target: Target<'_>) -> String {
    if target.embed_hosts.is_empty() {
        return SANITIZER.clean(html).to_string();
    }
    let clean = embed_sanitizer_for(target.embed_hosts)
        .clean(html)
        .to_string();
    if clean.contains("<iframe") {
        finish_embeds(&clean, target.feed.is_some())
    } else {
        clean
    }
}

/// The sanitizer for `hosts`, built once per host list rather than for
/// each file: a sync renders thousands of files with the same settings.
fn embed_sanitizer_for(hosts: &[String]) -> Arc<ammonia::Builder<'static>> {
    type Built = Option<(Vec<String>, Arc<ammonia::Builder<'static>>)>;
    static LAST: Mutex<Built> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &*last {
        Some((built_for, builder)) if built_for.as_slice() == hosts => builder.clone(),
        _ => {
            let builder = Arc::new(embed_sanitizer(hosts));
            *last = Some((hosts.to_vec(), builder.clone()));
            builder
        }
    }
}

/// Finishes the iframes in sanitized HTML, which ammonia can only strip of
/// attributes: one left without a `src` is removed, and a kept one loses
/// its fallback content (browsers never show it) and gains a title if it
/// had none. In feeds a kept iframe becomes a link to the player, since
/// most feed readers drop iframes, and those that keep them run them
/// outside our sandbox and CSP.
///
/// This reads ammonia's own serialization, not the editor's HTML: there
/// every `<` outside an iframe starts a tag (text and attribute values have
/// `<`, `>` and `"` escaped), attributes are `name="value"`, and an
/// iframe's content is raw text that ends at the first `</iframe>`.
fn finish_embeds(html: &str, feed: bool) -> String {
    const OPEN: &str = "<iframe";
    const CLOSE: &str = "</iframe>";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let after_name = &rest[start + OPEN.len()..];
        let Some(tag_end) = after_name
            .find('>')
            .filter(|_| after_name.starts_with([' ', '>']))
        else {
            // `<iframex`: not ours; keep it and look further.
            out.push_str(&rest[..start + OPEN.len()]);
            rest = after_name;
            continue;
        };
        out.push_str(&rest[..start]);
        let attributes = serialized_attributes(&after_name[..tag_end]);
        let content = &after_name[tag_end + 1..];
        rest = content
            .find(CLOSE)
            .map_or("", |close| &content[close + CLOSE.len()..]);
        let value = |name: &str| {
            attributes
                .iter()
                .find(|(attribute, _)| *attribute == name)
                .map(|(_, value)| *value)
        };
        let Some(src) = value("src") else {
            continue;
        };
        let title = value("title").unwrap_or(DEFAULT_EMBED_TITLE);
        if feed {
            // Values are still escaped as ammonia wrote them, which is
            // right for both an attribute and text.
            out.push_str(&format!("<a href=\"{src}\">{title}</a>"));
            continue;
        }
        out.push_str(OPEN);
        for (name, value) in &attributes {
            out.push_str(&format!(" {name}=\"{value}\""));
        }
        if value("title").is_none() {
            out.push_str(&format!(" title=\"{DEFAULT_EMBED_TITLE}\""));
        }
        out.push('>');
        out.push_str(CLOSE);
    }
    out.push_str(rest);
    out
}

/// The `name="value"` pairs of a tag as ammonia serializes it, values left
/// escaped.
fn serialized_attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut attributes = Vec::new();
    let mut rest = tag.trim_start();
    while let Some((name, after)) = rest.split_once("=\"") {
        let Some((value, after)) = after.split_once('"') else {
            break;
        };
        attributes.push((name.trim(), value));
        rest = after.trim_start();
    }
    attributes
}

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
                attributes.contains(&("title".into(), DEFAULT_EMBED_TITLE.into())),
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
                "<a href=\"https://www.youtube-nocookie.com/embed/x\">{DEFAULT_EMBED_TITLE}</a>"
            )),
            "{html}"
        );
        assert!(
            !html.contains("Evil") && !html.contains("evil.example"),
            "{html}"
        );
    }
}
