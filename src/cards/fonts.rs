//! The fonts a card is drawn with: DejaVu Serif (bold for titles, italic
//! for headlines, as the site's serif falls back to it) and DejaVu Sans,
//! all built into the binary by the `dejavu` crate. No system font is
//! scanned, so every machine draws the same card and a start costs nothing.
//!
//! DejaVu covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and
//! Arabic (usvg picks DejaVu Sans for a letter the serif lacks). It has no
//! Chinese, Japanese or Korean: a bundled CJK font would add 10–20 MB to
//! the binary. A character no bundled font draws is written as its Latin
//! transliteration instead (`deunicode`), so a card never shows empty
//! boxes; the page itself, and its `og:title`, keep the real title.

use std::sync::Arc;

use resvg::usvg::fontdb;
use skrifa::MetadataProvider;

/// The family names, as the SVG templates write them.
pub(crate) const SERIF: &str = "DejaVu Serif";
pub(crate) const SANS: &str = "DejaVu Sans";

/// The bundled faces, loaded once per server.
pub(crate) struct Fonts {
    db: Arc<fontdb::Database>,
    faces: Vec<skrifa::FontRef<'static>>,
}

impl Fonts {
    pub(crate) fn bundled() -> Self {
        let data: [&'static [u8]; 3] = [
            dejavu::serif::bold(),
            dejavu::serif::italic(),
            dejavu::sans::regular(),
        ];
        let mut db = fontdb::Database::new();
        for face in data {
            db.load_font_source(fontdb::Source::Binary(Arc::new(face)));
        }
        db.set_serif_family(SERIF);
        db.set_sans_serif_family(SANS);
        let faces = data
            .into_iter()
            .filter_map(|face| skrifa::FontRef::new(face).ok())
            .collect();
        Self {
            db: Arc::new(db),
            faces,
        }
    }

    /// The database usvg lays text out with.
    pub(crate) fn database(&self) -> Arc<fontdb::Database> {
        Arc::clone(&self.db)
    }

    fn covers(&self, c: char) -> bool {
        c.is_whitespace()
            || self
                .faces
                .iter()
                .any(|face| face.charmap().map(c).is_some())
    }

    /// `text` as the card can draw it: control characters dropped, runs of
    /// white space made one space, and each character no bundled font has
    /// replaced by its transliteration (`千と千尋` → `Qian to Qian Xun`).
    pub(crate) fn drawable(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut after_transliteration = false;
        for c in text
            .chars()
            .filter(|c| !c.is_control() || c.is_whitespace())
        {
            if self.covers(c) {
                if after_transliteration && !c.is_whitespace() && !c.is_ascii_punctuation() {
                    out.push(' ');
                }
                out.push(c);
                after_transliteration = false;
            } else if let Some(latin) = deunicode::deunicode_char(c) {
                let latin = latin.trim();
                if latin.is_empty() {
                    continue;
                }
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(latin);
                after_transliteration = true;
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_dejavu_has_are_kept_as_written() {
        let fonts = Fonts::bundled();
        for title in ["Amélie", "Левиафан", "وجدة", "Ζ", "Anora — ½"] {
            assert_eq!(fonts.drawable(title), title);
        }
    }

    #[test]
    fn characters_no_font_has_are_transliterated() {
        let fonts = Fonts::bundled();
        let drawn = fonts.drawable("千と千尋の神隠し (2001)");
        assert!(drawn.is_ascii(), "{drawn}");
        assert!(drawn.starts_with("Qian to Qian Xun"), "{drawn}");
        assert!(drawn.ends_with("(2001)"), "{drawn}");
    }

    #[test]
    fn controls_and_runs_of_space_go() {
        let fonts = Fonts::bundled();
        assert_eq!(fonts.drawable("  A\u{1b}\t\n  B  "), "A B");
    }
}
