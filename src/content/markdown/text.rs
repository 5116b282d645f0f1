//! The plain text of a body, gathered during the same walk that renders it:
//! all of it for the search index, and the first paragraph as the default
//! standfirst, so that neither needs the HTML to be read again.

use pulldown_cmark::Event;

/// Text collected so far from one body.
#[derive(Debug, Default)]
pub(super) struct PlainText {
    all: String,
    /// `None` until the body's first top-level paragraph starts.
    first_paragraph: Option<String>,
    in_first_paragraph: bool,
}

impl PlainText {
    /// A paragraph starts at the top of the body (not in a spoiler block):
    /// the first one is the standfirst.
    pub(super) fn top_level_paragraph(&mut self) {
        if self.first_paragraph.is_none() {
            self.first_paragraph = Some(String::new());
            self.in_first_paragraph = true;
        }
    }

    pub(super) fn end_paragraph(&mut self) {
        self.in_first_paragraph = false;
        self.all.push('\n');
    }

    /// Text or inline code.
    pub(super) fn push(&mut self, text: &str) {
        if let Some(first) = self.first_paragraph_in_progress() {
            first.push_str(text);
        }
        self.all.push_str(text);
    }

    /// A line break inside a paragraph reads as a space.
    pub(super) fn push_break(&mut self) {
        if let Some(first) = self.first_paragraph_in_progress() {
            first.push(' ');
        }
        self.all.push(' ');
    }

    /// A heading's text is searchable but never part of the standfirst.
    pub(super) fn push_heading(&mut self, title: &str) {
        self.all.push_str(title);
    }

    /// The whole text and the first paragraph, trimmed.
    pub(super) fn finish(self) -> (String, String) {
        (
            self.all.trim().to_string(),
            self.first_paragraph.unwrap_or_default().trim().to_string(),
        )
    }

    fn first_paragraph_in_progress(&mut self) -> Option<&mut String> {
        self.first_paragraph
            .as_mut()
            .filter(|_| self.in_first_paragraph)
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

#[cfg(test)]
mod tests {
    use crate::content::markdown::{Target, render};

    #[test]
    fn first_paragraph_and_text_are_collected() {
        let rendered = render(
            "# Title\n\nFirst *para*\ncontinues.\n\nSecond.",
            Target::default(),
        );
        assert_eq!(rendered.first_paragraph, "First para continues.");
        assert!(rendered.text.contains("Title"));
        assert!(rendered.text.contains("Second."));
    }
}
