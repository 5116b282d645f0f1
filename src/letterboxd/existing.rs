//! What the content folder already holds that an import must respect:
//! the Letterboxd URIs recorded in earlier imports (so that a second run
//! recognises its own files and entries), the slugs taken, and each
//! diary year's file as written (new entries are added to it, never
//! rewritten into it).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::LetterboxdError;
use crate::content::loader::{self, Document, SourceKind};

/// A diary year's file, as the editor left it.
#[derive(Debug, Clone)]
pub(crate) struct DiaryYear {
    pub(crate) path: String,
    pub(crate) text: String,
    pub(crate) toml: bool,
}

/// The content folder, as far as an import cares.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    /// Letterboxd URI → the review or list file that recorded it.
    pub(crate) files_by_uri: HashMap<String, (String, String)>,
    /// The bytes of every file that carries a URI, to tell unchanged from
    /// edited.
    pub(crate) imported: HashMap<String, Vec<u8>>,
    /// URIs of diary entries already in some year's file.
    pub(crate) diary_uris: HashSet<String>,
    /// Every review slug and file stem in use, parsed or not.
    pub(crate) review_slugs: HashSet<String>,
    /// Every list file stem in use.
    pub(crate) list_stems: HashSet<String>,
    pub(crate) diaries: BTreeMap<i32, DiaryYear>,
}

impl Existing {
    /// Reads every content file once with content's own parser. A file
    /// that does not parse still takes its name.
    pub(crate) fn read(content_dir: &Path) -> Result<Self, LetterboxdError> {
        let mut existing = Self::default();
        if !content_dir.exists() {
            return Ok(existing);
        }
        let scan =
            loader::scan(content_dir).map_err(|source| LetterboxdError::io(content_dir, source))?;
        for file in &scan.files {
            let bytes = loader::read(file).ok();
            let parsed = bytes
                .as_deref()
                .and_then(|bytes| loader::parse(file, bytes, &[]).ok());
            match (&file.kind, parsed) {
                (SourceKind::Review { default_slug, .. }, parsed) => {
                    existing.review_slugs.insert(default_slug.clone());
                    if let Some(Document::Review(review)) = parsed {
                        existing.review_slugs.insert(review.slug.clone());
                        if let Some(uri) = review.letterboxd {
                            existing
                                .files_by_uri
                                .insert(uri, (file.path.clone(), review.slug));
                            existing.remember(&file.path, bytes.as_deref());
                        }
                    }
                }
                (SourceKind::List { stem }, parsed) => {
                    existing.list_stems.insert(stem.clone());
                    if let Some(Document::List(list)) = parsed
                        && let Some(uri) = list.letterboxd
                    {
                        existing
                            .files_by_uri
                            .insert(uri, (file.path.clone(), stem.clone()));
                        existing.remember(&file.path, bytes.as_deref());
                    }
                }
                (SourceKind::Diary { year, toml }, parsed) => {
                    if let Some(Document::Diary(diary)) = parsed {
                        existing.diary_uris.extend(
                            diary
                                .entries
                                .into_iter()
                                .filter_map(|entry| entry.letterboxd),
                        );
                    }
                    let text = bytes
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                        .unwrap_or_default();
                    existing.diaries.entry(*year).or_insert(DiaryYear {
                        path: file.path.clone(),
                        text,
                        toml: *toml,
                    });
                }
                _ => {}
            }
        }
        Ok(existing)
    }

    fn remember(&mut self, path: &str, bytes: Option<&[u8]>) {
        if let Some(bytes) = bytes {
            self.imported.insert(path.to_string(), bytes.to_vec());
        }
    }
}
