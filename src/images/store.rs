//! The derivatives on disk: a folder beside the database, one file per
//! derivative named by `DerivativeName`, made for a whole source at once
//! (one decode for all its sizes), one source at a time, and never twice
//! for one source however many requests ask for it together.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

use super::decode::{decode_bytes, read_bounded};
use super::{DerivativeName, Facts, ImageError, derive_all, widths};

/// Where the derivatives of the database at `db` live: beside it, named
/// after it (`marquee.db` → `marquee-images/`), as the search index is.
/// A cache: deleted, it is made again from the sources.
pub(crate) fn cache_dir(db: &Path) -> PathBuf {
    let mut name = db.file_stem().unwrap_or_default().to_os_string();
    name.push("-images");
    db.with_file_name(name)
}

/// The derivative cache, shared by the background worker and the web.
#[derive(Debug)]
pub(crate) struct Derivatives {
    dir: PathBuf,
    /// One lock per source being made, by hash: the single flight.
    making: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// One decode at a time: a large source decoded takes tens of MB.
    decoding: Semaphore,
    /// How many sources have been decoded and encoded, for tests and logs.
    made: AtomicU64,
}

impl Derivatives {
    /// The cache in `dir` (made when the first derivative is written).
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            making: Mutex::new(HashMap::new()),
            decoding: Semaphore::new(1),
            made: AtomicU64::new(0),
        }
    }

    /// How many sources this cache has made derivatives of.
    pub(crate) fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }

    /// The bytes of the derivative `name` of the source at `source` (whose
    /// facts are `facts`), making every derivative of that source first if
    /// they are not all there.
    pub(crate) async fn get(
        &self,
        name: &DerivativeName,
        source: &Path,
        facts: &Facts,
    ) -> Result<Vec<u8>, ImageError> {
        let path = self.dir.join(name.file_name());
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return Ok(bytes);
        }
        self.ensure(source, facts).await?;
        tokio::fs::read(&path)
            .await
            .map_err(|_| ImageError::Unreadable(name.file_name()))
    }

    /// Makes every derivative of a source unless they are all there;
    /// returns whether it made them. Concurrent calls for one source wait
    /// for the first, then find the files.
    pub(crate) async fn ensure(&self, source: &Path, facts: &Facts) -> Result<bool, ImageError> {
        if self.complete(facts) {
            return Ok(false);
        }
        let lock = self
            .making
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(facts.hash.clone())
            .or_default()
            .clone();
        let made = {
            let _ours = lock.lock().await;
            if self.complete(facts) {
                false
            } else {
                let _turn = self
                    .decoding
                    .acquire()
                    .await
                    .map_err(|_| ImageError::Unreadable(source.display().to_string()))?;
                let (dir, source, facts_owned) =
                    (self.dir.clone(), source.to_path_buf(), facts.clone());
                tokio::task::spawn_blocking(move || make(&dir, &source, &facts_owned))
                    .await
                    .map_err(|error| ImageError::Encode {
                        file: facts.hash.clone(),
                        reason: error.to_string(),
                    })??;
                self.made.fetch_add(1, Ordering::Relaxed);
                true
            }
        };
        self.making
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&facts.hash);
        Ok(made)
    }

    /// Whether every derivative of a source is on disk (blocking: stats).
    pub(crate) fn complete(&self, facts: &Facts) -> bool {
        names(facts).all(|name| self.dir.join(name.file_name()).is_file())
    }

    /// Removes the derivatives of every source not in `keep` (hashes), and
    /// any half-written file; returns how many files went.
    pub(crate) fn sweep(&self, keep: &HashSet<String>) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kept = DerivativeName::parse(&name).is_some_and(|name| keep.contains(&name.hash));
            if !kept && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Every derivative name of a source.
pub(crate) fn names(facts: &Facts) -> impl Iterator<Item = DerivativeName> + '_ {
    widths(facts.width).into_iter().flat_map(move |width| {
        facts
            .format
            .served()
            .iter()
            .map(move |format| DerivativeName {
                hash: facts.hash.clone(),
                width,
                format: *format,
            })
    })
}

/// Reads, checks, decodes and derives one source, writing each file under
/// a temporary name and renaming it, so a reader never sees half a file.
fn make(dir: &Path, source: &Path, facts: &Facts) -> Result<(), ImageError> {
    let bytes = read_bounded(source)?;
    let file = source
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    if crate::content::loader::hash(&bytes) != facts.hash {
        return Err(ImageError::Changed(file));
    }
    let image = decode_bytes(source, &bytes)?;
    drop(bytes);
    let derivatives = derive_all(&image, facts.format, &file)?;
    drop(image);
    let write_error = |error: std::io::Error| ImageError::Encode {
        file: file.clone(),
        reason: error.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    for derivative in derivatives {
        let name = DerivativeName {
            hash: facts.hash.clone(),
            width: derivative.width,
            format: derivative.format,
        }
        .file_name();
        let partial = dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, &derivative.bytes).map_err(write_error)?;
        std::fs::rename(&partial, dir.join(&name)).map_err(write_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_named_after_the_database() {
        assert_eq!(
            cache_dir(Path::new("/srv/site/marquee.db")),
            Path::new("/srv/site/marquee-images")
        );
    }
}
