//! Content: markdown files with front matter, from disk to validated
//! documents, and the machinery that keeps the database in line with them.

pub mod error;
pub mod fields;
pub mod front_matter;
pub mod loader;
pub mod markdown;
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
            let document = loader::read(file).and_then(|bytes| loader::parse(file, &bytes));
            (file.path.clone(), document)
        })
        .collect();
    let mut errors = Vec::new();
    let mut review_slugs: HashMap<String, String> = HashMap::new();
    let mut page_slugs: HashMap<String, String> = HashMap::new();
    for (path, document) in parsed {
        let claimed = match document {
            Err(error) => {
                errors.push(error);
                continue;
            }
            Ok(Document::Review(review)) => review_slugs
                .get(&review.slug)
                .cloned()
                .or_else(|| {
                    review_slugs.insert(review.slug.clone(), path.clone());
                    None
                })
                .map(|holder| (review.slug.clone(), holder)),
            Ok(Document::Page(page)) => page_slugs
                .get(&page.slug)
                .cloned()
                .or_else(|| {
                    page_slugs.insert(page.slug.clone(), path.clone());
                    None
                })
                .map(|holder| (page.slug.clone(), holder)),
            Ok(Document::Site(_)) => None,
        };
        if let Some((slug, holder)) = claimed {
            errors.push(
                ContentError::new(&path, format!("the slug `{slug}` is already used by {holder}; give this file another `slug`"))
                    .in_field("slug"),
            );
        }
    }
    Ok(CheckReport {
        files: files.len(),
        errors,
    })
}
