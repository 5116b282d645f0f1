//! Bringing the database in line with the files in `content/`.
//!
//! A sync reads only what changed (by mtime and size, then by hash), parses
//! in parallel, and writes everything in one SQLite transaction, so a reader
//! never sees half a review or a listing that disagrees with a page. A file
//! whose new version is broken keeps its last good version live; its error
//! is stored (and logged once) for the editor to see.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, mpsc};

use super::error::ContentError;
use super::health::SyncHealth;
use super::loader::{self, Document, SourceFile, SourceKind};
use super::site::{SITE_FILE, Site, SiteCell};
use super::slugs::{self, Claim, SlugSpace};
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
    /// Whether the last sync failed, and why.
    health: SyncHealth,
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
            health: SyncHealth::default(),
        }
    }

    /// Whether syncs are failing, for the status page.
    pub fn health(&self) -> &SyncHealth {
        &self.health
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

    /// Brings the database in line with the files in `scope`. A failure
    /// (the content folder missing, the disk full) changes nothing that is
    /// served, and is recorded in `health` until a sync succeeds.
    pub async fn sync_with(
        &self,
        scope: Scope,
        indexing: Indexing,
    ) -> Result<SyncReport, SyncError> {
        let result = self.sync_once(scope, indexing).await;
        match &result {
            Ok(_) => self.health.succeeded(),
            Err(error) => self.health.failed(error.to_string(), self.clock.now()),
        }
        result
    }

    async fn sync_once(&self, scope: Scope, indexing: Indexing) -> Result<SyncReport, SyncError> {
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
        let found = self.find_files(scope, &stored).await?;
        let embeds = self
            .embeds_for(&mut tx, &found.files, &found.removed, &stored)
            .await?;
        let found = if embeds.rerender && !loads_everything {
            self.find_files(Scope::Everything, &stored).await?
        } else {
            found
        };
        let to_read: Vec<SourceFile> = found
            .files
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
        let (mut outcomes, reading) = read_all(to_read, known_hashes, embeds.hosts.clone());

        let mut pass = Pass::new(&stored, files_read);
        let mut new_site = None;
        for path in &found.removed {
            pass.removed(&mut tx, path).await?;
            if path == SITE_FILE {
                new_site = Some(Site::default());
            }
        }
        for error in found.unreadable {
            pass.keep_unreadable(error);
        }
        while let Some((file, outcome)) = outcomes.recv().await {
            match outcome {
                Outcome::Unchanged => pass.unchanged(&file),
                Outcome::Unreadable(error) => pass.conclude(&file, "", Err(error)),
                Outcome::Parsed { hash, document } => match document {
                    Ok(Document::Site(site)) => {
                        new_site = Some(site);
                        pass.conclude(&file, &hash, Ok(false));
                    }
                    Ok(document) => pass.store(&mut tx, file, hash, document).await?,
                    Err(error) => pass.conclude(&file, &hash, Err(error)),
                },
            }
        }
        // A reader that stopped early (it panicked) must not commit half a sync.
        reading.await?;
        pass.settle_slugs(&mut tx, &self.content_dir, &embeds.hosts)
            .await?;
        let Pass { report, read, .. } = pass;
        let mut report = report;
        let read: Vec<StoredSource> = read.into_values().collect();
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
                .and_then(|file| loader::read_settings(file).map(|site| site.embed_hosts))
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

    /// The files to consider, the stored paths whose files are gone, and
    /// what could not be read (whose stored documents are kept as they are).
    async fn find_files(
        &self,
        scope: Scope,
        stored: &HashMap<String, StoredSource>,
    ) -> Result<Found, SyncError> {
        let dir = self.content_dir.clone();
        let scan_error = |source| SyncError::Scan {
            path: self.content_dir.display().to_string(),
            source,
        };
        let (everything, folders, candidates) = match scope {
            Scope::Everything => (true, Vec::new(), Vec::new()),
            Scope::Paths(paths) => {
                let (folders, candidates) = expand_paths(&paths, stored);
                (folders.iter().any(String::is_empty), folders, candidates)
            }
        };
        let listing = folders.clone();
        let (scan, missing) = tokio::task::spawn_blocking(move || {
            if everything {
                return loader::scan(&dir).map(|scan| (scan, Vec::new()));
            }
            let mut scan = loader::Scan::default();
            for folder in &listing {
                let found = loader::scan_folder(&dir, folder);
                scan.files.extend(found.files);
                scan.unreadable.extend(found.unreadable);
            }
            let mut missing = Vec::new();
            for path in candidates {
                if scan.files.iter().any(|file| file.path == path) {
                    continue;
                }
                match loader::stat(&dir, &path) {
                    Ok(Some(file)) => scan.files.push(file),
                    Ok(None) => missing.push(path),
                    Err(reason) => scan.unreadable.push(ContentError::new(path, reason)),
                }
            }
            Ok((scan, missing))
        })
        .await?
        .map_err(scan_error)?;
        // Stored paths whose files this sync looked for and did not find:
        // the candidates it stat'ed, and whatever sat in the folders it
        // listed (all of them, for a whole scan).
        let listed = |path: &str| {
            everything
                || folders.iter().any(|folder| {
                    path.starts_with(folder.as_str()) && path[folder.len()..].starts_with('/')
                })
        };
        let present: HashSet<&str> = scan.files.iter().map(|file| file.path.as_str()).collect();
        let removed: BTreeSet<String> = stored
            .keys()
            .filter(|path| listed(path) && !present.contains(path.as_str()))
            .chain(missing.iter().filter(|path| stored.contains_key(*path)))
            .filter(|path| !scan.cannot_tell(path))
            .cloned()
            .collect();
        Ok(Found {
            files: scan.files,
            removed: removed.into_iter().collect(),
            unreadable: scan.unreadable,
        })
    }
}

/// What a sync found on disk.
struct Found {
    files: Vec<SourceFile>,
    /// Stored paths whose files are gone.
    removed: Vec<String>,
    /// Files and folders that are there but could not be read.
    unreadable: Vec<ContentError>,
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

/// Turns the paths a watcher reported into what to look at: the folders to
/// list whole (`reviews` or `pages` itself renamed, replaced or given back
/// its permissions: its files may be ones the database never heard of), and
/// the content files they may concern (the file itself, a bundle's
/// `index.md` when a folder changed, every stored file under a folder that
/// moved away, and every file with an error, since a slug freed elsewhere
/// may have fixed it). A folder that could not be read is listed again.
fn expand_paths(
    paths: &[String],
    stored: &HashMap<String, StoredSource>,
) -> (Vec<String>, Vec<String>) {
    let mut folders = BTreeSet::new();
    let mut candidates = BTreeSet::new();
    let errored = stored
        .iter()
        .filter(|(_, source)| source.error_reason.is_some())
        .map(|(path, _)| path);
    for path in paths.iter().chain(errored) {
        let path = path.trim_matches('/');
        if path.is_empty() || path == loader::REVIEWS_DIR || path == loader::PAGES_DIR {
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
        for stored_path in stored
            .keys()
            .filter(|stored_path| stored_path.starts_with(&folder))
        {
            candidates.insert(stored_path.clone());
        }
    }
    (
        folders.into_iter().collect(),
        candidates.into_iter().collect(),
    )
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

/// What one sync has done so far: collected as it goes, written at its end.
struct Pass<'s> {
    stored: &'s HashMap<String, StoredSource>,
    report: SyncReport,
    /// What was read from each file (its fingerprint and error), by path,
    /// written in one statement at the end: one statement rather than one
    /// per file, as each is a round trip to SQLite's thread. A later verdict
    /// on a file (it lost its slug after it was stored) replaces an earlier.
    read: BTreeMap<String, StoredSource>,
    /// Documents whose slug a better claim holds, perhaps a file that lets
    /// go of it later in this sync (a `git pull` that renames two reviews).
    waiting: Vec<Waiting>,
    /// Files that lost their slug to a better claim during this sync, to be
    /// read again and wait like the others.
    evicted: BTreeSet<String>,
}

struct Waiting {
    file: SourceFile,
    hash: String,
    document: Document,
    error: ContentError,
}

impl<'s> Pass<'s> {
    fn new(stored: &'s HashMap<String, StoredSource>, files_read: usize) -> Self {
        Self {
            stored,
            report: SyncReport {
                files_read,
                ..SyncReport::default()
            },
            read: BTreeMap::new(),
            waiting: Vec::new(),
            evicted: BTreeSet::new(),
        }
    }

    /// Forgets a file that is gone, with what was published from it.
    async fn removed(
        &mut self,
        conn: &mut SqliteConnection,
        path: &str,
    ) -> Result<(), sqlx::Error> {
        let documents = remove(conn, path).await?;
        self.report.documents_changed += documents;
        self.report.layout_changed |= documents > 0 && is_page(path);
        Ok(())
    }

    /// A file with the same bytes as last time: only its mtime and size
    /// are refreshed.
    fn unchanged(&mut self, file: &SourceFile) {
        let hash = self
            .stored
            .get(&file.path)
            .map(|source| source.hash.clone())
            .unwrap_or_default();
        let source = StoredSource::read(&file.path, &hash, file.mtime_ns, file.size, None);
        self.read.insert(file.path.clone(), source);
    }

    /// A file or folder that is there but cannot be read: what was
    /// published from it stays, and the error is shown (and logged once).
    fn keep_unreadable(&mut self, error: ContentError) {
        let previous = self.stored.get(&error.path);
        self.note_error(&error, previous.and_then(StoredSource::error));
        let source = match previous {
            Some(source) => StoredSource::read(
                &source.path,
                &source.hash,
                source.mtime_ns,
                source.size,
                Some(&error),
            ),
            None => StoredSource::read(&error.path, "", 0, 0, Some(&error)),
        };
        self.read.insert(error.path.clone(), source);
    }

    /// Stores a review or page, or sets it waiting when a better claim
    /// holds its slug.
    async fn store(
        &mut self,
        conn: &mut SqliteConnection,
        file: SourceFile,
        hash: String,
        document: Document,
    ) -> Result<(), sqlx::Error> {
        match store(conn, &file, &document).await? {
            Stored::Written { evicted } => {
                self.evicted.remove(&file.path);
                if let Some(evicted) = evicted {
                    self.report.documents_changed += 1;
                    self.report.layout_changed |= is_page(&evicted);
                    self.evicted.insert(evicted);
                }
                self.conclude(&file, &hash, Ok(true));
            }
            Stored::Lost(error) => self.waiting.push(Waiting {
                file,
                hash,
                document,
                error,
            }),
        }
        Ok(())
    }

    /// Once every file is read: the files that lost their slug are read
    /// again, and whoever waits for a slug tries again, for as long as a
    /// round stores one (it may have freed a slug for another). Evictions
    /// only ever hand a slug to a strictly better claim, so this ends.
    async fn settle_slugs(
        &mut self,
        conn: &mut SqliteConnection,
        content_dir: &Path,
        embed_hosts: &[String],
    ) -> Result<(), SyncError> {
        loop {
            for path in std::mem::take(&mut self.evicted) {
                if self.waiting.iter().any(|waiting| waiting.file.path == path) {
                    continue;
                }
                self.reload(conn, content_dir, path, embed_hosts).await?;
            }
            let mut stored_one = false;
            for waiting in std::mem::take(&mut self.waiting) {
                let before = self.waiting.len();
                self.store(conn, waiting.file, waiting.hash, waiting.document)
                    .await?;
                stored_one |= self.waiting.len() == before;
            }
            if !stored_one && self.evicted.is_empty() {
                break;
            }
        }
        for waiting in std::mem::take(&mut self.waiting) {
            self.conclude(&waiting.file, &waiting.hash, Err(waiting.error));
        }
        Ok(())
    }

    /// Reads again a file that lost its slug in this sync.
    async fn reload(
        &mut self,
        conn: &mut SqliteConnection,
        content_dir: &Path,
        path: String,
        embed_hosts: &[String],
    ) -> Result<(), SyncError> {
        let dir = content_dir.to_path_buf();
        let hosts = embed_hosts.to_vec();
        let lookup = path.clone();
        let found = tokio::task::spawn_blocking(move || {
            loader::stat(&dir, &lookup).map(|file| {
                file.map(|file| {
                    let outcome = read_one(&file, &HashMap::new(), &hosts);
                    (file, outcome)
                })
            })
        })
        .await?;
        match found {
            Ok(None) => self.removed(conn, &path).await?,
            Err(reason) => self.keep_unreadable(ContentError::new(path, reason)),
            Ok(Some((file, Outcome::Unreadable(error)))) => self.conclude(&file, "", Err(error)),
            Ok(Some((file, Outcome::Unchanged))) => self.unchanged(&file),
            Ok(Some((file, Outcome::Parsed { hash, document }))) => match document {
                Ok(document) => self.store(conn, file, hash, document).await?,
                Err(error) => self.conclude(&file, &hash, Err(error)),
            },
        }
        Ok(())
    }

    /// Counts what became of one file and records its fingerprint and
    /// error, if any.
    fn conclude(&mut self, file: &SourceFile, hash: &str, result: Result<bool, ContentError>) {
        let previous_error = self.stored.get(&file.path).and_then(StoredSource::error);
        let error = match result {
            Ok(changed) => {
                self.report.documents_changed += usize::from(changed);
                self.report.layout_changed |= changed && is_page(&file.path);
                if previous_error.is_some() {
                    tracing::info!(path = %file.path, "content file fixed");
                }
                None
            }
            Err(error) => {
                self.note_error(&error, previous_error);
                Some(error)
            }
        };
        let source = StoredSource::read(&file.path, hash, file.mtime_ns, file.size, error.as_ref());
        self.read.insert(file.path.clone(), source);
    }

    /// Reports an error the first time it is seen, so that it is logged
    /// once rather than on every sync.
    fn note_error(&mut self, error: &ContentError, previous: Option<ContentError>) {
        if previous.as_ref() != Some(error) {
            tracing::warn!("content error: {error}");
            self.report.new_errors.push(error.clone());
        }
    }
}

/// What storing a document came to.
enum Stored {
    /// Written; `evicted` is the file that held its slug with a worse claim,
    /// and was unpublished.
    Written { evicted: Option<String> },
    /// A better claim holds its slug (see `slugs`).
    Lost(ContentError),
}

/// Stores a review or page. A slug held by another file goes to whichever
/// of the two claims is better (`slugs::Claim`), whoever had it first.
async fn store(
    conn: &mut SqliteConnection,
    file: &SourceFile,
    document: &Document,
) -> Result<Stored, sqlx::Error> {
    // Written first and checked after: a taken slug fails the write (which
    // then leaves nothing behind), and only then do we look up who has it.
    // Asking first cost a round trip to SQLite for every file of a sync.
    let Some((space, slug, claim)) = document.slug_claim(&file.path) else {
        return Ok(Stored::Written { evicted: None });
    };
    match write(conn, file, document).await {
        Ok(()) => return Ok(Stored::Written { evicted: None }),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {}
        Err(error) => return Err(error),
    }
    let holder = match space {
        SlugSpace::Reviews => db::reviews::slug_claim(conn, slug).await?,
        SlugSpace::Pages => db::pages::slug_claim(conn, slug).await?,
    };
    let Some((holder_path, holder_published)) = holder.filter(|(path, _)| path != &file.path)
    else {
        // Not the slug: two release regions with one URL name.
        return Ok(Stored::Lost(
            ContentError::new(
                &file.path,
                "two release regions have the same URL name; write each region once",
            )
            .in_field("release_dates"),
        ));
    };
    let theirs = Claim {
        published: holder_published,
        path: &holder_path,
    };
    if theirs < claim {
        let line = document.slug_line();
        return Ok(Stored::Lost(slugs::taken(
            &file.path, line, slug, theirs, claim,
        )));
    }
    match space {
        SlugSpace::Reviews => db::reviews::delete_by_source(conn, &holder_path).await?,
        SlugSpace::Pages => db::pages::delete_by_source(conn, &holder_path).await?,
    };
    tracing::info!(slug, from = %holder_path, to = %file.path, "a slug changed hands");
    write(conn, file, document).await?;
    Ok(Stored::Written {
        evicted: Some(holder_path),
    })
}

/// The upsert of a review or page.
async fn write(
    conn: &mut SqliteConnection,
    file: &SourceFile,
    document: &Document,
) -> Result<(), sqlx::Error> {
    let modified_at = file.mtime_ns / 1_000_000_000;
    match document {
        Document::Review(review) => {
            db::reviews::upsert(conn, &file.path, review, modified_at).await
        }
        Document::Page(page) => db::pages::upsert(conn, &file.path, page, modified_at).await,
        Document::Site(_) => Ok(()),
    }
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
