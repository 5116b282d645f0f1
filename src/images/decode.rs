//! Reading a source image with bounds: its size on disk before reading, its
//! pixel count from the header before decoding, and `image::Limits` on
//! what the decoder may allocate. Time is bounded by those: a decoder's
//! work grows with the pixels it is allowed to produce.

use std::io::{Cursor, Read};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{Format, ImageError, MAX_FILE_BYTES, MAX_PIXELS};

/// What the pages need to know of a source without decoding it: its
/// content hash (the derivatives' names), its size once turned upright
/// (the `width` and `height` the markup gives), and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) hash: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) format: Format,
}

/// Reads and hashes a source and reads its header: cheap (no pixels are
/// decoded), so it runs for every changed image at each sync.
pub(crate) fn probe(path: &Path) -> Result<Facts, ImageError> {
    let bytes = read_bounded(path)?;
    let (format, mut decoder) = header(path, &bytes)?;
    let (width, height) = oriented_size(&mut decoder);
    Ok(Facts {
        hash: crate::content::loader::hash(&bytes),
        width,
        height,
        format,
    })
}

/// Decodes a source, every bound checked first, and turns it upright from
/// its EXIF orientation. The one way into a source's pixels: derivatives
/// and anything else that draws a poster go through it.
pub(crate) fn decode_bounded(path: &Path) -> Result<DynamicImage, ImageError> {
    let bytes = read_bounded(path)?;
    decode_bytes(path, &bytes)
}

/// `decode_bounded` on bytes already read (and hashed) by the caller.
pub(super) fn decode_bytes(path: &Path, bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let (_, mut decoder) = header(path, bytes)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|error| corrupt(path, &error))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The file's bytes, refused when larger than `MAX_FILE_BYTES` (asked of
/// the file system first, and enforced while reading, as it may grow).
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, ImageError> {
    let unreadable = || ImageError::Unreadable(display(path));
    let file = std::fs::File::open(path).map_err(|_| unreadable())?;
    let too_large = |bytes: u64| ImageError::TooLarge {
        file: display(path),
        megabytes: bytes.div_ceil(1024 * 1024),
    };
    let length = file.metadata().map_err(|_| unreadable())?.len();
    if length > MAX_FILE_BYTES {
        return Err(too_large(length));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| unreadable())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A decoder over `bytes` with its header read and checked: a format
/// derivatives can have, at most `MAX_PIXELS` pixels, and limits on what
/// decoding may allocate.
fn header<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<(Format, impl ImageDecoder + 'a), ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ImageError::Unreadable(display(path)))?;
    let format = match reader.format() {
        Some(ImageFormat::Jpeg) => Format::Jpeg,
        Some(ImageFormat::Png) => Format::Png,
        Some(ImageFormat::WebP) => Format::Webp,
        _ => return Err(ImageError::Unsupported(display(path))),
    };
    let mut limits = Limits::default();
    // Four bytes a pixel (RGBA) plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|error| corrupt(path, &error))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels {
            file: display(path),
            width,
            height,
        });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt {
            file: display(path),
            reason: "it has no pixels".into(),
        });
    }
    Ok((format, decoder))
}

/// The size once the EXIF orientation is applied: a quarter turn swaps
/// width and height.
fn oriented_size(decoder: &mut impl ImageDecoder) -> (u32, u32) {
    let (width, height) = decoder.dimensions();
    let turned = matches!(
        decoder.orientation().unwrap_or(Orientation::NoTransforms),
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    if turned {
        (height, width)
    } else {
        (width, height)
    }
}

fn corrupt(path: &Path, error: &image::ImageError) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::Corrupt {
            file: display(path),
            reason: "decoding it would take more memory than an image may".into(),
        },
        image::ImageError::Unsupported(_) => ImageError::Unsupported(display(path)),
        other => ImageError::Corrupt {
            file: display(path),
            reason: other.to_string(),
        },
    }
}

/// The file's name, as an error shows it to the editor.
fn display(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
