//! Bringing the database in line with the files in `content/`.
//!
//! A sync reads only what changed (by mtime and size, then by hash), parses
//! in parallel, and writes everything in one SQLite transaction, so a reader
//! never sees half a review or a listing that disagrees with a page. A file
//! whose new version is broken keeps its last good version live; its error
//! is stored (and logged once) for the editor to see.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc};

use super::error::ContentError;
use super::loader::{self, Document, SourceFile, SourceKind};
use super::site::{SITE_FILE, Site, SiteCell};
use crate::clock::Clock;
use crate::db::{self, sources::StoredSource};

/// Which files a sync looks at.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Scan the whole content directory (start-up, or when events were lost).
    Everything,
    /// Only these paths, relative to the content directory, as reported by
    /// the file watcher. A path may name a file or a folder, existing or not.
    Paths(Vec<String>),
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot read the content directory {path}: {source}")]
    Scan {
        path: String,
        source: std::io::Error,
    },
    #[error("database error during sync: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the sync task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What one sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub files_read: usize,
    /// Reviews or pages inserted, updated or removed.
    pub documents_changed: usize,
    pub site_changed: bool,
    /// A standalone page changed, so every page's navigation may have.
    pub layout_changed: bool,
    /// Errors that appeared or changed in this sync (already logged).
    pub new_errors: Vec<ContentError>,
    /// Reviews were committed without being indexed for search (see
    /// `Indexing::Deferred`): `Syncer::index_pending` finishes the job.
    pub search_pending: bool,
}

/// When a sync indexes what it wrote for search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexing {
    /// In the sync's own transaction: search agrees with the pages at every
    /// commit. What the watcher uses: an edit is indexed in milliseconds.
    Inline,
    /// Inline, unless the sync wrote at least this many reviews: then they
    /// are committed unindexed, and `Syncer::index_pending` indexes them in
    /// a transaction of its own. Indexing 10,000 reviews is ~0.8 s of the
    /// single SQLite writer's time (BENCHMARKS.md), so a first start on a
    /// large archive serves its pages that much sooner, while the search
    /// page says that its results are incomplete. The queue is a table, so
    /// a crash before `index_pending` loses nothing: the next sync indexes
    /// whatever is still queued.
    Deferred { at_least: i64 },
}

impl SyncReport {
    /// Whether anything a reader can see may have changed.
    pub fn changed(&self) -> bool {
        self.documents_changed > 0 || self.site_changed
    }
}

pub struct Syncer {
    content_dir: PathBuf,
    db: SqlitePool,
    site: SiteCell,
    clock: Clock,
    /// Syncs run one at a time: the watcher and start-up never interleave.
    running: Mutex<()>,
    /// Whether `site` holds the settings from `site.toml` yet. A restart
    /// on an up-to-date database skips unchanged files, but the settings
    /// live only in memory, so the first full sync always reads the file.
    site_loaded: AtomicBool,
}

/// What reading one file produced.
enum Outcome {
    /// Same bytes as last time: only its mtime/size are refreshed.
    Unchanged,
    Parsed {
        hash: String,
        document: Result<Document, ContentError>,
    },
    Unreadable(ContentError),
}

impl Syncer {
    pub fn new(content_dir: PathBuf, db: SqlitePool, site: SiteCell, clock: Clock) -> Self {
        Self {
            content_dir,
            db,
            site,
            clock,
            running: Mutex::new(()),
            site_loaded: AtomicBool::new(false),
        }
    }

    pub fn content_dir(&self) -> &Path {
        &self.content_dir
    }

    /// Waits for a sync in progress to commit; no other starts while the
    /// returned guard lives. For shutdown, so that no sync is cut off
    /// half-way (a cut transaction would roll back, and the editor's change
    /// would wait for the next start).
    pub async fn pause(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.running.lock().await
    }

    pub async fn sync(&self, scope: Scope) -> Result<SyncReport, SyncError> {
        self.sync_with(scope, Indexing::Inline).await
    }

    /// Indexes for search the reviews that a deferred sync left queued, in
    /// one transaction; returns how many there were.
    pub async fn index_pending(&self) -> Result<i64, SyncError> {
        let _one_at_a_time = self.running.lock().await;
        let mut tx = self.db.begin().await?;
        let queued = db::reviews::queued(&mut tx).await?;
        if queued > 0 {
            db::reviews::index_queued(&mut tx).await?;
            // Search pages change, so their validators must too.
            let now = self.clock.unix_now();
            db::meta::set(&mut tx, db::meta::CATALOG_CHANGED_AT, now).await?;
        }
        tx.commit().await?;
        db::checkpoint_soon(&self.db);
        Ok(queued)
    }

    pub async fn sync_with(
        &self,
        scope: Scope,
        indexing: Indexing,
    ) -> Result<SyncReport, SyncError> {
        let _one_at_a_time = self.running.lock().await;
        let mut tx = self.db.begin().await?;
        let stored: HashMap<String, StoredSource> = db::sources::all(&mut tx)
            .await?
            .into_iter()
            .map(|source| (source.path.clone(), source))
            .collect();
        let loads_everything = matches!(scope, Scope::Everything);
        let settings_unread = !self.site_loaded.load(Ordering::Acquire);
        let must_parse = |file: &SourceFile| settings_unread && file.kind == SourceKind::Site;
        let (on_disk, removed) = self.find_files(scope, &stored).await?;
        let embeds = self
            .embeds_for(&mut tx, &on_disk, &removed, &stored)
            .await?;
        let (on_disk, removed) = if embeds.rerender && !loads_everything {
            self.find_files(Scope::Everything, &stored).await?
        } else {
            (on_disk, removed)
        };
        let to_read: Vec<SourceFile> = on_disk
            .into_iter()
            .filter(|file| {
                embeds.rerender || needs_reading(file, stored.get(&file.path)) || must_parse(file)
            })
            .collect();
        let known_hashes: HashMap<String, String> = to_read
            .iter()
            .filter(|file| !must_parse(file) && !embeds.rerender)
            .filter_map(|file| {
                let source = stored.get(&file.path)?;
                source
                    .error_reason
                    .is_none()
                    .then(|| (file.path.clone(), source.hash.clone()))
            })
            .collect();
        let files_read = to_read.len();
        let (mut outcomes, reading) = read_all(to_read, known_hashes, embeds.hosts);

        let mut report = SyncReport {
            files_read,
            ..SyncReport::default()
        };
        let mut new_site = None;
        for path in &removed {
            let removed_documents = remove(&mut tx, path).await?;
            report.documents_changed += removed_documents;
            report.layout_changed |= removed_documents > 0 && is_page(path);
            if path == SITE_FILE {
                new_site = Some(Site::default());
            }
        }
        // Files whose slug another file holds, perhaps one that lets go of
        // it later in this sync (a `git pull` that renames two reviews).
        let mut slug_waiters = Vec::new();
        // What was read from each file, written in one statement at the end.
        let mut read = Vec::new();
        while let Some((file, outcome)) = outcomes.recv().await {
            let (hash, result) = match outcome {
                Outcome::Unchanged => {
                    let hash = stored
                        .get(&file.path)
                        .map(|s| s.hash.clone())
                        .unwrap_or_default();
                    read.push(StoredSource::read(
                        &file.path,
                        &hash,
                        file.mtime_ns,
                        file.size,
                        None,
                    ));
                    continue;
                }
                Outcome::Unreadable(error) => (String::new(), Err(error)),
                Outcome::Parsed { hash, document } => (hash, document),
            };
            let result = match result {
                Ok(Document::Site(site)) => {
                    new_site = Some(site);
                    Ok(false)
                }
                Ok(document) => match store(&mut tx, &file, &document).await? {
                    Err(error) => {
                        slug_waiters.push((file, hash, document, error));
                        continue;
                    }
                    stored => stored,
                },
                Err(error) => Err(error),
            };
            let previous_error = stored.get(&file.path).and_then(StoredSource::error);
            read.push(conclude(&mut report, &file, &hash, result, previous_error));
        }
        // A reader that stopped early (it panicked) must not commit half a sync.
        reading.await?;
        for (file, hash, result) in retry_slugs(&mut tx, slug_waiters).await? {
            let previous_error = stored.get(&file.path).and_then(StoredSource::error);
            read.push(conclude(&mut report, &file, &hash, result, previous_error));
        }
        db::sources::record_all(&mut tx, &read).await?;
        report.search_pending = match indexing {
            Indexing::Inline => false,
            Indexing::Deferred { at_least } => db::reviews::queued(&mut tx).await? >= at_least,
        };
        if !report.search_pending {
            db::reviews::index_queued(&mut tx).await?;
        }
        let site_changes = new_site
            .as_ref()
            .is_some_and(|site| self.site.would_change(site));
        let now = self.clock.unix_now();
        if report.documents_changed > 0 || site_changes {
            db::meta::set(&mut tx, db::meta::CATALOG_CHANGED_AT, now).await?;
        }
        if report.layout_changed || site_changes {
            db::meta::set(&mut tx, db::meta::LAYOUT_CHANGED_AT, now).await?;
        }
        if embeds.rerender {
            db::meta::set(&mut tx, db::meta::EMBED_HOSTS_RENDERED, embeds.fingerprint).await?;
        }
        tx.commit().await?;
        db::checkpoint_soon(&self.db);
        if let Some(site) = new_site {
            report.site_changed = self.site.set(site);
        }
        if loads_everything {
            self.site_loaded.store(true, Ordering::Release);
        }
        Ok(report)
    }

    /// The embed hosts this sync renders bodies with: those of the
    /// `site.toml` it is about to read (or the defaults if the file is
    /// gone), else the current ones. Stored bodies keep only the iframes
    /// their hosts allowed, so when the hosts differ from the ones they were
    /// rendered with (a fingerprint in `meta`), every body is rendered again.
    async fn embeds_for(
        &self,
        conn: &mut SqliteConnection,
        on_disk: &[SourceFile],
        removed: &[String],
        stored: &HashMap<String, StoredSource>,
    ) -> Result<Embeds, sqlx::Error> {
        let settings_unread = !self.site_loaded.load(Ordering::Acquire);
        let hosts = if removed.iter().any(|path| path == SITE_FILE) {
            Vec::new()
        } else {
            on_disk
                .iter()
                .find(|file| {
                    file.kind == SourceKind::Site
                        && (settings_unread || needs_reading(file, stored.get(&file.path)))
                })
                // A few hundred bytes, read here without leaving the task
                // and again with the other files; a broken file keeps the
                // current settings, as the sync will.
                .and_then(|file| {
                    match loader::read(file).and_then(|bytes| loader::parse(file, &bytes, &[])) {
                        Ok(Document::Site(site)) => Some(site.embed_hosts),
                        _ => None,
                    }
                })
                .unwrap_or_else(|| self.site.get().embed_hosts.clone())
        };
        let fingerprint = embed_hosts_fingerprint(&hosts);
        let rendered_with = db::meta::get(&mut *conn, db::meta::EMBED_HOSTS_RENDERED)
            .await?
            .unwrap_or(0);
        Ok(Embeds {
            rerender: rendered_with != fingerprint,
            hosts,
            fingerprint,
        })
    }

    /// The files to consider, and the stored paths whose files are gone.
    async fn find_files(
        &self,
        scope: Scope,
        stored: &HashMap<String, StoredSource>,
    ) -> Result<(Vec<SourceFile>, Vec<String>), SyncError> {
        let dir = self.content_dir.clone();
        let scan_error = |source| SyncError::Scan {
            path: self.content_dir.display().to_string(),
            source,
        };
        let candidates: Vec<String> = match scope {
            Scope::Everything => {
                let files = tokio::task::spawn_blocking(move || loader::scan(&dir))
                    .await?
                    .map_err(scan_error)?;
                let present: HashSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
                let removed = stored
                    .keys()
                    .filter(|path| !present.contains(path.as_str()))
                    .cloned()
                    .collect();
                return Ok((files, removed));
            }
            Scope::Paths(paths) => expand_paths(&paths, stored),
        };
        let (files, removed) = tokio::task::spawn_blocking(move || {
            let mut files = Vec::new();
            let mut removed = Vec::new();
            for path in candidates {
                match loader::stat(&dir, &path)? {
                    Some(file) => files.push(file),
                    None => removed.push(path),
                }
            }
            Ok::<_, std::io::Error>((files, removed))
        })
        .await?
        .map_err(scan_error)?;
        let removed = removed
            .into_iter()
            .filter(|path| stored.contains_key(path))
            .collect();
        Ok((files, removed))
    }
}

/// The embed hosts a sync renders with (see `Syncer::embeds_for`).
struct Embeds {
    hosts: Vec<String>,
    fingerprint: i64,
    /// The stored bodies were rendered with other hosts.
    rerender: bool,
}

/// Identifies a set of embed hosts in `meta`; 0, what a database without
/// the key reads as, is the empty set that bodies were always rendered with.
fn embed_hosts_fingerprint(hosts: &[String]) -> i64 {
    if hosts.is_empty() {
        return 0;
    }
    let mut sorted = hosts.to_vec();
    sorted.sort();
    let hash = xxhash_rust::xxh3::xxh3_64(sorted.join("\n").as_bytes());
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Turns the paths a watcher reported into the content files they may
/// concern: the file itself, a bundle's `index.md` when a folder changed,
/// every stored file under a folder that moved away, and every file with an
/// error (a slug freed elsewhere may have fixed it).
fn expand_paths(paths: &[String], stored: &HashMap<String, StoredSource>) -> Vec<String> {
    let mut candidates = BTreeSet::new();
    for path in paths {
        let path = path.trim_matches('/');
        if loader::classify(path).is_some() {
            candidates.insert(path.to_string());
        }
        let bundle_index = format!("{path}/index.md");
        if loader::classify(&bundle_index).is_some() {
            candidates.insert(bundle_index);
        }
        let folder = format!("{path}/");
        for stored_path in stored
            .keys()
            .filter(|stored_path| stored_path.starts_with(&folder))
        {
            candidates.insert(stored_path.clone());
        }
    }
    for (path, source) in stored {
        if source.error_reason.is_some() {
            candidates.insert(path.clone());
        }
    }
    candidates.into_iter().collect()
}

/// A file is read again when it is new, its mtime or size moved, or it had
/// an error last time.
fn needs_reading(file: &SourceFile, stored: Option<&StoredSource>) -> bool {
    match stored {
        None => true,
        Some(source) => {
            source.error_reason.is_some()
                || source.mtime_ns != file.mtime_ns
                || source.size != file.size
        }
    }
}

/// How many files are parsed together. Batches are parsed in parallel in
/// the background while the sync stores the one before, so storing and
/// parsing overlap, and only about two batches are in memory at a time
/// (loading 10,000 reviews at once held 300 MB).
const READ_BATCH: usize = 128;

/// Reads, hashes and parses files in parallel, handing them over in path
/// order. The task ends early if the receiver goes away.
fn read_all(
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

fn read_one(
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

/// Stores a review or page; `Err` when its slug belongs to another file.
async fn store(
    conn: &mut SqliteConnection,
    file: &SourceFile,
    document: &Document,
) -> Result<Result<bool, ContentError>, sqlx::Error> {
    let modified_at = file.mtime_ns / 1_000_000_000;
    // Written first and checked after: a taken slug fails the write (which
    // then leaves nothing behind), and only then do we look up who has it.
    // Asking first cost a round trip to SQLite for every file of a sync.
    let (slug, written) = match document {
        Document::Review(review) => (
            &review.slug,
            db::reviews::upsert(conn, &file.path, review, modified_at).await,
        ),
        Document::Page(page) => (
            &page.slug,
            db::pages::upsert(conn, &file.path, page, modified_at).await,
        ),
        Document::Site(_) => return Ok(Ok(false)),
    };
    match written {
        Ok(()) => Ok(Ok(true)),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            let holder = match document {
                Document::Review(_) => db::reviews::slug_holder(conn, slug).await?,
                _ => db::pages::slug_holder(conn, slug).await?,
            };
            Ok(Err(match holder.filter(|holder| holder != &file.path) {
                Some(holder) => ContentError::slug_taken(&file.path, slug, &holder),
                None => ContentError::new(
                    &file.path,
                    format!("the slug `{slug}` is already used by another file"),
                )
                .in_field("slug"),
            }))
        }
        Err(error) => Err(error),
    }
}

/// Stores again the documents whose slug was taken, for as long as each
/// round stores one (and so may have freed a slug for another).
async fn retry_slugs(
    conn: &mut SqliteConnection,
    mut waiting: Vec<(SourceFile, String, Document, ContentError)>,
) -> Result<Vec<(SourceFile, String, Result<bool, ContentError>)>, sqlx::Error> {
    let mut done = Vec::new();
    loop {
        let before = waiting.len();
        let mut still_waiting = Vec::new();
        for (file, hash, document, _) in waiting {
            match store(conn, &file, &document).await? {
                Ok(changed) => done.push((file, hash, Ok(changed))),
                Err(error) => still_waiting.push((file, hash, document, error)),
            }
        }
        waiting = still_waiting;
        if waiting.len() == before {
            break;
        }
    }
    done.extend(
        waiting
            .into_iter()
            .map(|(file, hash, _, error)| (file, hash, Err(error))),
    );
    Ok(done)
}

/// Counts what became of one file and reports an error the first time it
/// is seen, so that it is logged once rather than on every sync; returns
/// what to record for the file (its fingerprint, and its error if any).
fn conclude(
    report: &mut SyncReport,
    file: &SourceFile,
    hash: &str,
    result: Result<bool, ContentError>,
    previous_error: Option<ContentError>,
) -> StoredSource {
    let error = match result {
        Ok(changed) => {
            report.documents_changed += usize::from(changed);
            report.layout_changed |= changed && is_page(&file.path);
            if previous_error.is_some() {
                tracing::info!(path = %file.path, "content file fixed");
            }
            None
        }
        Err(error) => {
            if previous_error.as_ref() != Some(&error) {
                tracing::warn!("content error: {error}");
                report.new_errors.push(error.clone());
            }
            Some(error)
        }
    };
    StoredSource::read(&file.path, hash, file.mtime_ns, file.size, error.as_ref())
}

/// Standalone pages appear in every page's navigation.
fn is_page(path: &str) -> bool {
    path.starts_with(loader::PAGES_DIR) && path[loader::PAGES_DIR.len()..].starts_with('/')
}

/// Forgets a file that is gone; returns how many documents it took along.
async fn remove(conn: &mut SqliteConnection, path: &str) -> Result<usize, sqlx::Error> {
    let review = db::reviews::delete_by_source(conn, path).await?;
    let page = db::pages::delete_by_source(conn, path).await?;
    db::sources::delete(conn, path).await?;
    if review || page {
        tracing::info!(path, "content file removed: unpublished");
    }
    Ok(usize::from(review) + usize::from(page))
}
