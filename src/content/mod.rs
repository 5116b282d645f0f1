//! Content: markdown files with front matter, from disk to validated
//! documents, and the machinery that keeps the database in line with them.

pub mod error;
pub mod fields;
pub mod front_matter;
pub mod loader;
pub mod markdown;
mod messages;
pub mod page;
pub mod review;
pub mod scaffold;
pub mod schedule;
pub mod site;
pub mod sync;
pub mod watcher;

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use error::ContentError;
use loader::Document;

/// What `marquee check` found.
#[derive(Debug)]
pub struct CheckReport {
    pub files: usize,
    pub errors: Vec<ContentError>,
}

/// Validates every content file without touching a database: the same
/// parsing the server does, plus slug clashes (the file whose path sorts
/// first keeps the slug, as on a fresh load).
pub fn check(content_dir: &Path) -> std::io::Result<CheckReport> {
    let files = loader::scan(content_dir)?;
    let parsed: Vec<(String, Result<Document, ContentError>)> = files
        .par_iter()
        .map(|file| {
            // Embeds never make a file invalid, so the check renders with
            // none allowed.
            let document = loader::read(file).and_then(|bytes| loader::parse(file, &bytes, &[]));
            (file.path.clone(), document)
        })
        .collect();
    let mut errors = Vec::new();
    // Reviews and pages have separate URL spaces, so a slug is claimed per kind.
    let mut holders: HashMap<(bool, String), String> = HashMap::new();
    for (path, document) in parsed {
        let key = match document {
            Err(error) => {
                errors.push(error);
                continue;
            }
            Ok(Document::Review(review)) => (false, review.slug),
            Ok(Document::Page(page)) => (true, page.slug),
            Ok(Document::Site(_)) => continue,
        };
        match holders.get(&key) {
            Some(holder) => errors.push(ContentError::slug_taken(&path, &key.1, holder)),
            None => {
                holders.insert(key, path);
            }
        }
    }
    Ok(CheckReport {
        files: files.len(),
        errors,
    })
}
