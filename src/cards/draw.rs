//! Drawing a card: the text is laid out (`layout`), placed in an SVG
//! template (`templates/cards/`), rasterised by resvg, and the poster, if
//! any, is drawn into its panel; the result is encoded as PNG.

use askama::Template;
use resvg::{tiny_skia, usvg};

use super::fonts::{Fonts, SANS, SERIF};
use super::layout::{Measurer, TextStyle};
use super::{
    CARD_HEIGHT, CARD_WIDTH, CardError, POSTER_PANEL, Palette, Rect, ReviewCard, SiteCard, TEXT_BOX,
};

/// One line of text where the template draws it, as it was measured.
#[derive(Debug)]
struct Line {
    text: String,
    x: f32,
    /// The baseline.
    y: f32,
    style: TextStyle,
    fill: &'static str,
    /// `start`, or `middle` for a line centred on `x`.
    anchor: &'static str,
}

/// One of the five stars: where it sits and how much of it is filled.
#[derive(Debug)]
struct Star {
    x: f32,
    y: f32,
    /// 0 empty, 1 the left half, 2 full.
    halves: u8,
}

const SITE_NAME: TextStyle = TextStyle {
    family: SANS,
    size: 26.0,
    bold: false,
    italic: false,
};
const FILM_TITLE: TextStyle = TextStyle {
    family: SERIF,
    size: 64.0,
    bold: true,
    italic: false,
};
const YEAR: TextStyle = TextStyle {
    family: SANS,
    size: 30.0,
    bold: false,
    italic: false,
};
const HEADLINE: TextStyle = TextStyle {
    family: SERIF,
    size: 36.0,
    bold: false,
    italic: true,
};
const PLACEHOLDER_TITLE: TextStyle = TextStyle {
    family: SERIF,
    size: 40.0,
    bold: true,
    italic: false,
};
const RATING: TextStyle = TextStyle {
    family: SANS,
    size: 36.0,
    bold: false,
    italic: false,
};
const SITE_TITLE: TextStyle = TextStyle {
    family: SERIF,
    size: 96.0,
    bold: true,
    italic: false,
};
const TAGLINE: TextStyle = TextStyle {
    family: SERIF,
    size: 44.0,
    bold: false,
    italic: true,
};
const COUNT: TextStyle = TextStyle {
    family: SANS,
    size: 32.0,
    bold: false,
    italic: false,
};

/// Room kept below a baseline for descenders, as a share of the size.
const DESCENT: f32 = 0.3;
/// A star's box (the template's star is drawn in 60 × 60) and the step
/// from one star to the next.
const STAR_SIZE: f32 = 60.0;
const STAR_STEP: f32 = 72.0;
const STARS_TOP: f32 = 496.0;

#[derive(Template)]
#[template(path = "cards/review.svg")]
struct ReviewSvg {
    palette: Palette,
    width: u32,
    height: u32,
    panel: Rect,
    /// Whether the panel shows the film's title for want of a poster.
    placeholder: bool,
    lines: Vec<Line>,
    stars: Vec<Star>,
}

#[derive(Template)]
#[template(path = "cards/site.svg")]
struct SiteSvg {
    palette: Palette,
    width: u32,
    height: u32,
    lines: Vec<Line>,
    stars: Vec<Star>,
}

/// Where a block of lines goes: the first baseline, the step between
/// baselines, and how each line is drawn.
struct Block {
    x: f32,
    first_baseline: f32,
    leading: f32,
    style: TextStyle,
    fill: &'static str,
    anchor: &'static str,
}

impl Block {
    fn at(x: f32, first_baseline: f32, leading: f32, style: TextStyle, fill: &'static str) -> Self {
        Self {
            x,
            first_baseline,
            leading,
            style,
            fill,
            anchor: "start",
        }
    }

    fn lines(&self, texts: Vec<String>) -> Vec<Line> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| Line {
                text,
                x: self.x,
                y: self.first_baseline + self.leading * i as f32,
                style: self.style,
                fill: self.fill,
                anchor: self.anchor,
            })
            .collect()
    }

    /// How many lines end above `bottom`, descenders included.
    fn room_above(&self, bottom: f32) -> usize {
        let room = bottom - self.style.size * DESCENT - self.first_baseline;
        if room < 0.0 {
            0
        } else {
            (room / self.leading).floor() as usize + 1
        }
    }
}

fn stars(halves: u8, left: f32, top: f32) -> Vec<Star> {
    (0..5u8)
        .map(|i| Star {
            x: left + STAR_STEP * f32::from(i),
            y: top,
            halves: halves.saturating_sub(i * 2).min(2),
        })
        .collect()
}

pub(crate) fn review_svg(
    fonts: &Fonts,
    card: &ReviewCard,
    with_poster: bool,
) -> Result<String, CardError> {
    let measurer = Measurer::new(fonts);
    let palette = Palette::CARD;
    let (x, width) = (TEXT_BOX.x, TEXT_BOX.width());
    let mut lines = Block::at(x, 104.0, 0.0, SITE_NAME, palette.accent).lines(measurer.wrap(
        &card.site_name,
        SITE_NAME,
        width,
        1,
    )?);
    let title = Block::at(x, 190.0, 76.0, FILM_TITLE, palette.ink).lines(measurer.wrap(
        &card.film_title,
        FILM_TITLE,
        width,
        2,
    )?);
    let mut below = title.last().map_or(190.0, |line| line.y);
    lines.extend(title);
    if let Some(year) = card.year {
        below += 52.0;
        lines
            .extend(Block::at(x, below, 0.0, YEAR, palette.ink_soft).lines(vec![year.to_string()]));
    }
    let headline = Block::at(x, below + 60.0, 46.0, HEADLINE, palette.ink);
    let room = headline.room_above(TEXT_BOX.bottom).min(3);
    lines.extend(headline.lines(measurer.wrap(&card.headline, HEADLINE, width, room)?));
    if !with_poster {
        lines.extend(placeholder_title(&measurer, &card.film_title)?);
    }
    let stars = match card.rating {
        Some(rating) => {
            let label = format!("{} / 5", rating.stars_label());
            let label_x = x + STAR_STEP * 5.0 + 14.0;
            lines.extend(
                Block::at(
                    label_x,
                    STARS_TOP + STAR_SIZE - 10.0,
                    0.0,
                    RATING,
                    palette.ink_soft,
                )
                .lines(vec![label]),
            );
            stars(rating.halves(), x, STARS_TOP)
        }
        None => Vec::new(),
    };
    Ok(ReviewSvg {
        palette,
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        panel: POSTER_PANEL,
        placeholder: !with_poster,
        lines,
        stars,
    }
    .render()?)
}

/// The film's title, centred on the tinted panel that stands in for a
/// poster.
fn placeholder_title(measurer: &Measurer<'_>, title: &str) -> Result<Vec<Line>, CardError> {
    let width = POSTER_PANEL.width() - 48.0;
    // The panel is narrow: a smaller size, rather than a word broken in
    // two, when one of the title's words is too wide for it.
    let mut style = PLACEHOLDER_TITLE;
    for size in [40.0, 32.0, 26.0] {
        style.size = size;
        if measurer.words_fit(title, style, width)? {
            break;
        }
    }
    let texts = measurer.wrap(title, style, width, 5)?;
    let leading = style.size * 1.25;
    let block_height = leading * texts.len().saturating_sub(1) as f32;
    let mut block = Block::at(
        POSTER_PANEL.x + POSTER_PANEL.width() / 2.0,
        POSTER_PANEL.y + POSTER_PANEL.height() / 2.0 - block_height / 2.0 + style.size * 0.35,
        leading,
        style,
        Palette::CARD.ink,
    );
    block.anchor = "middle";
    Ok(block.lines(texts))
}

/// The site card's left and right margin.
const SITE_TEXT_X: f32 = 80.0;

pub(crate) fn site_svg(fonts: &Fonts, card: &SiteCard) -> Result<String, CardError> {
    let measurer = Measurer::new(fonts);
    let palette = Palette::CARD;
    let (x, width) = (SITE_TEXT_X, CARD_WIDTH as f32 - 2.0 * SITE_TEXT_X);
    let mut lines = Block::at(x, 200.0, 108.0, SITE_TITLE, palette.ink).lines(measurer.wrap(
        &card.title,
        SITE_TITLE,
        width,
        2,
    )?);
    let below = lines.last().map_or(200.0, |line| line.y) + 76.0;
    lines.extend(
        Block::at(x, below, 56.0, TAGLINE, palette.ink).lines(measurer.wrap(
            &card.tagline,
            TAGLINE,
            width,
            2,
        )?),
    );
    lines.extend(
        Block::at(x, 548.0, 0.0, COUNT, palette.ink_soft).lines(measurer.wrap(
            &card.count,
            COUNT,
            600.0,
            1,
        )?),
    );
    let stars_left = CARD_WIDTH as f32 - SITE_TEXT_X - STAR_STEP * 5.0 + 12.0;
    Ok(SiteSvg {
        palette,
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        lines,
        stars: stars(10, stars_left, 500.0),
    }
    .render()?)
}

/// The SVG as pixels, with `poster` (already `POSTER_PANEL`'s size) drawn
/// into its panel, encoded as PNG.
pub(crate) fn rasterise(
    fonts: &Fonts,
    svg: &str,
    poster: Option<&image::RgbaImage>,
) -> Result<Vec<u8>, CardError> {
    let options = usvg::Options {
        fontdb: fonts.database(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let mut pixmap = tiny_skia::Pixmap::new(CARD_WIDTH, CARD_HEIGHT).ok_or(CardError::Canvas)?;
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    if let Some(poster) = poster {
        let poster = premultiplied(poster).ok_or(CardError::Canvas)?;
        pixmap.draw_pixmap(
            POSTER_PANEL.x as i32,
            POSTER_PANEL.y as i32,
            poster.as_ref(),
            &tiny_skia::PixmapPaint::default(),
            tiny_skia::Transform::identity(),
            None,
        );
    }
    pixmap.encode_png().map_err(|_| CardError::Canvas)
}

/// tiny-skia draws premultiplied RGBA.
fn premultiplied(image: &image::RgbaImage) -> Option<tiny_skia::Pixmap> {
    let mut data = image.as_raw().clone();
    for pixel in data.chunks_exact_mut(4) {
        let alpha = u16::from(pixel[3]);
        for channel in &mut pixel[..3] {
            *channel = ((u16::from(*channel) * alpha + 127) / 255) as u8;
        }
    }
    let size = tiny_skia::IntSize::from_wh(image.width(), image.height())?;
    tiny_skia::Pixmap::from_vec(data, size)
}
