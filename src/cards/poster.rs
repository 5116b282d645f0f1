//! A poster for a share card: read through the one bounded decoder every
//! picture of the site goes through (`crate::images::decode_bounded`: size
//! on disk, pixel count, allocation, EXIF orientation), then cropped and
//! scaled to the card's panel. An editor's file may be huge, broken or
//! hostile: anything the decoder refuses gives `None`, and the card shows
//! the placeholder instead.

use std::path::Path;

use image::{DynamicImage, imageops};

use crate::images;

/// The file's bytes, if it is a file the decoder would read.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    images::read_bounded(path).ok()
}

/// The poster at `path`, decoded within the bounds, turned upright and
/// scaled to cover `width` × `height` (cropped to the middle), as RGBA.
pub(crate) fn load(path: &Path, width: u32, height: u32) -> Option<image::RgbaImage> {
    // A decoder that panics on a broken file must cost the card its
    // poster, not the request.
    std::panic::catch_unwind(|| images::decode_bounded(path).ok())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    use image::ImageReader;

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
