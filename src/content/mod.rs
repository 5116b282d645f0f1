//! Content: markdown files with front matter, from disk to validated
//! documents. Pure: files in, documents (or errors naming file, line and
//! field) out, and a plan of what changed; nothing here knows SQL or HTTP.

pub mod diary;
pub mod error;
pub(crate) mod fields;
pub mod film;
pub(crate) mod front_matter;
pub mod list;
pub mod loader;
pub mod markdown;
mod messages;
pub(crate) mod page;
pub mod plan;
pub mod rating;
pub mod review;
pub mod scaffold;
pub mod site;
pub(crate) mod slugs;

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use error::ContentError;
use loader::Document;
use slugs::{Claim, SlugSpace};

/// What `marquee check` found.
#[derive(Debug)]
pub struct CheckReport {
    /// How many content files were found, with errors or without.
    pub files: usize,
    /// Every problem, sorted by path; empty when the content is clean.
    pub errors: Vec<ContentError>,
}

/// A review whose local poster cannot be used is an error on its
/// `film.poster`, and one whose body shows a local image that cannot be
/// used an error on its `body`, as the server reports them
/// (`publish::imaging`): the check decodes each image whole, so a file
/// broken past its header is found too.
fn check_images(
    (content_dir, static_dir): (&Path, &Path),
    path: &str,
    document: Document,
) -> Result<Document, ContentError> {
    let Document::Review(review) = &document else {
        return Ok(document);
    };
    let poster = review
        .film
        .poster
        .as_deref()
        .filter(|poster| !poster.starts_with("https://") && !poster.starts_with("http://"))
        .and_then(|poster| crate::images::locate(poster, path, review.asset_base.is_some()))
        .map(|located| ("film.poster", located));
    let body = review.body_images.iter().filter_map(|src| {
        crate::images::locate_linked(src, path, review.asset_base.as_deref())
            .map(|located| ("body", located))
    });
    for (field, located) in poster.into_iter().chain(body) {
        // A name that is no file is linked as written, as the server does.
        let reason = match crate::images::decode_bounded(&located.path(content_dir, static_dir)) {
            Ok(_) | Err(crate::images::ImageError::Unreadable(_)) => continue,
            Err(error) => error.to_string(),
        };
        let mut error = ContentError::new(path, reason);
        error.field = Some(field.to_string());
        return Err(error);
    }
    Ok(document)
}

/// The settings in `site.toml`, read on their own (for a site served
/// without a sync); `None` when the file is missing or broken.
pub(crate) fn site_settings(content_dir: &Path) -> Option<site::Site> {
    let file = loader::stat(content_dir, site::SITE_FILE).ok()??;
    loader::read_settings(&file)
}

/// Validates every content file without touching a database: the same
/// parsing the server does, folders it cannot read, and slug clashes,
/// decided by the rule the server applies (`slugs`), and every local
/// poster and image in a review's text decoded, those under `static/` looked for in the `static` folder
/// beside the content folder, where a site keeps them.
pub fn check(content_dir: &Path) -> std::io::Result<CheckReport> {
    let static_dir = content_dir.parent().unwrap_or(content_dir).join("static");
    check_with_static(content_dir, &static_dir)
}

/// `check`, finding posters under `static/` in `static_dir`.
pub fn check_with_static(content_dir: &Path, static_dir: &Path) -> std::io::Result<CheckReport> {
    let scan = loader::scan(content_dir)?;
    let parsed: Vec<(String, Result<Document, ContentError>)> = scan
        .files
        .par_iter()
        .map(|file| {
            // Embeds never make a file invalid, so the check renders with
            // none allowed.
            let document = loader::read(file)
                .and_then(|bytes| loader::parse(file, &bytes, &[]))
                .and_then(|document| check_images((content_dir, static_dir), &file.path, document));
            (file.path.clone(), document)
        })
        .collect();
    let mut errors = scan.unreadable;
    // Each slug's claimants, with the line of their `slug:` field.
    type Claimants<'a> = Vec<(Claim<'a>, Option<usize>)>;
    let mut claims: HashMap<(SlugSpace, &str), Claimants<'_>> = HashMap::new();
    for (path, document) in &parsed {
        match document {
            Err(error) => errors.push(error.clone()),
            Ok(document) => {
                if let Some((space, slug, claim)) = document.slug_claim(path) {
                    let line = document.slug_line();
                    claims.entry((space, slug)).or_default().push((claim, line));
                }
            }
        }
    }
    for ((_, slug), mut claimants) in claims {
        claimants.sort();
        let (winner, _) = claimants[0];
        for (lost, line) in &claimants[1..] {
            errors.push(slugs::taken(lost.path, *line, slug, winner, *lost));
        }
    }
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(CheckReport {
        files: scan.files.len(),
        errors,
    })
}
