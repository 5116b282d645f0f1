//! Planning a sync, without a database: which files to look at (all of
//! them, or what the watcher reported), which of those changed since the
//! store last saw them (by mtime and size, then by hash), which are gone or
//! cannot be read, and reading and parsing the changed ones in parallel.
//!
//! What the store knows of each file comes in as plain `Known` values; what
//! to do about the result (the transaction) is the store's job, and when to
//! do it the publisher's.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use tokio::sync::mpsc;

use super::error::ContentError;
use super::loader::{self, Document, Scan, SourceFile};
use super::markdown;

/// Which files a sync looks at.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Scan the whole content directory (start-up, or when events were lost).
    Everything,
    /// Only these paths, relative to the content directory, as reported by
    /// the file watcher. A path may name a file or a folder, existing or not.
    Paths(Vec<String>),
}

impl Scope {
    /// The documents a sync of this scope may touch, by name without `.md`
    /// (`reviews/anora`: the file `reviews/anora.md` or the bundle folder
    /// `reviews/anora/`), so that what depends on them (their images) is
    /// looked at again, and nothing else; `None` for everything (a whole
    /// scan, or an event on a whole folder).
    pub(crate) fn review_names(&self) -> Option<Vec<String>> {
        let Scope::Paths(paths) = self else {
            return None;
        };
        let mut names = Vec::new();
        for path in paths {
            let mut parts = path.split('/');
            let (Some(folder), Some(name)) = (parts.next(), parts.next()) else {
                return None;
            };
            let name = format!("{folder}/{}", name.strip_suffix(".md").unwrap_or(name));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Some(names)
    }
}

/// What the store knows of a file it has seen: enough to tell whether the
/// file changed without reading it, and whether it was in error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    /// xxh3-128 of the bytes last read.
    pub(crate) hash: String,
    pub(crate) mtime_ns: i64,
    pub(crate) size: i64,
    /// The error its last version had, if any.
    pub(crate) error: Option<ContentError>,
    /// Its modification time, if readers see what it holds (not a draft;
    /// for a file with an error, its last good version's).
    pub(crate) public_mtime_ns: Option<i64>,
}

/// What a sync found on disk.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) files: Vec<SourceFile>,
    /// Known paths whose files are gone.
    pub(crate) removed: Vec<String>,
    /// Files and folders that are there but could not be read.
    pub(crate) unreadable: Vec<ContentError>,
}

/// Looks for the files `scope` concerns (blocking: run it off the async
/// threads). A path the store knows is removed only when this looked for it
/// and did not find it, never when it sits in something that could not be
/// read. An error means the content folder itself cannot be listed.
pub(crate) fn find(
    content_dir: &Path,
    scope: &Scope,
    known: &HashMap<String, Known>,
) -> std::io::Result<Found> {
    let (everything, folders, candidates) = match scope {
        Scope::Everything => (true, Vec::new(), Vec::new()),
        Scope::Paths(paths) => {
            let (folders, candidates) = expand_paths(paths, known);
            (folders.iter().any(String::is_empty), folders, candidates)
        }
    };
    let mut missing = Vec::new();
    let scan = if everything {
        loader::scan(content_dir)?
    } else {
        let mut scan = Scan::default();
        for folder in &folders {
            let found = loader::scan_folder(content_dir, folder);
            scan.files.extend(found.files);
            scan.unreadable.extend(found.unreadable);
        }
        for path in candidates {
            if scan.files.iter().any(|file| file.path == path) {
                continue;
            }
            match loader::stat(content_dir, &path) {
                Ok(Some(file)) => scan.files.push(file),
                Ok(None) => missing.push(path),
                Err(reason) => scan.unreadable.push(ContentError::new(path, reason)),
            }
        }
        scan
    };
    // Known paths this looked for and did not find: the candidates it
    // stat'ed, and whatever sat in the folders it listed (all of them, for
    // a whole scan).
    let listed = |path: &str| {
        everything
            || folders.iter().any(|folder| {
                path.starts_with(folder.as_str()) && path[folder.len()..].starts_with('/')
            })
    };
    let present: HashSet<&str> = scan.files.iter().map(|file| file.path.as_str()).collect();
    let removed: BTreeSet<String> = known
        .keys()
        .filter(|path| listed(path) && !present.contains(path.as_str()))
        .chain(missing.iter().filter(|path| known.contains_key(*path)))
        .filter(|path| !scan.cannot_tell(path))
        .cloned()
        .collect();
    Ok(Found {
        files: scan.files,
        removed: removed.into_iter().collect(),
        unreadable: scan.unreadable,
    })
}

/// Turns the paths a watcher reported into what to look at: the folders to
/// list whole (`reviews` or `pages` itself renamed, replaced or given back
/// its permissions: its files may be ones the store never heard of), and
/// the content files they may concern (the file itself, a bundle's
/// `index.md` when a folder changed, every known file under a folder that
/// moved away, and every file with an error, since a slug freed elsewhere
/// may have fixed it). A folder that could not be read is listed again.
fn expand_paths(paths: &[String], known: &HashMap<String, Known>) -> (Vec<String>, Vec<String>) {
    let mut folders = BTreeSet::new();
    let mut candidates = BTreeSet::new();
    let errored = known
        .iter()
        .filter(|(_, known)| known.error.is_some())
        .map(|(path, _)| path);
    for path in paths.iter().chain(errored) {
        let path = path.trim_matches('/');
        if path.is_empty() || loader::CONTENT_DIRS.contains(&path) {
            folders.insert(path.to_string());
            continue;
        }
        if loader::classify(path).is_some() {
            candidates.insert(path.to_string());
        }
        let bundle_index = format!("{path}/index.md");
        if loader::classify(&bundle_index).is_some() {
            candidates.insert(bundle_index);
        }
        let folder = format!("{path}/");
        for known_path in known.keys().filter(|known| known.starts_with(&folder)) {
            candidates.insert(known_path.clone());
        }
    }
    (
        folders.into_iter().collect(),
        candidates.into_iter().collect(),
    )
}

/// A file is read again when it is new, its mtime or size moved, or it had
/// an error last time.
pub(crate) fn needs_reading(file: &SourceFile, known: Option<&Known>) -> bool {
    match known {
        None => true,
        Some(known) => {
            known.error.is_some() || known.mtime_ns != file.mtime_ns || known.size != file.size
        }
    }
}

/// What reading one file produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Same bytes as last time: only its mtime/size are refreshed.
    Unchanged,
    Parsed {
        hash: String,
        document: Result<Document, ContentError>,
    },
    Unreadable(ContentError),
}

/// How many files are parsed together. Batches are parsed in parallel in
/// the background while the sync stores the one before, so storing and
/// parsing overlap, and only about two batches are in memory at a time
/// (loading 10,000 reviews at once held 300 MB).
const READ_BATCH: usize = 128;

/// Reads, hashes and parses files in parallel, handing them over in path
/// order. A file whose hash is in `known_hashes` (it was fine, and only its
/// mtime moved) comes back `Unchanged` without being parsed. The task ends
/// early if the receiver goes away.
pub(crate) fn read_all(
    mut files: Vec<SourceFile>,
    known_hashes: HashMap<String, String>,
    embed_hosts: Vec<String>,
) -> (
    mpsc::Receiver<(SourceFile, Outcome)>,
    tokio::task::JoinHandle<()>,
) {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let (sender, receiver) = mpsc::channel(READ_BATCH);
    let reading = tokio::task::spawn_blocking(move || {
        let mut files = files.into_iter();
        loop {
            let batch: Vec<SourceFile> = files.by_ref().take(READ_BATCH).collect();
            if batch.is_empty() {
                return;
            }
            let outcomes: Vec<(SourceFile, Outcome)> = batch
                .into_par_iter()
                .map(|file| {
                    let outcome = read_one(&file, &known_hashes, &embed_hosts);
                    (file, outcome)
                })
                .collect();
            for outcome in outcomes {
                if sender.blocking_send(outcome).is_err() {
                    return;
                }
            }
        }
    });
    (receiver, reading)
}

/// Reads, hashes and (unless its hash is known) parses one file.
pub(crate) fn read_one(
    file: &SourceFile,
    known_hashes: &HashMap<String, String>,
    embed_hosts: &[String],
) -> Outcome {
    match loader::read(file) {
        Err(error) => Outcome::Unreadable(error),
        Ok(bytes) => {
            let hash = loader::hash(&bytes);
            if known_hashes.get(&file.path) == Some(&hash) {
                Outcome::Unchanged
            } else {
                let document = loader::parse(file, &bytes, embed_hosts);
                Outcome::Parsed { hash, document }
            }
        }
    }
}

/// A file read again on its own (one that lost its slug during a sync):
/// where it stands now.
#[derive(Debug)]
pub(crate) enum Reread {
    /// It is gone.
    Gone,
    /// It is there but cannot be examined.
    Unreadable(ContentError),
    Read(SourceFile, Outcome),
}

/// Reads one file again, from scratch (blocking).
pub(crate) fn reread(content_dir: &Path, path: &str, embed_hosts: &[String]) -> Reread {
    match loader::stat(content_dir, path) {
        Ok(None) => Reread::Gone,
        Err(reason) => Reread::Unreadable(ContentError::new(path, reason)),
        Ok(Some(file)) => {
            let outcome = read_one(&file, &HashMap::new(), embed_hosts);
            Reread::Read(file, outcome)
        }
    }
}

/// Identifies everything besides a file's own bytes that decides its
/// rendered body: the renderer's version and the site's embed hosts (in
/// any order). The store keeps it beside the bodies; a sync that computes
/// another renders every body again, so a renderer change or a new host
/// reaches every stored body once, even when made while the server was down.
pub(crate) fn rendering_fingerprint(embed_hosts: &[String]) -> i64 {
    let mut hosts: Vec<&str> = embed_hosts.iter().map(String::as_str).collect();
    hosts.sort_unstable();
    let version = markdown::RENDERER_VERSION.to_string();
    let input = std::iter::once(version.as_str())
        .chain(hosts)
        .collect::<Vec<_>>()
        .join("\n");
    let hash = xxhash_rust::xxh3::xxh3_64(input.as_bytes());
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::{Scope, rendering_fingerprint};

    #[test]
    fn a_save_names_the_review_or_bundle_it_touches() {
        let paths = |paths: &[&str]| Scope::Paths(paths.iter().map(|p| (*p).to_string()).collect());
        assert_eq!(
            paths(&[
                "reviews/anora.md",
                "reviews/flow/poster.jpg",
                "reviews/flow/index.md"
            ])
            .review_names(),
            Some(vec![
                "reviews/anora".to_string(),
                "reviews/flow".to_string()
            ])
        );
        assert_eq!(paths(&["reviews"]).review_names(), None, "a whole folder");
        assert_eq!(Scope::Everything.review_names(), None);
    }

    fn hosts(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_string()).collect()
    }

    #[test]
    fn the_rendering_fingerprint_depends_on_the_set_of_hosts_alone() {
        let two = rendering_fingerprint(&hosts(&["b.example", "a.example"]));
        assert_eq!(
            two,
            rendering_fingerprint(&hosts(&["a.example", "b.example"]))
        );
        assert_ne!(two, rendering_fingerprint(&hosts(&["a.example"])));
        assert_ne!(two, rendering_fingerprint(&hosts(&["a.exampleb.example"])));
    }
}
