//! Making the derivatives of a decoded source: resized with
//! `fast_image_resize` to each of its widths, encoded as lossy WebP and in
//! the source's own format. The encoders are given pixels only, so nothing
//! of the source's metadata (EXIF, GPS, camera, comments) is written.

use std::io::Cursor;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::{Format, ImageError, widths};

/// WebP quality (0–100): at 80 a poster is a fraction of the JPEG at 82
/// and the difference is hard to see at these sizes.
const WEBP_QUALITY: f32 = 80.0;
/// JPEG quality for the fallback: the usual web default.
const JPEG_QUALITY: u8 = 82;

/// One derivative, encoded.
#[derive(Debug)]
pub(crate) struct Derivative {
    pub(crate) width: u32,
    pub(crate) format: Format,
    pub(crate) bytes: Vec<u8>,
}

/// Every derivative of an upright source whose own format is `source`:
/// each width of `widths`, in each format of `Format::served`. `file`
/// names the source in errors.
pub(crate) fn derive_all(
    image: &DynamicImage,
    source: Format,
    file: &str,
) -> Result<Vec<Derivative>, ImageError> {
    let image = normalised(image);
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut made = Vec::new();
    for width in widths(image.width()) {
        let height = scaled_height(image.width(), image.height(), width);
        let resized = if width == image.width() {
            image.clone()
        } else {
            let mut resized = DynamicImage::new(width, height, image.color());
            resizer
                .resize(&image, &mut resized, &options)
                .map_err(|error| encode_error(file, &error))?;
            resized
        };
        for format in source.served() {
            let bytes = encode(&resized, *format).map_err(|reason| ImageError::Encode {
                file: file.to_string(),
                reason,
            })?;
            made.push(Derivative {
                width,
                format: *format,
                bytes,
            });
        }
    }
    Ok(made)
}

/// The height that keeps the aspect ratio at `width`, at least one pixel.
pub(crate) fn scaled_height(source_width: u32, source_height: u32, width: u32) -> u32 {
    let height = (u64::from(source_height) * u64::from(width) + u64::from(source_width) / 2)
        / u64::from(source_width.max(1));
    u32::try_from(height).unwrap_or(u32::MAX).max(1)
}

/// 8-bit RGB, or RGBA when the source has transparency: what the resizer
/// and every encoder take.
fn normalised(image: &DynamicImage) -> DynamicImage {
    if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    }
}

fn encode(image: &DynamicImage, format: Format) -> Result<Vec<u8>, String> {
    let (width, height) = (image.width(), image.height());
    match format {
        Format::Webp => {
            let encoder = match image {
                DynamicImage::ImageRgba8(pixels) => {
                    webp::Encoder::from_rgba(pixels.as_raw(), width, height)
                }
                _ => webp::Encoder::from_rgb(image.as_bytes(), width, height),
            };
            encoder
                .encode_simple(false, WEBP_QUALITY)
                .map(|bytes| bytes.to_vec())
                .map_err(|error| format!("{error:?}"))
        }
        Format::Jpeg => {
            let mut bytes = Vec::new();
            let rgb = image.to_rgb8();
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                .write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
                .map_err(|error| error.to_string())?;
            Ok(bytes)
        }
        Format::Png => {
            let mut bytes = Cursor::new(Vec::new());
            let encoder = PngEncoder::new_with_quality(
                &mut bytes,
                CompressionType::Default,
                image::codecs::png::FilterType::Adaptive,
            );
            encoder
                .write_image(image.as_bytes(), width, height, image.color().into())
                .map_err(|error| error.to_string())?;
            Ok(bytes.into_inner())
        }
    }
}

fn encode_error(file: &str, error: &impl std::fmt::Display) -> ImageError {
    ImageError::Encode {
        file: file.to_string(),
        reason: error.to_string(),
    }
}
