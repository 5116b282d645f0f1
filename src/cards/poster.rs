//! Reading a poster for a share card, within bounds: an editor's file may
//! be huge, broken or hostile, and the server keeps to 128 MB. Anything
//! outside the bounds, or that fails to decode, gives `None`, and the card
//! shows the placeholder instead.
//!
//! (src/images/ has the general bounded decoder for the site's responsive
//! images; this one is the card's own until the two are made one.)

use std::io::{Cursor, Read};
use std::path::Path;

use image::{DynamicImage, ImageReader, Limits, imageops};

/// A poster file larger than this is not read (a 3000-pixel JPEG is
/// about 4 MB).
pub(crate) const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Nor one of more pixels than this (4000 × 6000); the limit on what the
/// decoder may allocate, below, may refuse a smaller one first.
const MAX_PIXELS: u64 = 24_000_000;
/// The most the decoder may allocate: a 3000 × 4500 RGB poster fits.
const MAX_ALLOC: u64 = 48 * 1024 * 1024;
const MAX_SIDE: u32 = 8_000;

/// The file's bytes, if it is a file no larger than `MAX_FILE_BYTES`.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes)
}

/// The poster at `path`, decoded within the bounds and scaled to cover
/// `width` × `height` (cropped to the middle), as RGBA.
pub(crate) fn load(path: &Path, width: u32, height: u32) -> Option<image::RgbaImage> {
    let bytes = read(path)?;
    // A decoder that panics on a broken file must cost the card its
    // poster, not the request.
    std::panic::catch_unwind(|| decode(&bytes))
        .ok()
        .flatten()
        .map(|poster| cover(&poster, width, height))
}

/// The middle of the poster with the panel's shape, scaled to it. Area
/// averaging straight from the decoded image: no full-size copy or
/// floating-point buffer (a 3000 × 4500 poster's would be 24–54 MB more).
fn cover(poster: &DynamicImage, width: u32, height: u32) -> image::RgbaImage {
    let (w, h) = (u64::from(poster.width()), u64::from(poster.height()));
    let (want_w, want_h) = (u64::from(width), u64::from(height));
    let (crop_w, crop_h) = if w * want_h > h * want_w {
        (h * want_w / want_h, h)
    } else {
        (w, w * want_h / want_w)
    };
    let (crop_w, crop_h) = (crop_w.max(1) as u32, crop_h.max(1) as u32);
    let middle = imageops::crop_imm(
        poster,
        (poster.width() - crop_w) / 2,
        (poster.height() - crop_h) / 2,
        crop_w,
        crop_h,
    );
    imageops::thumbnail(&*middle, width, height)
}

fn decode(bytes: &[u8]) -> Option<DynamicImage> {
    let (width, height) = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width == 0 || height == 0 {
        return None;
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    reader.limits(limits);
    reader.decode().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]))
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_good_poster_is_scaled_to_cover() {
        let dir = tempfile::tempdir().unwrap();
        for (width, height) in [(300, 200), (200, 900), (40, 60)] {
            let path = write(dir.path(), "p.png", &png(width, height));
            let poster = load(&path, 100, 150).unwrap();
            assert_eq!(poster.dimensions(), (100, 150));
            assert_eq!(poster.get_pixel(50, 75).0, [200, 30, 30, 255]);
            assert_eq!(poster.get_pixel(99, 149).0, [200, 30, 30, 255]);
        }
    }

    #[test]
    fn broken_missing_and_oversized_posters_give_none() {
        let dir = tempfile::tempdir().unwrap();
        let broken = write(
            dir.path(),
            "broken.jpg",
            b"\xff\xd8\xff\xe0 not really a jpeg",
        );
        assert!(load(&broken, 100, 150).is_none());
        assert!(load(&dir.path().join("missing.png"), 100, 150).is_none());
        assert!(load(dir.path(), 100, 150).is_none(), "a folder");
        // A header claiming 20,000 × 20,000 pixels is refused before any
        // pixel is decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        assert_eq!(
            ImageReader::new(Cursor::new(&bomb))
                .with_guessed_format()
                .unwrap()
                .into_dimensions()
                .unwrap(),
            (20_000, 20_000),
            "a well-formed header"
        );
        let bomb = write(dir.path(), "bomb.png", &bomb);
        assert!(load(&bomb, 100, 150).is_none());
    }
}
