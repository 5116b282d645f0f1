//! The walk over pulldown-cmark's events: the one place that knows the
//! markdown's structure. Each event goes to the step that owns it (heading
//! ids, URLs, spoilers, plain text), and pulldown-cmark writes the HTML, so
//! every step changes events rather than re-reading HTML afterwards.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::headings::HeadingIds;
use super::spoilers;
use super::text::{self, PlainText, plain_text};
use super::{Rendered, Target, urls};

/// The extensions Marquee's markdown supports, chosen explicitly so that an
/// upgrade of pulldown-cmark cannot change what an editor's file means.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// What happens to raw HTML the editor wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RawHtml {
    /// Passed on, for the sanitizer to clean.
    Pass,
    /// Shown as visible text: for a body with too much HTML to sanitize.
    AsText,
}

/// One body's render: the state that must be shared by the body and the
/// spoiler blocks inside it (heading ids and spoiler numbers are unique in
/// the whole review, and the plain text knows when it is inside a spoiler).
pub(super) struct Renderer<'t> {
    target: Target<'t>,
    raw_html: RawHtml,
    heading_ids: HeadingIds,
    spoilers: usize,
    has_raw_html: bool,
    text: PlainText,
    /// Local images the body shows, as linked (see `Rendered::images`).
    images: Vec<String>,
}

impl<'t> Renderer<'t> {
    pub(super) fn new(target: Target<'t>, raw_html: RawHtml) -> Self {
        Self {
            target,
            raw_html,
            heading_ids: HeadingIds::default(),
            spoilers: 0,
            has_raw_html: false,
            text: PlainText::default(),
            images: Vec::new(),
        }
    }

    /// The body's HTML, before any sanitizing.
    pub(super) fn render(&mut self, markdown: &str) -> String {
        self.render_fragment(markdown, 0)
    }

    /// Whether the editor wrote raw HTML that was passed on, so the HTML
    /// needs the sanitizer.
    pub(super) fn has_raw_html(&self) -> bool {
        self.has_raw_html
    }

    /// The outputs, with `html` as it will be served.
    pub(super) fn finish(self, html: String, too_much_html: bool) -> Rendered {
        let (text, first_paragraph) = self.text.finish();
        Rendered {
            html,
            text,
            first_paragraph,
            too_much_html,
            images: self.images,
        }
    }

    /// Renders the body (`depth` 0) or the inside of a spoiler block.
    fn render_fragment(&mut self, markdown: &str, depth: usize) -> String {
        let mut events: Vec<Event<'_>> = Vec::new();
        let mut parser = Parser::new_ext(markdown, options());
        while let Some(event) = parser.next() {
            if text::is_block_boundary(&event) {
                self.text.block_boundary();
            }
            match event {
                Event::Start(Tag::Heading {
                    level, id, classes, ..
                }) => {
                    let inner = collect_until_heading_end(&mut parser, level);
                    self.push_heading(&mut events, level, id.as_deref(), classes, inner);
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info)))
                    if depth < spoilers::MAX_DEPTH =>
                {
                    if let Some(label) = spoilers::label(info) {
                        let inner = collect_code_text(&mut parser);
                        let html = self.spoiler(label, &inner, depth);
                        events.push(Event::Html(html.into()));
                    } else {
                        events.push(event);
                    }
                }
                Event::Start(Tag::Paragraph) => {
                    self.text.start_paragraph();
                    events.push(event);
                }
                Event::End(TagEnd::Paragraph) => {
                    self.text.end_paragraph();
                    events.push(event);
                }
                Event::Text(ref text) | Event::Code(ref text) => {
                    self.text.push(text);
                    events.push(event);
                }
                Event::SoftBreak | Event::HardBreak => {
                    self.text.push_break();
                    events.push(event);
                }
                Event::Html(html) => events.push(self.raw_html(html, Event::Html)),
                Event::InlineHtml(html) => events.push(self.raw_html(html, Event::InlineHtml)),
                other => {
                    let event = self.resolve(other);
                    events.push(event);
                }
            }
        }
        let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
        pulldown_cmark::html::push_html(&mut out, events.into_iter());
        out
    }

    /// `event` with its URL resolved (`urls`), noting a local image the
    /// page will show.
    fn resolve<'e>(&mut self, event: Event<'e>) -> Event<'e> {
        let event = urls::resolve_event(event, self.target);
        if let Event::Start(Tag::Image { dest_url, .. }) = &event
            && let Some(local) = urls::local_image(dest_url, self.target)
            && !self.images.iter().any(|known| known == local)
        {
            self.images.push(local.to_string());
        }
        event
    }

    /// A heading with its unique id. Custom attributes (`{onclick=...}`) are
    /// dropped: markdown without raw HTML is not sanitized, so nothing in it
    /// may produce an event handler or a style.
    fn push_heading<'e>(
        &mut self,
        events: &mut Vec<Event<'e>>,
        level: HeadingLevel,
        id: Option<&str>,
        classes: Vec<CowStr<'e>>,
        inner: Vec<Event<'e>>,
    ) {
        let title = plain_text(&inner);
        self.text.push_heading(&title);
        let id = self.heading_ids.unique(id, &title);
        events.push(Event::Start(Tag::Heading {
            level,
            id: Some(id.into()),
            classes,
            attrs: Vec::new(),
        }));
        // Inline HTML in a heading is raw HTML like any other.
        for event in inner {
            events.push(match event {
                Event::InlineHtml(html) => self.raw_html(html, Event::InlineHtml),
                other => self.resolve(other),
            });
        }
        events.push(Event::End(TagEnd::Heading(level)));
    }

    /// Raw HTML as the editor wrote it (`as_html` rebuilds the event it came
    /// in), or as text when there is too much to sanitize.
    fn raw_html<'e>(
        &mut self,
        html: CowStr<'e>,
        as_html: fn(CowStr<'e>) -> Event<'e>,
    ) -> Event<'e> {
        match self.raw_html {
            RawHtml::AsText => Event::Text(html),
            RawHtml::Pass => {
                self.has_raw_html = true;
                as_html(html)
            }
        }
    }

    /// A spoiler block: numbered in the review, its inside rendered as
    /// markdown of its own, or left out entirely in feeds.
    fn spoiler(&mut self, label: &str, inner_markdown: &str, depth: usize) -> String {
        self.spoilers += 1;
        let anchor = spoilers::anchor(self.spoilers);
        if let Some(feed) = self.target.feed {
            return spoilers::feed_placeholder(feed.page_url, &anchor);
        }
        self.text.enter_spoiler();
        let inner = self.render_fragment(inner_markdown, depth + 1);
        self.text.leave_spoiler();
        spoilers::disclosure(&anchor, label, &inner)
    }
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
