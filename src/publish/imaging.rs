//! Keeping the images' facts and derivatives in step with the reviews.
//!
//! After each sync commits, in the syncer's turn, `Imaging::refresh` stats
//! every local poster a review names, and every local image in a body, reads and hashes those whose size or
//! mtime moved (or that are new), reads their headers (`images::probe`: no
//! pixels decoded) and stores the facts (`db::images`): pages then render
//! `width`, `height` and derivative names without opening an image. A file
//! that cannot be used is stored with its error, which the status page
//! shows on the review's `film.poster`.
//!
//! The derivatives are made by a background task that the refresh wakes,
//! one source at a time, never in the sync's way; a request for one not
//! made yet makes it there and then (`images::Derivatives` makes each
//! source once, however many ask). Sources no review names any more lose
//! their derivatives when the worker next sweeps.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use sqlx::SqlitePool;
use tokio::sync::Notify;

use crate::db;
use crate::db::images::{StoredImage, Wanted};
use crate::images::{self, Derivatives, Facts, Format, ImageError, Located, Root};

/// The folders images are read from, the derivative cache, and the
/// background worker's wake-up call.
#[derive(Debug)]
pub struct Imaging {
    content_dir: PathBuf,
    static_dir: PathBuf,
    derivatives: Arc<Derivatives>,
    wake: Notify,
}

impl Imaging {
    /// Images under `content_dir` (bundles) and `static_dir`, derivatives
    /// in `cache_dir`.
    pub(crate) fn new(content_dir: PathBuf, static_dir: PathBuf, cache_dir: PathBuf) -> Self {
        Self {
            content_dir,
            static_dir,
            derivatives: Arc::new(Derivatives::new(cache_dir)),
            wake: Notify::new(),
        }
    }

    /// The derivative cache, for the web to serve from.
    pub(crate) fn derivatives(&self) -> &Arc<Derivatives> {
        &self.derivatives
    }

    /// How many sources have had their derivatives made since start: what
    /// tests watch to see that a source is made once.
    pub fn sources_made(&self) -> u64 {
        self.derivatives.made()
    }

    /// Where the source stored in `row` is on disk, with its facts, if it
    /// has them.
    pub(crate) fn source_of(&self, row: &StoredImage) -> Option<(PathBuf, Facts)> {
        let located = Located {
            root: Root::from_name(&row.root)?,
            file: row.file.clone(),
        };
        let facts = Facts {
            hash: row.hash.clone()?,
            width: row.width?,
            height: row.height?,
            format: Format::from_name(row.format.as_deref()?)?,
        };
        Some((located.path(&self.content_dir, &self.static_dir), facts))
    }

    /// Brings the stored facts in step with the images reviews show now,
    /// those of every review, or of the reviews `only` names (`reviews/anora`
    /// for `reviews/anora.md` or the bundle `reviews/anora/`: what a save
    /// touched, so that it stats a few files rather than every poster of
    /// the archive); returns whether any changed (pages showing them must
    /// be rendered again). Wakes the worker when there is something to
    /// make or sweep.
    pub(crate) async fn refresh(
        &self,
        db: &SqlitePool,
        only: Option<&[String]>,
    ) -> sqlx::Result<bool> {
        let wanted = db::images::wanted(db, only).await?;
        let stored: HashMap<(String, String), StoredImage> = db::images::all(db, only)
            .await?
            .into_iter()
            .map(|row| ((row.review_path.clone(), row.reference.clone()), row))
            .collect();
        let folders = (self.content_dir.clone(), self.static_dir.clone());
        let examined =
            tokio::task::spawn_blocking(move || examine(&wanted, stored, &folders.0, &folders.1))
                .await;
        let (written, removed) = match examined {
            Ok(examined) => examined,
            Err(error) => {
                tracing::error!(%error, "examining the posters failed");
                return Ok(false);
            }
        };
        let changed = !written.is_empty() || !removed.is_empty();
        if changed {
            db::images::apply(db, &written, &removed).await?;
            self.wake.notify_one();
        }
        Ok(changed)
    }

    /// Starts the background worker that makes the derivatives the facts
    /// call for and sweeps the ones no source needs; it runs once at start
    /// and again each time `refresh` changes something. `changed` runs when
    /// a source turned out unusable (its pages change).
    pub(crate) fn start_worker(
        self: &Arc<Self>,
        db: SqlitePool,
        changed: impl Fn() + Send + Sync + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let imaging = self.clone();
        tokio::spawn(async move {
            loop {
                match imaging.make_all(&db).await {
                    Ok(true) => changed(),
                    Ok(false) => {}
                    Err(error) => tracing::error!(%error, "making image derivatives failed"),
                }
                imaging.wake.notified().await;
            }
        })
    }

    /// Makes every missing derivative, then sweeps; returns whether a
    /// source was found unusable.
    async fn make_all(&self, db: &SqlitePool) -> sqlx::Result<bool> {
        let started = std::time::Instant::now();
        let mut made = 0;
        let mut failed = false;
        let sources: Vec<(StoredImage, PathBuf, Facts)> = db::images::sources(db)
            .await?
            .into_iter()
            .filter_map(|row| {
                let (path, facts) = self.source_of(&row)?;
                Some((row, path, facts))
            })
            .collect();
        // Which lack a derivative: a few stats each, off the async threads.
        let derivatives = self.derivatives.clone();
        let missing = tokio::task::spawn_blocking(move || {
            sources
                .into_iter()
                .filter(|(_, _, facts)| !derivatives.complete(facts))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (row, path, facts) in missing {
            match self.derivatives.ensure(&path, &facts).await {
                Ok(true) => made += 1,
                Ok(false) | Err(ImageError::Changed(_)) | Err(ImageError::Unreadable(_)) => {}
                Err(error) => {
                    tracing::warn!(review = %row.review_path, "content error: {error}");
                    db::images::failed(db, &facts.hash, &error.to_string()).await?;
                    failed = true;
                }
            }
        }
        let keep: HashSet<String> = db::images::sources(db)
            .await?
            .into_iter()
            .filter_map(|row| row.hash)
            .collect();
        let derivatives = self.derivatives.clone();
        let swept = tokio::task::spawn_blocking(move || derivatives.sweep(&keep))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
        if made > 0 || swept > 0 {
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::info!(sources = made, swept, elapsed_ms, "image derivatives made");
        }
        Ok(failed)
    }
}

/// What changed among the posters `wanted` names, given what is `stored`:
/// the rows to write (new, or whose file moved, grew or shrank) and the
/// ones to remove (no review names them any more). Blocking: stats files.
fn examine(
    wanted: &[Wanted],
    mut stored: HashMap<(String, String), StoredImage>,
    content_dir: &Path,
    static_dir: &Path,
) -> (Vec<StoredImage>, Vec<(String, String)>) {
    let mut written = Vec::new();
    let mut removed = Vec::new();
    for image in wanted {
        let key = (image.review_path.clone(), image.reference.clone());
        let before = stored.remove(&key);
        match examine_one(image, before.as_ref(), content_dir, static_dir) {
            Some(row) if before.as_ref() != Some(&row) => written.push(row),
            Some(_) => {}
            None if before.is_some() => removed.push(key),
            None => {}
        }
    }
    removed.extend(stored.into_keys());
    (written, removed)
}

/// The row for one poster: the stored one when its file has not moved,
/// else what probing it finds now. None when there is no such file (or
/// the name leaves its folder): the page links the name as written, as it
/// always did, and a later sync looks again.
fn examine_one(
    wanted: &Wanted,
    before: Option<&StoredImage>,
    content_dir: &Path,
    static_dir: &Path,
) -> Option<StoredImage> {
    let located = if wanted.in_body {
        images::locate_linked(
            &wanted.reference,
            &wanted.review_path,
            wanted.asset_base.as_deref(),
        )?
    } else {
        images::locate(
            &wanted.reference,
            &wanted.review_path,
            wanted.asset_base.is_some(),
        )?
    };
    let path = located.path(content_dir, static_dir);
    let metadata = std::fs::metadata(&path)
        .ok()
        .filter(std::fs::Metadata::is_file)?;
    let mut row = StoredImage {
        review_path: wanted.review_path.clone(),
        reference: wanted.reference.clone(),
        root: Root::Static.name().to_string(),
        file: wanted.reference.clone(),
        mtime_ns: 0,
        size: 0,
        hash: None,
        width: None,
        height: None,
        format: None,
        error: None,
    };
    row.root = located.root.name().to_string();
    row.file.clone_from(&located.file);
    row.size = i64::try_from(metadata.len()).unwrap_or(i64::MAX);
    row.mtime_ns = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .and_then(|since| i64::try_from(since.as_nanos()).ok())
        .unwrap_or(0);
    if let Some(before) = before.filter(|before| {
        before.root == row.root
            && before.file == row.file
            && before.mtime_ns == row.mtime_ns
            && before.size == row.size
            && row.mtime_ns != 0
    }) {
        return Some(before.clone());
    }
    match images::probe(&path) {
        Ok(facts) => {
            row.hash = Some(facts.hash);
            row.width = Some(facts.width);
            row.height = Some(facts.height);
            row.format = Some(facts.format.name().to_string());
        }
        Err(error) => row.error = Some(error.to_string()),
    }
    Some(row)
}
