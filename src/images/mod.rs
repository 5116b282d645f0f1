//! Images an editor supplies (a review's poster), made fit for the pages
//! that show them: read with bounds, turned upright, resized to a few
//! widths and encoded as WebP plus the source's own format, with no
//! metadata left. Pure: files and threads, no SQL, no HTTP.
//!
//! The publisher learns each source's facts (`probe`) after a sync and has
//! the derivatives made in the background (`Derivatives`); the web layer
//! serves them, making one on first request if the background has not got
//! to it yet.

mod decode;
mod derive;
mod store;

pub(crate) use decode::{Facts, decode_bounded, probe, read_bounded};
pub(crate) use derive::{derive_all, scaled_height};
pub(crate) use store::{Derivatives, cache_dir, names};

use std::path::{Component, Path, PathBuf};

/// A source file larger than this is refused before it is read: no poster
/// needs more, and reading one would hold it all in memory.
pub(crate) const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// A source with more pixels than this is refused from its header, before
/// anything is decoded. Decoded to 8-bit RGB it takes three bytes a pixel:
/// 24 megapixels (a full-size photo from most cameras) is 72 MB, which one
/// decode at a time keeps inside the server's 128 MB budget; 40 would not.
pub(crate) const MAX_PIXELS: u64 = 24_000_000;

/// The widths derivatives are made at (never above the source's own):
/// a listing's thumbnail at one and two device pixels per CSS pixel, the
/// review page's poster likewise, and a large one for wide screens.
pub(crate) const WIDTHS: [u32; 4] = [160, 320, 640, 1280];

/// Why an image cannot be used: shown to the editor as a content error on
/// the field that names it, never to a reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ImageError {
    #[error("cannot read {0}")]
    Unreadable(String),
    #[error("{file} is {megabytes} MB, more than the 20 MB an image may have; save it smaller")]
    TooLarge { file: String, megabytes: u64 },
    #[error(
        "{file} is {width}×{height} pixels, more than the 24 megapixels an image may have; scale it down"
    )]
    TooManyPixels {
        file: String,
        width: u32,
        height: u32,
    },
    #[error("{0} is not a JPEG, PNG or WebP image")]
    Unsupported(String),
    #[error("{file} cannot be decoded ({reason}); save it again from an image editor")]
    Corrupt { file: String, reason: String },
    #[error("{0} changed while it was being read; it is read again at the next sync")]
    Changed(String),
    #[error("{file}: cannot make its smaller sizes ({reason})")]
    Encode { file: String, reason: String },
}

/// The encodings a derivative comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// The file extension in derivative names and URLs.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    /// The media type a derivative is served with, and `<source type>`.
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    /// The format of an extension, if derivatives have it.
    pub(crate) fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "jpg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    /// How the format is stored in the database.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    /// The format stored under `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    /// The formats a source of this format is served in: WebP first, for
    /// browsers that take it, then the source's own (JPEG stays JPEG, PNG
    /// stays PNG, so transparency and line art survive).
    pub(crate) fn served(self) -> &'static [Format] {
        match self {
            Format::Jpeg => &[Format::Webp, Format::Jpeg],
            Format::Png => &[Format::Webp, Format::Png],
            Format::Webp => &[Format::Webp],
        }
    }
}

/// The widths a source `width` pixels wide is served at: the standard ones
/// below it, and its own width when that is less than the largest (never
/// upscaled).
pub(crate) fn widths(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
    if width <= WIDTHS[WIDTHS.len() - 1] {
        widths.push(width);
    }
    widths
}

/// A derivative's name, which is its file name in the cache folder and the
/// last segment of its URL: `{hash}-{width}.{extension}`. The hash is the
/// source's, so a changed image gets new names (and browsers may keep a
/// name forever).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DerivativeName {
    pub(crate) hash: String,
    pub(crate) width: u32,
    pub(crate) format: Format,
}

impl DerivativeName {
    /// Reads a name back, strictly: 32 lowercase hex digits, a width of one
    /// to five digits, a known extension. Anything else (a path, `..`) is
    /// not a derivative.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let (stem, extension) = name.split_once('.')?;
        let (hash, width) = stem.split_once('-')?;
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if hash.len() != 32 || !hash.chars().all(hex) {
            return None;
        }
        if width.is_empty() || width.len() > 5 || !width.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            hash: hash.to_string(),
            width: width.parse().ok()?,
            format: Format::from_extension(extension)?,
        })
    }

    /// The file name (and URL segment).
    pub(crate) fn file_name(&self) -> String {
        format!("{}-{}.{}", self.hash, self.width, self.format.extension())
    }
}

/// Where an image lives: beside a bundle's `index.md` (under the content
/// folder) or in the site's static folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    Content,
    Static,
}

impl Root {
    /// How the root is stored in the database.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Root::Content => "content",
            Root::Static => "static",
        }
    }

    /// The root stored under `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "content" => Some(Root::Content),
            "static" => Some(Root::Static),
            _ => None,
        }
    }
}

/// A local image: which folder, and its path inside it (`/` separators,
/// no `..`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) root: Root,
    pub(crate) file: String,
}

impl Located {
    /// The file on disk, given the two folders.
    pub(crate) fn path(&self, content_dir: &Path, static_dir: &Path) -> PathBuf {
        match self.root {
            Root::Content => content_dir.join(&self.file),
            Root::Static => static_dir.join(&self.file),
        }
    }
}

/// Where the poster a review names lives, as the pages link it
/// (`web::urls::poster`): a name in a bundle is beside its `index.md`, and
/// any other local name, or one starting `static/` or `/static/`, is under
/// the static folder. A URL is not local (`None`), nor is a name that
/// climbs out of its folder.
pub(crate) fn locate(poster: &str, review_path: &str, is_bundle: bool) -> Option<Located> {
    let poster = poster.trim();
    if poster.contains("://") || poster.contains('\\') {
        return None;
    }
    let (root, file) = if let Some(file) = poster.strip_prefix("/static/") {
        (Root::Static, file.to_string())
    } else if let Some(file) = poster.strip_prefix("static/") {
        (Root::Static, file.to_string())
    } else if poster.starts_with('/') {
        return None;
    } else if is_bundle {
        let folder = review_path
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        (Root::Content, format!("{folder}/{poster}"))
    } else {
        (Root::Static, poster.to_string())
    };
    plain(&file).then_some(Located { root, file })
}

/// Where an image a body links is (`src` as the page has it, see
/// `content::markdown`): under `/static/`, or in the review's own bundle
/// (`asset_base`, `/reviews/anora/`), beside its `index.md`. Anything else
/// is not one of the site's files (`None`).
pub(crate) fn locate_linked(
    src: &str,
    review_path: &str,
    asset_base: Option<&str>,
) -> Option<Located> {
    let (root, file) = if let Some(file) = src.strip_prefix("/static/") {
        (Root::Static, file.to_string())
    } else {
        let name = src
            .strip_prefix(asset_base?)
            .filter(|name| !name.is_empty())?;
        let folder = review_path.rsplit_once('/')?.0;
        (Root::Content, format!("{folder}/{name}"))
    };
    plain(&file).then_some(Located { root, file })
}

/// Whether `file` is a path inside its folder: no `..`, no root, no `\\`.
fn plain(file: &str) -> bool {
    !file.is_empty()
        && !file.contains('\\')
        && Path::new(file)
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_exceed_the_source() {
        assert_eq!(widths(1000), vec![160, 320, 640, 1000]);
        assert_eq!(widths(3000), vec![160, 320, 640, 1280]);
        assert_eq!(widths(1280), vec![160, 320, 640, 1280]);
        assert_eq!(widths(100), vec![100]);
    }

    #[test]
    fn derivative_names_are_read_back_strictly() {
        let hash = "0123456789abcdef0123456789abcdef";
        let name = DerivativeName::parse(&format!("{hash}-320.webp")).unwrap();
        assert_eq!(name.width, 320);
        assert_eq!(name.format, Format::Webp);
        assert_eq!(name.file_name(), format!("{hash}-320.webp"));
        for bad in [
            "../etc-320.webp".to_string(),
            format!("{hash}-320.gif"),
            format!("{hash}-.jpg"),
            format!("{hash}-123456.jpg"),
            format!("{}-320.jpg", hash.to_uppercase()),
            format!("{hash}-320.jpg/x"),
        ] {
            assert_eq!(DerivativeName::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn posters_are_located_as_the_pages_link_them() {
        let located = |poster| locate(poster, "reviews/anora/index.md", true);
        assert_eq!(
            located("poster.jpg"),
            Some(Located {
                root: Root::Content,
                file: "reviews/anora/poster.jpg".into()
            })
        );
        assert_eq!(
            locate("posters/a.jpg", "reviews/a.md", false),
            Some(Located {
                root: Root::Static,
                file: "posters/a.jpg".into()
            })
        );
        assert_eq!(located("/static/posters/a.jpg").unwrap().root, Root::Static);
        assert_eq!(
            located("static/posters/a.jpg").unwrap().file,
            "posters/a.jpg"
        );
        assert_eq!(located("https://img.example/p.jpg"), None);
        assert_eq!(located("../other/poster.jpg"), None);
        assert_eq!(located("/etc/passwd"), None);
    }

    #[test]
    fn body_images_are_located_from_the_links_the_page_has() {
        let linked = |src| locate_linked(src, "reviews/anora/index.md", Some("/reviews/anora/"));
        assert_eq!(
            linked("/reviews/anora/stills/one.jpg"),
            Some(Located {
                root: Root::Content,
                file: "reviews/anora/stills/one.jpg".into()
            })
        );
        assert_eq!(
            linked("/static/sets/a.png"),
            Some(Located {
                root: Root::Static,
                file: "sets/a.png".into()
            })
        );
        assert_eq!(linked("/reviews/other/one.jpg"), None);
        assert_eq!(linked("/reviews/anora/../../site.toml"), None);
        assert_eq!(linked("/static/../marquee.db"), None);
        assert_eq!(linked("/reviews/anora/"), None);
        assert_eq!(
            locate_linked("/reviews/a/x.jpg", "reviews/a.md", None),
            None,
            "a review that is not a bundle has no files of its own"
        );
    }
}
