//! Posters drawn from nothing but a seed and a title: a colour field, a few
//! bold shapes and the title in blocky capitals, like a screen print. The
//! sample site's posters and the corpus's come from here, so every picture
//! Marquee ships or benchmarks is its own.

use image::{Rgb, RgbImage};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The capitals, digits and a few marks, 5 pixels wide and 7 high, a row
/// per string; anything else is drawn as a space.
fn glyph(c: char) -> [&'static str; 7] {
    match c.to_ascii_uppercase() {
        'A' => [
            " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
        'B' => [
            "#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### ",
        ],
        'C' => [
            " ####", "#    ", "#    ", "#    ", "#    ", "#    ", " ####",
        ],
        'D' => [
            "#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### ",
        ],
        'E' => [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####",
        ],
        'F' => [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    ",
        ],
        'G' => [
            " ####", "#    ", "#    ", "#  ##", "#   #", "#   #", " ####",
        ],
        'H' => [
            "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
        'I' => [
            "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "#####",
        ],
        'J' => [
            "  ###", "    #", "    #", "    #", "    #", "#   #", " ### ",
        ],
        'K' => [
            "#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #",
        ],
        'L' => [
            "#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####",
        ],
        'M' => [
            "#   #", "## ##", "# # #", "#   #", "#   #", "#   #", "#   #",
        ],
        'N' => [
            "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #",
        ],
        'O' => [
            " ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
        'P' => [
            "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    ",
        ],
        'Q' => [
            " ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #",
        ],
        'R' => [
            "#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #",
        ],
        'S' => [
            " ####", "#    ", "#    ", " ### ", "    #", "    #", "#### ",
        ],
        'T' => [
            "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
        'U' => [
            "#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
        'V' => [
            "#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  ",
        ],
        'W' => [
            "#   #", "#   #", "#   #", "#   #", "# # #", "## ##", "#   #",
        ],
        'X' => [
            "#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #",
        ],
        'Y' => [
            "#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
        'Z' => [
            "#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####",
        ],
        '0' => [
            " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ",
        ],
        '1' => [
            "  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ",
        ],
        '2' => [
            " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####",
        ],
        '3' => [
            "#### ", "    #", "    #", " ### ", "    #", "    #", "#### ",
        ],
        '4' => [
            "#   #", "#   #", "#   #", "#####", "    #", "    #", "    #",
        ],
        '5' => [
            "#####", "#    ", "#    ", "#### ", "    #", "    #", "#### ",
        ],
        '6' => [
            " ### ", "#    ", "#    ", "#### ", "#   #", "#   #", " ### ",
        ],
        '7' => [
            "#####", "    #", "   # ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
        '8' => [
            " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ",
        ],
        '9' => [
            " ### ", "#   #", "#   #", " ####", "    #", "    #", " ### ",
        ],
        '\'' => [
            "  #  ", "  #  ", "     ", "     ", "     ", "     ", "     ",
        ],
        '-' => [
            "     ", "     ", "     ", " ### ", "     ", "     ", "     ",
        ],
        '.' => [
            "     ", "     ", "     ", "     ", "     ", "     ", "  #  ",
        ],
        _ => ["     "; 7],
    }
}

/// Palettes of (ground, shapes, accent, ink): one is picked per poster.
const PALETTES: [[[u8; 3]; 4]; 6] = [
    [[28, 30, 58], [232, 93, 74], [246, 189, 96], [250, 244, 230]],
    [[242, 230, 208], [33, 77, 99], [214, 84, 56], [24, 24, 28]],
    [
        [16, 52, 45],
        [226, 178, 62],
        [233, 98, 118],
        [244, 240, 226],
    ],
    [
        [90, 24, 40],
        [240, 200, 180],
        [52, 150, 160],
        [250, 240, 235],
    ],
    [[204, 214, 220], [36, 38, 44], [220, 60, 50], [20, 20, 24]],
    [
        [40, 28, 64],
        [120, 200, 190],
        [250, 210, 90],
        [248, 246, 240],
    ],
];

/// Draws a `width`×`height` poster for `title`; the same seed and title
/// give the same picture.
pub fn draw(title: &str, seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let [ground, shape, accent, ink] = PALETTES[rng.random_range(0..PALETTES.len())];
    let mut poster = RgbImage::from_fn(width, height, |_, y| {
        // A gentle vertical fade of the ground colour.
        let shade = 1.0 - 0.25 * f64::from(y) / f64::from(height);
        Rgb(ground.map(|c| (f64::from(c) * shade) as u8))
    });
    let (w, h) = (f64::from(width), f64::from(height));
    // A sun, a band and a slab: sizes and places from the seed.
    let (cx, cy) = (
        rng.random_range(0.25..0.75) * w,
        rng.random_range(0.2..0.45) * h,
    );
    let radius = rng.random_range(0.18..0.32) * w;
    let band_top = rng.random_range(0.5..0.62) * h;
    let band_height = rng.random_range(0.03..0.08) * h;
    let slab_left = rng.random_range(0.05..0.5) * w;
    let slab_width = rng.random_range(0.1..0.35) * w;
    for (x, y, pixel) in poster.enumerate_pixels_mut() {
        let (fx, fy) = (f64::from(x), f64::from(y));
        if (fx - cx).powi(2) + (fy - cy).powi(2) < radius * radius {
            *pixel = Rgb(shape);
        }
        if fy >= band_top && fy < band_top + band_height {
            *pixel = Rgb(accent);
        }
        if fx >= slab_left
            && fx < slab_left + slab_width
            && fy >= band_top + band_height
            && fy < 0.72 * h
        {
            *pixel = Rgb(shape);
        }
    }
    write_title(&mut poster, title, ink);
    poster
}

/// The title in capitals across the poster's lower part, wrapped by words
/// into at most four lines, each as large as fits.
fn write_title(poster: &mut RgbImage, title: &str, ink: [u8; 3]) {
    let width = poster.width();
    let margin = width / 12;
    let usable = width - 2 * margin;
    let lines = wrap(title, 12);
    let longest = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(1) as u32;
    // Each glyph is 5 cells wide plus one of spacing.
    let cell = (usable / (longest * 6).max(1)).clamp(2, width / 30);
    let line_height = cell * 9;
    let mut top = poster.height() - margin - line_height * lines.len() as u32;
    for line in &lines {
        let mut left = margin;
        for c in line.chars() {
            for (row, bits) in glyph(c).iter().enumerate() {
                for (column, bit) in bits.chars().enumerate() {
                    if bit == '#' {
                        fill(
                            poster,
                            left + column as u32 * cell,
                            top + row as u32 * cell,
                            cell,
                            ink,
                        );
                    }
                }
            }
            left += cell * 6;
        }
        top += line_height;
    }
}

/// Words joined into lines of at most `width` characters (a longer word
/// gets a line of its own), at most four lines.
fn wrap(title: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in title.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.truncate(4);
    lines
}

fn fill(poster: &mut RgbImage, left: u32, top: u32, size: u32, ink: [u8; 3]) {
    for y in top..(top + size).min(poster.height()) {
        for x in left..(left + size).min(poster.width()) {
            poster.put_pixel(x, y, Rgb(ink));
        }
    }
}

/// The poster as a JPEG at `quality`.
pub fn jpeg(poster: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    // Encoding an in-memory RGB image into a Vec cannot fail.
    let _ = poster.write_with_encoder(encoder);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posters_are_deterministic_and_differ_by_seed() {
        let one = draw("Anora", 1, 200, 300);
        assert_eq!(one, draw("Anora", 1, 200, 300));
        assert_ne!(one, draw("Anora", 2, 200, 300));
        assert_eq!(one.dimensions(), (200, 300));
    }

    #[test]
    fn titles_wrap_by_words() {
        assert_eq!(wrap("The Brutalist", 12), ["The", "Brutalist"]);
        assert_eq!(wrap("Perfect Days", 12), ["Perfect Days"]);
    }
}
