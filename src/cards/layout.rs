//! Breaking a card's text into lines that fit, by measuring it as it will
//! be drawn: each candidate line is laid out by usvg with the same fonts,
//! size and weight as the card, so the widths include shaping, kerning and
//! any fallback face. A line is as many words as fit; a word wider than a
//! line (a long compound, or a title in a script written without spaces)
//! is broken between characters; past the last line, the text ends in "…".

use askama::Template;
use resvg::usvg;

use super::CardError;
use super::fonts::Fonts;

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub(crate) family: &'static str,
    pub(crate) size: f32,
    pub(crate) bold: bool,
    pub(crate) italic: bool,
}

impl TextStyle {
    /// For the templates' `font-weight`.
    pub(crate) fn weight(&self) -> &'static str {
        if self.bold { "bold" } else { "normal" }
    }

    /// For the templates' `font-style`.
    pub(crate) fn slant(&self) -> &'static str {
        if self.italic { "italic" } else { "normal" }
    }
}

/// Text longer than this cannot be shown on a card anyway; the rest is
/// never measured.
const MAX_CHARS: usize = 400;

/// No glyph of the bundled fonts is narrower than a fifth of the font
/// size, so a line of more characters than this cannot fit: candidates
/// stop there.
fn max_chars_per_line(style: TextStyle, width: f32) -> usize {
    (width / (style.size * 0.2)).ceil() as usize + 1
}

/// An SVG of one `<text>` per candidate, each at x = 0, for usvg to lay
/// out.
#[derive(Template)]
#[template(path = "cards/measure.svg")]
struct MeasureSvg<'a> {
    style: TextStyle,
    texts: &'a [String],
}

/// Lays out text for measuring.
pub(crate) struct Measurer<'f> {
    fonts: &'f Fonts,
    options: usvg::Options<'static>,
}

impl<'f> Measurer<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        let options = usvg::Options {
            fontdb: fonts.database(),
            ..usvg::Options::default()
        };
        Self { fonts, options }
    }

    /// The width each text takes when set in `style`, from its start to
    /// the right edge of its last glyph's advance or ink, whichever is
    /// further right.
    pub(crate) fn widths(&self, style: TextStyle, texts: &[String]) -> Result<Vec<f32>, CardError> {
        let svg = MeasureSvg { style, texts }.render()?;
        let tree = usvg::Tree::from_str(&svg, &self.options)?;
        let mut widths = vec![0.0; texts.len()];
        for node in tree.root().children() {
            let usvg::Node::Text(text) = node else {
                continue;
            };
            let Some(index) = text
                .id()
                .strip_prefix('m')
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let ink = text.flattened().bounding_box().right();
            if let Some(width) = widths.get_mut(index) {
                *width = text.bounding_box().right().max(ink);
            }
        }
        Ok(widths)
    }

    /// `text` in at most `max_lines` lines no wider than `width`, the last
    /// one ending in "…" when the text does not fit. Empty text gives no
    /// lines.
    pub(crate) fn wrap(
        &self,
        text: &str,
        style: TextStyle,
        width: f32,
        max_lines: usize,
    ) -> Result<Vec<String>, CardError> {
        let text: String = self.fonts.drawable(text).chars().take(MAX_CHARS).collect();
        let tokens = self.tokens(&text, style, width)?;
        let cap = max_chars_per_line(style, width);
        let mut lines = Vec::new();
        let mut start = 0;
        while start < tokens.len() && lines.len() < max_lines {
            let last = lines.len() + 1 == max_lines;
            let candidates: Vec<String> = (start + 1..=tokens.len())
                .map(|end| join(&tokens[start..end]))
                .take_while(|line| line.chars().count() <= cap)
                .collect();
            let widths = self.widths(style, &candidates)?;
            let fits = widths.iter().take_while(|w| **w <= width).count().max(1);
            let end = word_boundary(&tokens, start, start + fits);
            if last && end < tokens.len() {
                lines.push(self.ellipsized(&tokens[start..end], style, width)?);
            } else {
                lines.push(join(&tokens[start..end]));
            }
            start = end;
        }
        Ok(lines)
    }

    /// Whether every word of `text` fits on a line of `width` (so that
    /// wrapping it breaks no word in two).
    pub(crate) fn words_fit(
        &self,
        text: &str,
        style: TextStyle,
        width: f32,
    ) -> Result<bool, CardError> {
        let text: String = self.fonts.drawable(text).chars().take(MAX_CHARS).collect();
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        Ok(self.widths(style, &words)?.iter().all(|w| *w <= width))
    }

    /// The longest start of `tokens` that fits with "…" after it.
    fn ellipsized(
        &self,
        tokens: &[Token],
        style: TextStyle,
        width: f32,
    ) -> Result<String, CardError> {
        let candidates: Vec<String> = (0..=tokens.len())
            .rev()
            .map(|end| {
                let line = join(&tokens[..end]);
                let line = line.trim_end_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.' | '—' | '-')
                });
                format!("{line}…")
            })
            .collect();
        let widths = self.widths(style, &candidates)?;
        let chosen = widths
            .iter()
            .position(|w| *w <= width)
            .unwrap_or(candidates.len() - 1);
        Ok(candidates[chosen].clone())
    }

    /// Words, and the characters of any word wider than a line.
    fn tokens(&self, text: &str, style: TextStyle, width: f32) -> Result<Vec<Token>, CardError> {
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        let widths = self.widths(style, &words)?;
        let mut tokens = Vec::new();
        for (word, word_width) in words.into_iter().zip(widths) {
            if word_width <= width {
                tokens.push(Token {
                    text: word,
                    space_before: true,
                });
                continue;
            }
            for (i, c) in word.chars().enumerate() {
                tokens.push(Token {
                    text: c.to_string(),
                    space_before: i == 0,
                });
            }
        }
        Ok(tokens)
    }
}

/// A word, or one character of a word too wide for a line.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    /// Whether a space separates it from the token before.
    space_before: bool,
}

/// Where a line from `start` that could hold the tokens up to `end`
/// should stop: at `end`, unless that splits a word and an earlier word
/// on the line can end it instead (a word too wide for a line then starts
/// on a line of its own, rather than filling another line's tail).
fn word_boundary(tokens: &[Token], start: usize, end: usize) -> usize {
    if tokens.get(end).is_none_or(|next| next.space_before) {
        return end;
    }
    (start + 1..end)
        .rev()
        .find(|&k| tokens[k].space_before)
        .unwrap_or(end)
}

fn join(tokens: &[Token]) -> String {
    let mut line = String::new();
    for token in tokens {
        if token.space_before && !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&token.text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::fonts::SERIF;

    const TITLE: TextStyle = TextStyle {
        family: SERIF,
        size: 64.0,
        bold: true,
        italic: false,
    };

    #[test]
    fn a_short_title_is_one_line() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        let lines = measurer.wrap("Anora", TITLE, 600.0, 2).unwrap();
        assert_eq!(lines, ["Anora"]);
    }

    #[test]
    fn wider_text_is_wider() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        let widths = measurer
            .widths(TITLE, &["i".into(), "Anora".into(), "Anora Anora".into()])
            .unwrap();
        assert!(widths[0] > 0.0 && widths[0] < widths[1] && widths[1] < widths[2]);
    }

    #[test]
    fn long_text_wraps_within_the_width_and_ends_in_an_ellipsis() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        let long = "The Extraordinarily Long and Winding Story of Everything That Ever Happened to Anyone in the Great City of Constantinople ".repeat(4);
        let lines = measurer.wrap(&long, TITLE, 600.0, 2).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        for width in measurer.widths(TITLE, &lines).unwrap() {
            assert!(width <= 600.0, "{width}");
        }
    }

    #[test]
    fn a_word_too_wide_for_a_line_starts_a_line_of_its_own() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        let lines = measurer
            .wrap("Long and Extraordinarily Winding", TITLE, 420.0, 4)
            .unwrap();
        assert_eq!(lines[0], "Long and", "{lines:?}");
        assert_eq!(
            format!("{}{}", lines[1], lines[2]),
            "Extraordinarily",
            "{lines:?}"
        );
    }

    #[test]
    fn words_fit_tells_whether_a_word_must_break() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        assert!(
            measurer
                .words_fit("Long and Winding", TITLE, 420.0)
                .unwrap()
        );
        assert!(
            !measurer
                .words_fit("Long and Extraordinarily", TITLE, 420.0)
                .unwrap()
        );
    }

    #[test]
    fn text_without_spaces_breaks_between_characters() {
        let fonts = Fonts::bundled();
        let measurer = Measurer::new(&fonts);
        let word = "Supercalifragilisticexpialidocious".repeat(3);
        let lines = measurer.wrap(&word, TITLE, 500.0, 3).unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        for width in measurer.widths(TITLE, &lines).unwrap() {
            assert!(width <= 500.0, "{width}");
        }
    }
}
