//! The plain text of a body, gathered during the same walk that renders it:
//! all of it for the search index, and the first paragraph as the default
//! standfirst, so that neither needs the HTML to be read again.
//!
//! Search indexes this text and cuts its snippets from it, so two rules hold:
//!
//! - Blocks (paragraphs, headings, list items, table cells, quotes, code
//!   blocks, footnotes) are separated by a line break, and lines inside a
//!   block are joined by spaces: words of two blocks never run together
//!   ("The first halfAdrien"), and a line break means a block ends.
//! - Spoiler blocks are left out, with everything inside them: a reader who
//!   has not opened one must not meet it in a snippet, and a word that is
//!   only there finds nothing. The standfirst never comes from one either.

use pulldown_cmark::{Event, Tag, TagEnd};

/// Text collected so far from one body.
#[derive(Debug, Default)]
pub(super) struct PlainText {
    all: String,
    /// `None` until the body's first paragraph outside spoilers starts.
    first_paragraph: Option<String>,
    in_first_paragraph: bool,
    /// How many spoiler blocks the walk is inside: their text is left out.
    spoiler_depth: usize,
}

impl PlainText {
    /// A paragraph starts: the first one outside spoilers is the standfirst.
    pub(super) fn start_paragraph(&mut self) {
        self.block_boundary();
        if self.first_paragraph.is_none() && self.spoiler_depth == 0 {
            self.first_paragraph = Some(String::new());
            self.in_first_paragraph = true;
        }
    }

    pub(super) fn end_paragraph(&mut self) {
        self.in_first_paragraph = false;
        self.block_boundary();
    }

    /// A block starts or ends: what comes next is a block of its own.
    /// Trailing spaces go, so that a line break alone separates blocks.
    pub(super) fn block_boundary(&mut self) {
        if let Some(all) = self.visible() {
            all.truncate(all.trim_end().len());
            if !all.is_empty() {
                all.push('\n');
            }
        }
    }

    /// Text or inline code. Line breaks in it (a code block's lines) read
    /// as spaces, since a line break separates blocks.
    pub(super) fn push(&mut self, text: &str) {
        let Some(all) = self.visible() else {
            return;
        };
        push_as_one_line(all, text);
        if let Some(first) = self.first_paragraph_in_progress() {
            push_as_one_line(first, text);
        }
    }

    /// A line break inside a paragraph reads as a space.
    pub(super) fn push_break(&mut self) {
        self.push(" ");
    }

    /// A heading's text is searchable but never part of the standfirst.
    pub(super) fn push_heading(&mut self, title: &str) {
        self.block_boundary();
        self.push(title);
        self.block_boundary();
    }

    /// The walk goes into a spoiler block: nothing is collected until it
    /// comes out.
    pub(super) fn enter_spoiler(&mut self) {
        self.block_boundary();
        self.spoiler_depth += 1;
    }

    pub(super) fn leave_spoiler(&mut self) {
        self.spoiler_depth = self.spoiler_depth.saturating_sub(1);
    }

    /// The whole text and the first paragraph, trimmed.
    pub(super) fn finish(self) -> (String, String) {
        (
            self.all.trim().to_string(),
            self.first_paragraph.unwrap_or_default().trim().to_string(),
        )
    }

    /// Where text goes now: nowhere inside a spoiler block.
    fn visible(&mut self) -> Option<&mut String> {
        (self.spoiler_depth == 0).then_some(&mut self.all)
    }

    fn first_paragraph_in_progress(&mut self) -> Option<&mut String> {
        self.first_paragraph
            .as_mut()
            .filter(|_| self.in_first_paragraph)
    }
}

/// Whether `event` starts or ends a block (or is one, a thematic break), so
/// that the text before and after it must not run together. Inline markup
/// (emphasis, links, images) and the paragraph, which the walk handles for
/// the standfirst, are not.
pub(super) fn is_block_boundary(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => !matches!(
            tag,
            Tag::Paragraph
                | Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(tag) => !matches!(
            tag,
            TagEnd::Paragraph
                | TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        Event::Rule => true,
        _ => false,
    }
}

/// The text of some inline events (a heading's), without their markup.
pub(super) fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        if let Event::Text(chunk) | Event::Code(chunk) = event {
            text.push_str(chunk);
        }
    }
    text
}

/// Appends `text` with its line breaks as spaces.
fn push_as_one_line(out: &mut String, text: &str) {
    for (n, line) in text.split(['\n', '\r']).enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(line);
    }
}

#[cfg(test)]
mod tests {
    use crate::content::markdown::{Rendered, Target, render};

    fn render_body(markdown: &str) -> Rendered {
        render(markdown, Target::default())
    }

    fn text(markdown: &str) -> String {
        render_body(markdown).text
    }

    #[test]
    fn first_paragraph_and_text_are_collected() {
        let rendered = render_body("# Title\n\nFirst *para*\ncontinues.\n\nSecond.");
        assert_eq!(rendered.first_paragraph, "First para continues.");
        assert_eq!(rendered.text, "Title\nFirst para continues.\nSecond.");
    }

    #[test]
    fn headings_are_blocks_of_their_own() {
        assert_eq!(
            text("The look of it\n## Frame\nby frame.\n\n### Cast\nEnsemble."),
            "The look of it\nFrame\nby frame.\nCast\nEnsemble."
        );
    }

    #[test]
    fn list_items_are_separated_nested_or_not() {
        assert_eq!(
            text("- handsome.\n- Ensemble\n  1. inner\n  2. list\n\nAfter."),
            "handsome.\nEnsemble\ninner\nlist\nAfter."
        );
        assert_eq!(text("* loose\n\n* items"), "loose\nitems");
    }

    #[test]
    fn table_cells_are_separated() {
        assert_eq!(
            text("| Film | Year |\n|---|---|\n| Anora | 2024 |\n\nAfter."),
            "Film\nYear\nAnora\n2024\nAfter."
        );
    }

    #[test]
    fn block_quotes_keep_their_paragraphs_apart() {
        assert_eq!(
            text("Before\n> ## Said\n> quoted\n>\n> twice\n\nafter"),
            "Before\nSaid\nquoted\ntwice\nafter"
        );
    }

    #[test]
    fn code_blocks_are_one_block_with_lines_as_spaces() {
        assert_eq!(
            text("Run\n```sh\nmarquee check\nmarquee serve\n```\n    indented\n    code\n\nDone."),
            "Run\nmarquee check marquee serve\nindented code\nDone."
        );
        assert_eq!(
            text("Inline `code` stays inline."),
            "Inline code stays inline."
        );
    }

    #[test]
    fn line_breaks_inside_a_paragraph_are_spaces() {
        let rendered = render_body("soft\nbreak, hard  \nbreak\\\nand more");
        assert_eq!(rendered.text, "soft break, hard break and more");
        assert_eq!(rendered.first_paragraph, rendered.text);
    }

    #[test]
    fn spoiler_blocks_are_left_out_of_the_text() {
        let rendered = render_body(
            "Before.\n\n````spoiler What the epilogue does\nIt jumps *decades* ahead.\n\n\
             ## A secret heading\n\n- a secret item\n\n```spoiler\nDeeper secret.\n```\n````\n\nAfter.",
        );
        assert_eq!(rendered.text, "Before.\nAfter.");
        for shown in ["decades", "A secret heading", "Deeper secret."] {
            assert!(
                rendered.html.contains(shown),
                "the page still shows {shown}"
            );
        }
    }

    #[test]
    fn the_standfirst_never_comes_from_a_spoiler_block() {
        let rendered =
            render_body("```spoiler\nThe twist.\n```\n\n## Heading\n\nThe first paragraph.");
        assert_eq!(rendered.first_paragraph, "The first paragraph.");
        assert_eq!(rendered.text, "Heading\nThe first paragraph.");
        let only_spoiler = render_body("```spoiler\nThe twist.\n```");
        assert_eq!(only_spoiler.first_paragraph, "");
        assert_eq!(only_spoiler.text, "");
    }

    #[test]
    fn footnotes_are_blocks_and_their_marks_add_no_text() {
        assert_eq!(
            text("- A claim[^1] made\n\n[^1]: The source.\n\nAfter."),
            "A claim made\nThe source.\nAfter."
        );
    }
}
