//! Markdown to HTML, done once when a file is loaded (and again for feeds,
//! which need absolute URLs and hidden spoilers).
//!
//! A body goes through these steps, one module each:
//!
//! - `renderer` walks pulldown-cmark's event stream rather than
//!   post-processing HTML, and hands each kind of event to its step:
//! - `headings` gives every heading a stable, unique id;
//! - `urls` checks and resolves link and image URLs;
//! - `spoilers` turns fenced `spoiler` blocks into closed `<details>`;
//! - `text` collects the plain text for search and the standfirst, one
//!   line per block, without spoiler blocks;
//! - `sanitize` cleans raw HTML with ammonia, which only runs when an editor
//!   wrote raw HTML: markdown without it cannot produce unsafe markup once
//!   URLs are checked;
//! - `embeds` decides which iframes are players we allow, and finishes the
//!   ones the sanitizer kept.

mod embeds;
mod headings;
mod renderer;
mod sanitize;
mod spoilers;
mod text;
mod urls;

pub use embeds::is_embeddable;

/// The version of what `render` makes of a body (its HTML, plain text and
/// standfirst). The store keeps rendered bodies, so whenever the same
/// markdown would render differently, this goes up by one: a store whose
/// bodies were rendered by another version renders every body again at the
/// next sync (see `plan::rendering_fingerprint`).
///
/// 2: plain text keeps block boundaries and leaves spoiler blocks out.
/// 3: the local images a body shows are listed (`Rendered::images`).
pub(crate) const RENDERER_VERSION: u32 = 3;

use renderer::{RawHtml, Renderer};

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

/// What a feed needs to know to make a body stand on its own in a reader,
/// away from the site.
#[derive(Debug, Clone, Copy)]
pub struct FeedTarget<'a> {
    /// The site's base URL without a trailing slash (`https://example.com`).
    pub(crate) base_url: &'a str,
    /// The absolute URL of the review page the content belongs to.
    pub(crate) page_url: &'a str,
}

/// The outputs of one render.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The body as safe HTML.
    pub html: String,
    /// Plain text of the body for the search index and its snippets: one
    /// line per block, spoiler blocks left out (see `text`).
    pub(crate) text: String,
    /// Plain text of the first paragraph outside spoiler blocks: the default
    /// standfirst.
    pub(crate) first_paragraph: String,
    /// The body mixes raw HTML with more tags than can be sanitized in
    /// reasonable time (see `sanitize`). The HTML then shows the raw HTML as
    /// text, which is safe; loaders report the file as an error.
    pub(crate) too_much_html: bool,
    /// The local images the body shows (a bundle's, or under `/static/`),
    /// each once, as the HTML links them: the publisher makes their sizes,
    /// and the page gives them `srcset`, `width` and `height`.
    pub(crate) images: Vec<String>,
}

/// Renders a body for `target`: one pass over the markdown, and a second
/// (sanitizing) only when the editor wrote raw HTML.
pub fn render(markdown: &str, target: Target<'_>) -> Rendered {
    let mut renderer = Renderer::new(target, RawHtml::Pass);
    let html = renderer.render(markdown);
    if !renderer.has_raw_html() {
        return renderer.finish(html, false);
    }
    match sanitize::sanitize(&html, target) {
        Some(clean) => renderer.finish(clean, false),
        None => {
            let mut renderer = Renderer::new(target, RawHtml::AsText);
            let html = renderer.render(markdown);
            renderer.finish(html, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_extensions() {
        let html = render(
            "| a |\n|---|\n| b |\n\n~~gone~~ \"quoted\"[^1]\n\n[^1]: note",
            Target::default(),
        )
        .html;
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("“quoted”"), "{html}");
        assert!(html.contains("footnote"), "{html}");
    }
}
