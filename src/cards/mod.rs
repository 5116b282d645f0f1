//! Share cards: the 1200 × 630 PNG a link to the site unfurls with on
//! Mastodon, Bluesky, Slack or iMessage (`og:image`). A review's card shows
//! its poster (or the film's title on a tinted panel), the film's title and
//! year, the headline, the rating as stars and the site's name; the site's
//! card (home and tag pages) its title, tagline and number of reviews.
//!
//! A card is drawn once per change of what it shows: its file name carries
//! a hash of everything drawn (texts, rating, the poster's bytes, the
//! renderer's version), so its URL changes when the card would, and the
//! file can be cached for a year. Cards are drawn on first request, one at
//! a time (a poster decode is the biggest allocation the server makes, and
//! two concurrent first requests must not draw a card twice), and kept in a
//! folder beside the database (`marquee.db` → `marquee-cards/`) that can be
//! deleted at any time. Drawing a card replaces the older cards of the same
//! review.
//!
//! Like `content`, this module knows no SQL and no HTTP: the web layer
//! (`web::cards`) gathers what a card shows and serves the bytes.

mod draw;
mod fonts;
mod layout;
pub(crate) mod poster;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::content::review::Rating;
use fonts::Fonts;

/// A card's width and height in pixels, as `og:image:width` and
/// `og:image:height` say.
pub const CARD_WIDTH: u32 = 1200;
/// See `CARD_WIDTH`.
pub const CARD_HEIGHT: u32 = 630;

/// Bump when the drawing changes, so that every card gets a new URL and
/// no one keeps the old picture for a year.
const RENDERER_VERSION: u32 = 1;

/// A rectangle on the card, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Right edge.
    pub right: f32,
    /// Bottom edge.
    pub bottom: f32,
}

impl Rect {
    /// For the templates and the layout.
    pub fn width(&self) -> f32 {
        self.right - self.x
    }

    /// See `width`.
    pub fn height(&self) -> f32 {
        self.bottom - self.y
    }
}

/// Where a review card's texts (site name, title, year, headline) must
/// stay, whatever their length: public so that tests can look for text
/// outside it.
pub const TEXT_BOX: Rect = Rect {
    x: 460.0,
    y: 60.0,
    right: 1140.0,
    bottom: 460.0,
};

/// The poster, or its placeholder, at 2:3.
pub const POSTER_PANEL: Rect = Rect {
    x: 60.0,
    y: 60.0,
    right: 400.0,
    bottom: 570.0,
};

/// The card's colours: the site's dark scheme (`static/style.css`), which
/// reads well in the light and dark timelines cards appear in.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Background (`--paper`, dark).
    pub paper: &'static str,
    /// Titles and headlines (`--ink`, dark).
    pub ink: &'static str,
    /// The year and the rating in figures (`--ink-soft`, dark).
    pub ink_soft: &'static str,
    /// The site's name (`--accent`, dark).
    pub accent: &'static str,
    /// The band along the top (`--accent`, light).
    pub brand: &'static str,
    /// The placeholder panel: the accent, darkened.
    pub tint: &'static str,
    /// Frames (`--rule`, dark).
    pub rule: &'static str,
    /// A filled star (`--star`, dark).
    pub star: &'static str,
    /// An empty star (`--rule-strong`, dark).
    pub star_empty: &'static str,
}

impl Palette {
    /// The one palette cards use.
    pub const CARD: Palette = Palette {
        paper: "#14120f",
        ink: "#ede7dd",
        ink_soft: "#b5ac9e",
        accent: "#f0968a",
        brand: "#9b1c1c",
        tint: "#3a1713",
        rule: "#37322a",
        star: "#f2c14e",
        star_empty: "#4d463b",
    };
}

/// Why a card could not be drawn. Bad input is not one of them (a broken
/// poster gives the placeholder, any text is laid out): these are bugs or
/// a machine out of resources.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// A card template failed to render.
    #[error("card template: {0}")]
    Template(#[from] askama::Error),
    /// usvg refused the SVG the templates wrote.
    #[error("card SVG: {0}")]
    Svg(#[from] resvg::usvg::Error),
    /// The canvas could not be made or encoded.
    #[error("card canvas")]
    Canvas,
    /// The drawing task stopped (it panicked).
    #[error("card drawing task: {0}")]
    Task(String),
}

/// A local poster: where it is and a hash of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Poster {
    path: PathBuf,
    hash: u64,
}

/// What a review's card shows.
#[derive(Debug, Clone)]
pub(crate) struct ReviewCard {
    pub(crate) slug: String,
    pub(crate) site_name: String,
    pub(crate) film_title: String,
    pub(crate) year: Option<i32>,
    pub(crate) headline: String,
    pub(crate) rating: Option<Rating>,
    /// `None` for no poster, a remote one (not fetched) or one that cannot
    /// be read.
    pub(crate) poster: Option<Poster>,
}

/// What the site's card (home and tag pages) shows.
#[derive(Debug, Clone)]
pub(crate) struct SiteCard {
    pub(crate) title: String,
    pub(crate) tagline: String,
    /// "12 reviews".
    pub(crate) count: String,
}

/// A card to draw or serve.
#[derive(Debug, Clone)]
pub(crate) enum Card {
    Review(ReviewCard),
    Site(SiteCard),
}

impl Card {
    /// 16 hex digits over everything the card draws.
    pub(crate) fn hash(&self) -> String {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(&RENDERER_VERSION.to_le_bytes());
        match self {
            Card::Review(card) => {
                field(b"review");
                field(card.site_name.as_bytes());
                field(card.film_title.as_bytes());
                field(
                    card.year
                        .map(|year| year.to_string())
                        .unwrap_or_default()
                        .as_bytes(),
                );
                field(card.headline.as_bytes());
                field(&[card.rating.map_or(0, Rating::halves)]);
                field(
                    &card
                        .poster
                        .as_ref()
                        .map_or(0, |poster| poster.hash)
                        .to_le_bytes(),
                );
            }
            Card::Site(card) => {
                field(b"site");
                field(card.title.as_bytes());
                field(card.tagline.as_bytes());
                field(card.count.as_bytes());
            }
        }
        format!("{:016x}", hasher.digest())
    }

    /// The file in the cards folder: `review-{slug}-{hash}.png` or
    /// `site-{hash}.png`.
    fn file_name(&self) -> String {
        format!("{}{}.png", self.stem(), self.hash())
    }

    /// What every version of this card's file name starts with.
    fn stem(&self) -> String {
        match self {
            Card::Review(card) => format!("review-{}-", card.slug),
            Card::Site(_) => "site-".to_string(),
        }
    }
}

/// The cards of one server: the folder, the fonts, the lock that draws
/// one card at a time.
pub struct Cards {
    dir: PathBuf,
    fonts: std::sync::Arc<Fonts>,
    drawing: tokio::sync::Mutex<()>,
    drawn: AtomicU64,
    /// Poster hashes by path, kept while the file's size and modification
    /// time stay the same, so a page render reads no poster twice.
    poster_hashes: Mutex<HashMap<PathBuf, (u64, SystemTime, u64)>>,
}

/// `marquee.db` → `marquee-cards/`, as the search index sits beside it.
fn cards_dir(db_path: &Path) -> PathBuf {
    let mut name = db_path
        .file_stem()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_else(|| "marquee".into());
    name.push("-cards");
    db_path.with_file_name(name)
}

impl Cards {
    /// The cards of the site whose database is `db_path`. Nothing is
    /// created until the first card is drawn.
    pub fn beside(db_path: &Path) -> Self {
        Self {
            dir: cards_dir(db_path),
            fonts: std::sync::Arc::new(Fonts::bundled()),
            drawing: tokio::sync::Mutex::new(()),
            drawn: AtomicU64::new(0),
            poster_hashes: Mutex::new(HashMap::new()),
        }
    }

    /// How many cards this server has drawn (not served from the folder):
    /// tests count it to see that a card is drawn once.
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }

    /// The folder the cards are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The poster at `path` with the hash of its bytes, if it is a file
    /// the card may read. Blocking: call it off the async threads.
    pub(crate) fn poster(&self, path: PathBuf) -> Option<Poster> {
        let metadata = std::fs::metadata(&path).ok()?;
        if !metadata.is_file() || metadata.len() > crate::images::MAX_FILE_BYTES {
            return None;
        }
        let stamp = (metadata.len(), metadata.modified().ok()?);
        let mut known = self
            .poster_hashes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&(len, modified, hash)) = known.get(&path)
            && (len, modified) == stamp
        {
            return Some(Poster { path, hash });
        }
        drop(known);
        let hash = xxhash_rust::xxh3::xxh3_64(&poster::read(&path)?);
        known = self
            .poster_hashes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() > 10_000 {
            known.clear();
        }
        known.insert(path.clone(), (stamp.0, stamp.1, hash));
        Some(Poster { path, hash })
    }

    /// The card as PNG: from the folder, or drawn now (and kept).
    pub(crate) async fn png(&self, card: &Card) -> Result<Vec<u8>, CardError> {
        let path = self.dir.join(card.file_name());
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return Ok(bytes);
        }
        let _turn = self.drawing.lock().await;
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return Ok(bytes);
        }
        let (fonts, card, dir) = (self.fonts.clone(), card.clone(), self.dir.clone());
        let started = std::time::Instant::now();
        let png = tokio::task::spawn_blocking(move || {
            let png = render(&fonts, &card)?;
            keep(&dir, &card, &png);
            Ok::<_, CardError>(png)
        })
        .await
        .map_err(|error| CardError::Task(error.to_string()))??;
        self.drawn.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            file = %path.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "share card drawn"
        );
        Ok(png)
    }
}

/// Draws a card (blocking).
fn render(fonts: &Fonts, card: &Card) -> Result<Vec<u8>, CardError> {
    match card {
        Card::Review(review) => {
            let poster = review.poster.as_ref().and_then(|poster| {
                poster::load(
                    &poster.path,
                    POSTER_PANEL.width() as u32,
                    POSTER_PANEL.height() as u32,
                )
            });
            let svg = draw::review_svg(fonts, review, poster.is_some())?;
            draw::rasterise(fonts, &svg, poster.as_ref())
        }
        Card::Site(site) => draw::rasterise(fonts, &draw::site_svg(fonts, site)?, None),
    }
}

/// Writes the card into the folder (whole, by a rename) and removes the
/// older versions of it. A card that cannot be kept (a full disk) is still
/// served; it is drawn again next time.
fn keep(dir: &Path, card: &Card, png: &[u8]) {
    let name = card.file_name();
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        let partial = dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, png)?;
        std::fs::rename(&partial, dir.join(&name))
    });
    if let Err(error) = written {
        tracing::warn!(%error, dir = %dir.display(), "could not keep a share card");
        return;
    }
    let stem = card.stem();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(other) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let is_older_version = other != name
            && other
                .strip_prefix(&stem)
                .and_then(|rest| rest.strip_suffix(".png"))
                .is_some_and(|hash| {
                    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                });
        if is_older_version {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(title: &str, halves: i64) -> Card {
        Card::Review(ReviewCard {
            slug: "anora".into(),
            site_name: "Marquee".into(),
            film_title: title.into(),
            year: Some(2024),
            headline: "An anti-Fairytale of New York".into(),
            rating: Rating::from_halves(halves),
            poster: None,
        })
    }

    #[test]
    fn the_hash_follows_what_is_drawn() {
        assert_eq!(review("Anora", 10).hash(), review("Anora", 10).hash());
        assert_ne!(review("Anora", 10).hash(), review("Anora", 9).hash());
        assert_ne!(review("Anora", 10).hash(), review("Anor", 10).hash());
        assert_eq!(review("Anora", 10).hash().len(), 16);
    }

    #[test]
    fn cards_sit_beside_the_database() {
        assert_eq!(
            cards_dir(Path::new("/srv/site/marquee.db")),
            Path::new("/srv/site/marquee-cards")
        );
    }

    #[test]
    fn keeping_a_card_removes_its_older_versions_only() {
        let dir = tempfile::tempdir().unwrap();
        let old = review("Anora", 9);
        let new = review("Anora", 10);
        let other = Card::Review(ReviewCard {
            slug: "anora-2".into(),
            ..match review("Anora", 9) {
                Card::Review(card) => card,
                Card::Site(_) => unreachable!(),
            }
        });
        keep(dir.path(), &old, b"old");
        keep(dir.path(), &other, b"other");
        keep(dir.path(), &new, b"new");
        assert!(!dir.path().join(old.file_name()).exists());
        assert!(dir.path().join(other.file_name()).exists());
        assert_eq!(
            std::fs::read(dir.path().join(new.file_name())).unwrap(),
            b"new"
        );
    }
}
