//! Finding content files on disk and turning one file's bytes into a
//! document. Reading and parsing are pure and parallel; storing is the
//! sync's job (`sync.rs`).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::diary::{self, Diary};
use super::error::ContentError;
use super::front_matter::Format;
use super::list::{self, List};
use super::page::{self, Page};
use super::review::{self, Location, Review};
use super::site::{SITE_FILE, Site};

/// Larger files are refused: a review this long is a mistake (a pasted
/// binary, a runaway script), and parsing it would stall a sync.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

pub(crate) const REVIEWS_DIR: &str = "reviews";
pub(crate) const PAGES_DIR: &str = "pages";
pub(crate) const DIARY_DIR: &str = "diary";
pub(crate) const LISTS_DIR: &str = "lists";
/// The folders of the content folder that hold content files.
pub(crate) const CONTENT_DIRS: [&str; 4] = [REVIEWS_DIR, PAGES_DIR, DIARY_DIR, LISTS_DIR];
const BUNDLE_INDEX: &str = "index.md";

/// What a content file is, decided by where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// `reviews/<slug>.md`, or `reviews/<slug>/index.md` (a bundle).
    Review {
        /// The slug when the front matter sets none: the file's stem, or
        /// the bundle folder's name.
        default_slug: String,
        /// `<slug>/index.md`: images and other files sit beside it and are
        /// served under the review's address.
        is_bundle: bool,
    },
    /// `pages/<slug>.md`.
    Page {
        /// The file name without `.md`: the page's slug unless it sets one.
        stem: String,
    },
    /// `diary/{year}.yaml` (or `.yml`, `.toml`).
    Diary {
        /// The year every entry must be dated in.
        year: i32,
        /// Written in TOML rather than YAML.
        toml: bool,
    },
    /// `lists/{slug}.md`.
    List {
        /// The file name without `.md`: the list's address.
        stem: String,
    },
    /// `site.toml`.
    Site,
}

/// A content file found on disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the content directory, with `/` separators.
    pub path: String,
    /// Where to read it: the content directory joined with `path`.
    pub abs: PathBuf,
    /// Decided by `classify` from `path`.
    pub kind: SourceKind,
    /// Modification time in nanoseconds since the Unix epoch (0 when the
    /// system cannot say); with `size`, how a sync tells a file changed
    /// without reading it.
    pub mtime_ns: i64,
    /// Length in bytes.
    pub size: i64,
}

/// A parsed content file.
#[derive(Debug, Clone)]
pub enum Document {
    /// From `reviews/`; boxed, so that a `Document` of any kind is not the
    /// size of a review.
    Review(Box<Review>),
    /// From `pages/`.
    Page(Page),
    /// A year of `diary/`.
    Diary(Diary),
    /// From `lists/`.
    List(Box<List>),
    /// `site.toml`.
    Site(Site),
}

/// The modification times of the content folder (under `""`) and of the
/// folders directly in it (by name). A file added, removed or renamed in
/// place moves its folder's time, and nothing else of it is left to see:
/// pages date themselves by these times too (`web::modified`), and a sync
/// compares them with the last sync's.
pub(crate) fn folder_times(content: &Path) -> BTreeMap<String, SystemTime> {
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    let mut times = BTreeMap::new();
    if let Some(time) = modified(content) {
        times.insert(String::new(), time);
    }
    for entry in std::fs::read_dir(content).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|kind| kind.is_dir())
            && let Some(time) = modified(&entry.path())
        {
            times.insert(entry.file_name().to_string_lossy().into_owned(), time);
        }
    }
    times
}

/// The content folder itself (`""`, which holds `site.toml`) and `pages`
/// date the layout (every page); every other folder the catalog.
pub(crate) fn is_layout_folder(name: &str) -> bool {
    name.is_empty() || name == PAGES_DIR
}

impl Document {
    /// Whether readers see it in the catalog (listings, feeds, the
    /// sitemap): a review or list that is not a draft, or a diary. Pages and
    /// `site.toml` are the layout's, timed apart (`db::sources::Part`).
    pub(crate) fn in_public_catalog(&self) -> bool {
        match self {
            Document::Review(review) => !review.draft,
            Document::List(list) => !list.draft,
            Document::Diary(_) => true,
            Document::Page(_) | Document::Site(_) => false,
        }
    }
}

/// Decides from a relative path whether a file is content, and of what kind.
/// Hidden files and editors' temporary files (`.anora.md.swp`, `anora.md~`,
/// `#anora.md#`) never are.
pub fn classify(relative: &str) -> Option<SourceKind> {
    let parts: Vec<&str> = relative.split('/').collect();
    if parts
        .iter()
        .any(|part| part.is_empty() || part.starts_with('.') || part.starts_with('#'))
    {
        return None;
    }
    let stem_of = |name: &str| {
        name.strip_suffix(".md")
            .filter(|stem| !stem.is_empty())
            .map(str::to_string)
    };
    match parts.as_slice() {
        [SITE_FILE] => Some(SourceKind::Site),
        [REVIEWS_DIR, name] => stem_of(name).map(|stem| SourceKind::Review {
            default_slug: stem,
            is_bundle: false,
        }),
        [REVIEWS_DIR, folder, BUNDLE_INDEX] => Some(SourceKind::Review {
            default_slug: (*folder).to_string(),
            is_bundle: true,
        }),
        [PAGES_DIR, name] => stem_of(name).map(|stem| SourceKind::Page { stem }),
        [LISTS_DIR, name] => stem_of(name).map(|stem| SourceKind::List { stem }),
        [DIARY_DIR, name] => diary_year(name),
        _ => None,
    }
}

/// `2024.yaml`, `2024.yml` or `2024.toml`: a diary year.
fn diary_year(name: &str) -> Option<SourceKind> {
    let (stem, extension) = name.split_once('.')?;
    let toml = match extension {
        "yaml" | "yml" => false,
        "toml" => true,
        _ => return None,
    };
    let year = stem
        .parse::<i32>()
        .ok()
        .filter(|year| stem.len() == 4 && super::fields::YEARS.contains(year))?;
    Some(SourceKind::Diary { year, toml })
}

/// What a scan of the content folder, or of one folder in it, found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The content files, sorted by path.
    pub(crate) files: Vec<SourceFile>,
    /// Folders (`reviews/`) and files that are there but could not be read.
    /// Whatever is stored from them must be kept as it is, never taken as
    /// deleted: a folder that cannot be listed for a moment (its permissions
    /// being changed, a network drive away) is not an empty folder.
    pub(crate) unreadable: Vec<ContentError>,
}

impl Scan {
    /// Whether `path` sits in (or is) something this scan could not read,
    /// so that its absence from `files` says nothing.
    pub(crate) fn cannot_tell(&self, path: &str) -> bool {
        self.unreadable.iter().any(|entry| {
            entry.path == path || (entry.path.ends_with('/') && path.starts_with(&entry.path))
        })
    }

    fn add(&mut self, content_dir: &Path, relative: &str, through_link: bool) {
        match stat_checked(content_dir, relative, through_link) {
            Ok(Some(file)) => self.files.push(file),
            Ok(None) => {}
            Err(reason) => self.unreadable.push(ContentError::new(relative, reason)),
        }
    }
}

/// Every content file under `content_dir`, sorted by path (the order that
/// decides which of two files claiming one slug gets it on a fresh load).
/// An error means the content folder itself cannot be listed (it is
/// missing, or not a folder, or not ours to read): then nothing can be
/// told about any file.
pub(crate) fn scan(content_dir: &Path) -> io::Result<Scan> {
    fs::read_dir(content_dir)?;
    let mut scan = Scan::default();
    scan.add(content_dir, SITE_FILE, false);
    for folder in CONTENT_DIRS {
        scan_into(&mut scan, content_dir, folder);
    }
    scan.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(scan)
}

/// The content files in one of the content folder's folders (`reviews` or
/// `pages`), as after that folder was renamed, replaced or given back its
/// permissions: every file in it is looked at, not only the ones known.
pub(crate) fn scan_folder(content_dir: &Path, folder: &str) -> Scan {
    let mut scan = Scan::default();
    scan_into(&mut scan, content_dir, folder);
    scan.files.sort_by(|a, b| a.path.cmp(&b.path));
    scan
}

fn scan_into(scan: &mut Scan, content_dir: &Path, folder: &str) {
    let unreadable = |error: &dyn std::fmt::Display| {
        ContentError::new(
            format!("{folder}/"),
            format!(
                "cannot read this folder ({error}); what was published from it stays as it was \
                 until it can be read again"
            ),
        )
    };
    let dir = content_dir.join(folder);
    let folder_is_link = match fs::symlink_metadata(&dir) {
        Ok(metadata) => metadata.file_type().is_symlink(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return,
        Err(error) => return scan.unreadable.push(unreadable(&error)),
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        // A folder that was deleted (or is a file now) holds nothing.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return;
        }
        Err(error) => return scan.unreadable.push(unreadable(&error)),
    };
    let is_reviews = folder == REVIEWS_DIR;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => return scan.unreadable.push(unreadable(&error)),
        };
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let through_link = folder_is_link || file_type.is_symlink();
        let is_folder = if file_type.is_symlink() {
            entry.path().is_dir()
        } else {
            file_type.is_dir()
        };
        let relative = if is_reviews && is_folder {
            format!("{folder}/{name}/{BUNDLE_INDEX}")
        } else {
            format!("{folder}/{name}")
        };
        scan.add(content_dir, &relative, through_link);
    }
}

/// The content file at `relative`, if it is one and exists as a file. A
/// path through a file (`reviews/anora.md/index.md`, which the watcher asks
/// about when it cannot tell a file from a folder) is absent, not an error;
/// a path that exists but cannot be examined, or that leads out of the
/// content folder through a link, is an error an editor can read.
pub(crate) fn stat(content_dir: &Path, relative: &str) -> Result<Option<SourceFile>, String> {
    let through_link = passes_a_link(content_dir, relative);
    stat_checked(content_dir, relative, through_link)
}

/// `stat`, knowing whether any part of the path below the content folder
/// is a symbolic link (a scan knows it from the folder listing for free).
fn stat_checked(
    content_dir: &Path,
    relative: &str,
    through_link: bool,
) -> Result<Option<SourceFile>, String> {
    let Some(kind) = classify(relative) else {
        return Ok(None);
    };
    let abs = content_dir.join(relative);
    let metadata = match fs::metadata(&abs) {
        Ok(metadata) if metadata.is_file() => metadata,
        Ok(_) => return Ok(None),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(format!("cannot read the file ({error})")),
    };
    if through_link && !stays_inside(content_dir, &abs) {
        return Err(LINK_OUTSIDE.to_string());
    }
    let mtime_ns = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |duration| {
            i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
        });
    Ok(Some(SourceFile {
        path: relative.to_string(),
        abs,
        kind,
        mtime_ns,
        size: i64::try_from(metadata.len()).unwrap_or(i64::MAX),
    }))
}

/// Why a linked file is not read. Links that stay inside the content
/// folder are followed like the files they point to; one that leads out
/// could publish any file the server can read (or quote it in an error).
pub(crate) const LINK_OUTSIDE: &str = "this is a symbolic link to a file outside the content folder, \
     which Marquee does not follow; copy the file into the content folder instead";

/// Whether a folder or file on the way to `relative` is a symbolic link.
fn passes_a_link(content_dir: &Path, relative: &str) -> bool {
    let mut path = content_dir.to_path_buf();
    relative.split('/').any(|part| {
        path.push(part);
        fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.file_type().is_symlink())
    })
}

/// Whether `abs`, with every link resolved, is inside the content folder
/// (itself resolved: the folder may be reached through a link, as a deploy
/// that flips a `current` link does).
fn stays_inside(content_dir: &Path, abs: &Path) -> bool {
    match (fs::canonicalize(content_dir), fs::canonicalize(abs)) {
        (Ok(root), Ok(real)) => real.starts_with(root),
        _ => false,
    }
}

/// Reads a content file, refusing files too large to be content.
pub(crate) fn read(file: &SourceFile) -> Result<Vec<u8>, ContentError> {
    let too_large = || {
        ContentError::new(
            &file.path,
            format!(
                "the file is larger than {} MB; is it really a review?",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    };
    if file.size as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let bytes = fs::read(&file.abs)
        .map_err(|error| ContentError::new(&file.path, format!("cannot read the file: {error}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The settings in a `site.toml` file, or `None` when it cannot be read or
/// is broken (whoever asks then keeps the settings it has).
pub(crate) fn read_settings(file: &SourceFile) -> Option<Site> {
    match read(file).and_then(|bytes| parse(file, &bytes, &[])) {
        Ok(Document::Site(site)) => Some(site),
        _ => None,
    }
}

/// A short fingerprint of a file's bytes, to skip files that did not change.
pub(crate) fn hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Parses a content file; reviews and pages render their body once here,
/// keeping iframes on the site's `embed_hosts`.
pub fn parse(
    file: &SourceFile,
    bytes: &[u8],
    embed_hosts: &[String],
) -> Result<Document, ContentError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let line = bytes[..error.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ContentError::new(
            &file.path,
            "the file is not valid UTF-8 text; save it as UTF-8",
        )
        .at_line(Some(line))
    })?;
    match &file.kind {
        SourceKind::Review {
            default_slug,
            is_bundle,
        } => review::parse_review(
            text,
            Location {
                path: &file.path,
                default_slug,
                is_bundle: *is_bundle,
                embed_hosts,
            },
        )
        .map(|review| Document::Review(Box::new(review))),
        SourceKind::Page { stem } => {
            page::parse_page(text, &file.path, stem, embed_hosts).map(Document::Page)
        }
        SourceKind::Diary { year, toml } => {
            let format = if *toml { Format::Toml } else { Format::Yaml };
            diary::parse_diary(text, &file.path, *year, format).map(Document::Diary)
        }
        SourceKind::List { stem } => {
            list::parse_list(text, &file.path, stem).map(|list| Document::List(Box::new(list)))
        }
        SourceKind::Site => Site::parse(text).map(Document::Site),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_content_paths() {
        assert!(matches!(
            classify("reviews/anora.md"),
            Some(SourceKind::Review {
                is_bundle: false,
                ..
            })
        ));
        assert!(matches!(
            classify("reviews/anora/index.md"),
            Some(SourceKind::Review {
                is_bundle: true,
                ..
            })
        ));
        assert!(matches!(
            classify("pages/about.md"),
            Some(SourceKind::Page { .. })
        ));
        assert_eq!(classify("site.toml"), Some(SourceKind::Site));
        assert_eq!(
            classify("diary/2024.toml"),
            Some(SourceKind::Diary {
                year: 2024,
                toml: true
            })
        );
        assert!(matches!(
            classify("lists/best-of-2024.md"),
            Some(SourceKind::List { .. })
        ));
        for ignored in [
            "reviews/.anora.md.swp",
            "reviews/anora.md~",
            "reviews/#anora.md#",
            "reviews/.hidden.md",
            "reviews/anora.txt",
            "reviews/anora/still.jpg",
            "reviews/a/b/index.md",
            "other/x.md",
            "reviews/.md",
            "diary/24.yaml",
            "diary/2024.md",
            "diary/notes.yaml",
            "lists/a/b.md",
        ] {
            assert_eq!(classify(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn a_path_through_a_file_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("reviews")).unwrap();
        std::fs::write(dir.path().join("reviews/anora.md"), "x").unwrap();
        assert!(
            stat(dir.path(), "reviews/anora.md/index.md")
                .unwrap()
                .is_none()
        );
        assert!(stat(dir.path(), "reviews/anora.md").unwrap().is_some());
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let file = SourceFile {
            path: "reviews/bad.md".into(),
            abs: PathBuf::new(),
            kind: classify("reviews/bad.md").unwrap(),
            mtime_ns: 0,
            size: 0,
        };
        let error = parse(&file, b"---\ntitle: \xff\n---\n", &[]).unwrap_err();
        assert_eq!(error.line, Some(2));
    }
}
