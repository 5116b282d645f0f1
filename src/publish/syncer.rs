//! Bringing the database in line with the files in `content/`: the one
//! place that puts the planner (`content::plan`: what changed, read and
//! parsed in parallel) and the store (`db::sync`: one transaction) together.
//!
//! A sync reads only what changed (by mtime and size, then by hash), parses
//! in parallel while the store writes what was parsed before, and commits
//! once. Syncs run one at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use sqlx::SqlitePool;
use tokio::sync::Mutex;

use super::health::SyncHealth;
use super::imaging::Imaging;
use super::indexing::{Feeder, IndexingError};
use crate::clock::Clock;
use crate::content::error::ContentError;
use crate::content::loader::{self, Document, SourceFile, SourceKind};
use crate::content::plan::{self, Found, Known, Outcome, Reread, Scope};
use crate::content::site::{SITE_FILE, Site, SiteCell};
use crate::db;
use crate::db::changes::{Changes, SurrogateKey};
use crate::db::sync::{Finish, Indexing, SyncTransaction};

/// What runs with the changes of each sync (see `Syncer::changed`).
pub(crate) type OnChange = Arc<dyn Fn(&Changes) + Send + Sync>;

/// A sync of at most this many files says precisely what it changed
/// (a query per review written); a larger one says everything did.
const TRACKED_FILES: usize = 64;

/// Why a sync could not run. Errors in content files are not among them:
/// those are data for the editor (`SyncReport::new_errors`). A failed sync
/// changes nothing that is served, and is retried.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The content folder could not be listed (missing, or no permission).
    #[error("cannot read the content directory {path}: {source}")]
    Scan {
        /// The content folder, as given on the command line.
        path: String,
        /// Why listing it failed.
        source: std::io::Error,
    },
    /// The database refused the sync's reads or writes (a full disk, say).
    #[error("database error during sync: {0}")]
    Db(#[from] sqlx::Error),
    /// A task that reads files off the async threads panicked or was
    /// cancelled; nothing of the sync is committed.
    #[error("the sync task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The search index could not take what the queue held
    /// (`Syncer::index_pending`); it stays queued.
    #[error(transparent)]
    Search(#[from] IndexingError),
}

/// What one sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Files whose bytes were read (new, or changed by mtime or size).
    pub(crate) files_read: usize,
    /// Reviews or pages inserted, updated or removed.
    pub documents_changed: usize,
    /// The site settings in use changed: `site.toml` was edited or removed.
    pub site_changed: bool,
    /// Errors that appeared or changed in this sync (already logged).
    pub new_errors: Vec<ContentError>,
    /// The search index was left to be fed in the background (see
    /// `Indexing::Deferred`): `Syncer::index_pending` does it.
    pub search_pending: bool,
    /// What pages show that changed: the page cache drops those, and a
    /// purge hook hears of them (`db::changes`).
    pub changes: Changes,
}

impl SyncReport {
    /// Whether anything a reader can see may have changed.
    pub fn changed(&self) -> bool {
        self.documents_changed > 0 || self.site_changed
    }
}

/// The one way the database is brought in line with `content/`: start-up,
/// the watcher and the tests all sync through it, so syncs never overlap
/// and a failure is recorded in one place (`health`).
pub struct Syncer {
    content_dir: PathBuf,
    db: SqlitePool,
    site: SiteCell,
    clock: Clock,
    /// Feeds the search index from the queue after each sync commits.
    search: Arc<Feeder>,
    /// Learns the posters' facts after each sync commits.
    imaging: Arc<Imaging>,
    /// Runs with what readers see that changed (the page cache drops those
    /// pages): right after a sync commits, and again once the index has
    /// its changes.
    changed: OnChange,
    /// Syncs run one at a time: the watcher and start-up never interleave.
    running: Mutex<()>,
    /// Whether `site` holds the settings from `site.toml` yet. A restart
    /// on an up-to-date database skips unchanged files, but the settings
    /// live only in memory, so the first full sync always reads the file.
    site_loaded: AtomicBool,
    /// Whether the last sync failed, and why.
    health: SyncHealth,
    /// The content folders' times after the last sync (`folder_times`).
    folders: std::sync::Mutex<Option<BTreeMap<String, SystemTime>>>,
}

/// How a sync renders bodies (see `Syncer::rendering_for`).
struct Rendering {
    embed_hosts: Vec<String>,
    /// The rendering fingerprint of this renderer with these hosts.
    fingerprint: i64,
    /// The stored bodies were rendered otherwise (another renderer version,
    /// other hosts, or unknown): every body is rendered again.
    rerender: bool,
}

impl Syncer {
    pub(crate) fn new(
        content_dir: PathBuf,
        db: SqlitePool,
        site: SiteCell,
        clock: Clock,
        search: Arc<Feeder>,
        imaging: Arc<Imaging>,
        changed: OnChange,
    ) -> Self {
        Self {
            content_dir,
            db,
            site,
            clock,
            search,
            imaging,
            changed,
            running: Mutex::new(()),
            site_loaded: AtomicBool::new(false),
            health: SyncHealth::default(),
            folders: std::sync::Mutex::new(None),
        }
    }

    /// Adds to `changes` what a folder whose time moved since the last sync
    /// dates (`loader::folder_times`): a file added, removed or renamed in
    /// place moves its folder's time, which pages carry in Last-Modified,
    /// even when what readers see did not change (a new draft).
    fn folders_moved(&self, changes: &mut Changes) {
        let now = loader::folder_times(&self.content_dir);
        let mut last = self
            .folders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(before) = last.as_ref() {
            let names: BTreeSet<&String> = before.keys().chain(now.keys()).collect();
            for name in names
                .into_iter()
                .filter(|name| before.get(*name) != now.get(*name))
            {
                changes.add(if loader::is_layout_folder(name) {
                    SurrogateKey::Site
                } else {
                    SurrogateKey::Catalog
                });
            }
        }
        *last = Some(now);
    }

    /// The folder this syncer reads, for the watcher to watch.
    pub(crate) fn content_dir(&self) -> &Path {
        &self.content_dir
    }

    /// Whether syncs are failing, for the status page.
    pub fn health(&self) -> &SyncHealth {
        &self.health
    }

    /// Waits for a sync in progress to commit; no other starts while the
    /// returned guard lives. For shutdown, so that no sync is cut off
    /// half-way (a cut transaction would roll back, and the editor's change
    /// would wait for the next start).
    pub async fn pause(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.running.lock().await
    }

    /// Syncs `scope` and feeds the search index what it wrote before
    /// returning, as every sync after the first does (see `sync_with`).
    pub async fn sync(&self, scope: Scope) -> Result<SyncReport, SyncError> {
        self.sync_with(scope, Indexing::Inline).await
    }

    /// Feeds the search index the reviews that a deferred sync left queued;
    /// returns how many there were.
    pub async fn index_pending(&self) -> Result<i64, SyncError> {
        let _one_at_a_time = self.running.lock().await;
        let fed = self.search.feed(&self.db).await?;
        db::checkpoint_soon(&self.db);
        Ok(fed as i64)
    }

    /// Feeds the search index what the sync just committed; says whether
    /// it took anything. A failure is logged and loses nothing: the reviews
    /// stay queued (the search page says its results may be incomplete) and
    /// the next sync feeds them.
    async fn feed_search(&self) -> bool {
        match self.search.feed(&self.db).await {
            Ok(fed) => fed > 0,
            Err(error) => {
                tracing::error!(%error, "the search index could not take the sync's changes; the next sync retries");
                false
            }
        }
    }

    /// Brings the database in line with the files in `scope`. A failure
    /// (the content folder missing, the disk full) changes nothing that is
    /// served, and is recorded in `health` until a sync succeeds.
    pub async fn sync_with(
        &self,
        scope: Scope,
        indexing: Indexing,
    ) -> Result<SyncReport, SyncError> {
        let _one_at_a_time = self.running.lock().await;
        let started = std::time::Instant::now();
        let touched = scope.review_names();
        let result = self.sync_once(scope, indexing).await;
        self.health.count_sync(result.is_ok(), started.elapsed());
        match &result {
            Ok(_) => self.health.succeeded(),
            Err(error) => self.health.failed(error.to_string(), self.clock.now()),
        }
        let (report, feeding) = result?;
        if !report.changes.is_empty() {
            (self.changed)(&report.changes);
        }
        if !report.search_pending && self.feed_search().await {
            (self.changed)(&Changes::of([SurrogateKey::Search]));
        }
        drop(feeding);
        if indexing == Indexing::Inline && self.learn_images(touched.as_deref()).await {
            (self.changed)(&Changes::everything());
        }
        Ok(report)
    }

    /// Learns the facts of posters that are new or changed, in the
    /// syncer's turn, after the sync that a start makes (which publishes
    /// the text first and leaves this to the background).
    pub(crate) async fn refresh_images(&self) {
        let _one_at_a_time = self.running.lock().await;
        if self.learn_images(None).await {
            (self.changed)(&Changes::everything());
        }
    }

    /// Brings the images' facts in step (`Imaging::refresh`), for the
    /// reviews `only` names or all; says whether pages change. A failure is
    /// logged: pages show what was known, and the next sync tries again.
    async fn learn_images(&self, only: Option<&[String]>) -> bool {
        let refreshed = async {
            // Last-Modified follows the files (`web::modified`); the pages'
            // ETags change with the posters' facts.
            let changed = self.imaging.refresh(&self.db, only).await?;
            Ok::<bool, sqlx::Error>(changed)
        };
        match refreshed.await {
            Ok(changed) => changed,
            Err(error) => {
                tracing::error!(%error, "cannot store what the posters are; the next sync retries");
                false
            }
        }
    }

    /// One sync, up to its commit; returns its report and the hold on the
    /// search index (see `SearchIndex::hold`), taken before the commit.
    async fn sync_once(
        &self,
        scope: Scope,
        indexing: Indexing,
    ) -> Result<(SyncReport, tokio::sync::RwLockWriteGuard<'_, ()>), SyncError> {
        let mut tx = SyncTransaction::begin(&self.db, &scope).await?;
        let loads_everything = matches!(scope, Scope::Everything);
        let settings_unread = !self.site_loaded.load(Ordering::Acquire);
        let must_parse = |file: &SourceFile| settings_unread && file.kind == SourceKind::Site;
        let found = self.find(&scope, tx.known()).await?;
        let rendering = self.rendering_for(&mut tx, &found).await?;
        let found = if rendering.rerender && !loads_everything {
            tx.know_everything().await?;
            self.find(&Scope::Everything, tx.known()).await?
        } else {
            found
        };
        let known = tx.known();
        let to_read: Vec<SourceFile> = found
            .files
            .into_iter()
            .filter(|file| {
                rendering.rerender
                    || plan::needs_reading(file, known.get(&file.path))
                    || must_parse(file)
            })
            .collect();
        let known_hashes: HashMap<String, String> = to_read
            .iter()
            .filter(|file| !must_parse(file) && !rendering.rerender)
            .filter_map(|file| {
                let known = known.get(&file.path)?;
                known
                    .error
                    .is_none()
                    .then(|| (file.path.clone(), known.hash.clone()))
            })
            .collect();
        let files_read = to_read.len();
        // A few files (an editor's save) are tracked write by write; a
        // large sync (a start, a `git pull` of many) changes everything.
        if files_read + found.removed.len() <= TRACKED_FILES {
            tx.track_changes();
        }
        let (mut outcomes, reading) =
            plan::read_all(to_read, known_hashes, rendering.embed_hosts.clone());

        let mut new_site = None;
        for path in &found.removed {
            tx.remove(path).await?;
            if path == SITE_FILE {
                new_site = Some(Site::default());
            }
        }
        for error in found.unreadable {
            tx.keep_unreadable(&error);
        }
        let mut progress = Progress::new(files_read, PROGRESS_EVERY);
        while let Some((file, outcome)) = outcomes.recv().await {
            if let Some(site) = hand_over(&mut tx, file, outcome).await? {
                new_site = Some(site);
            }
            if let Some(done) = progress.step() {
                tracing::info!("syncing: {done} of {files_read} files read");
            }
        }
        // A reader that stopped early (it panicked) must not commit half a sync.
        reading.await?;
        self.settle_slugs(&mut tx, &rendering.embed_hosts).await?;
        // Searches wait from the commit until the index has the changes too.
        let feeding = self.search.index().hold().await;
        let applied = tx
            .finish(Finish {
                indexing,
                bodies_rendered: rendering.rerender.then_some(rendering.fingerprint),
            })
            .await?;
        db::checkpoint_soon(&self.db);
        let site_changed = match new_site {
            Some(site) => self.site.set(site),
            None => false,
        };
        if loads_everything {
            self.site_loaded.store(true, Ordering::Release);
        }
        let mut changes = applied.changes;
        if site_changed {
            changes.set_everything();
        }
        self.folders_moved(&mut changes);
        let report = SyncReport {
            changes,
            files_read,
            documents_changed: applied.documents_changed,
            site_changed,
            new_errors: applied.new_errors,
            search_pending: applied.search_pending,
        };
        Ok((report, feeding))
    }

    /// What `scope` concerns on disk, looked for off the async threads.
    async fn find(
        &self,
        scope: &Scope,
        known: &Arc<HashMap<String, Known>>,
    ) -> Result<Found, SyncError> {
        let dir = self.content_dir.clone();
        let scope = scope.clone();
        let known = Arc::clone(known);
        tokio::task::spawn_blocking(move || plan::find(&dir, &scope, &known))
            .await?
            .map_err(|source| SyncError::Scan {
                path: self.content_dir.display().to_string(),
                source,
            })
    }

    /// Once every file is handed over: the files that lost their slug are
    /// read again, and whoever waits for a slug tries again, for as long as
    /// a round stores one (it may have freed a slug for another).
    async fn settle_slugs(
        &self,
        tx: &mut SyncTransaction,
        embed_hosts: &[String],
    ) -> Result<(), SyncError> {
        loop {
            for path in tx.take_evicted() {
                tx.know(std::slice::from_ref(&path)).await?;
                let dir = self.content_dir.clone();
                let hosts = embed_hosts.to_vec();
                let lookup = path.clone();
                let reread =
                    tokio::task::spawn_blocking(move || plan::reread(&dir, &lookup, &hosts))
                        .await?;
                match reread {
                    Reread::Gone => tx.remove(&path).await?,
                    Reread::Unreadable(error) => tx.keep_unreadable(&error),
                    Reread::Read(file, outcome) => {
                        hand_over(tx, file, outcome).await?;
                    }
                }
            }
            if !tx.retry_waiting().await? {
                return Ok(());
            }
        }
    }

    /// How this sync renders bodies: with this renderer, and the embed
    /// hosts of the `site.toml` it is about to read (or the defaults if the
    /// file is gone), else the current ones. Stored bodies are what the
    /// renderer made of them with the hosts of their day (which iframes
    /// they kept), so when the rendering fingerprint differs from the one
    /// the store keeps, or the store keeps none, every body is rendered
    /// again.
    async fn rendering_for(
        &self,
        tx: &mut SyncTransaction,
        found: &Found,
    ) -> Result<Rendering, SyncError> {
        let settings_unread = !self.site_loaded.load(Ordering::Acquire);
        let embed_hosts = if found.removed.iter().any(|path| path == SITE_FILE) {
            Vec::new()
        } else {
            let known = tx.known();
            found
                .files
                .iter()
                .find(|file| {
                    file.kind == SourceKind::Site
                        && (settings_unread || plan::needs_reading(file, known.get(&file.path)))
                })
                // A few hundred bytes, read here without leaving the task
                // and again with the other files; a broken file keeps the
                // current settings, as the sync will.
                .and_then(|file| loader::read_settings(file).map(|site| site.embed_hosts))
                .unwrap_or_else(|| self.site.get().embed_hosts.clone())
        };
        let fingerprint = plan::rendering_fingerprint(&embed_hosts);
        let rendered_with = tx.bodies_rendered_with().await?;
        Ok(Rendering {
            rerender: rendered_with != Some(fingerprint),
            embed_hosts,
            fingerprint,
        })
    }
}

/// Hands what reading one file produced to the store; returns the settings
/// when the file was a valid `site.toml`, which the syncer applies after
/// the commit.
async fn hand_over(
    tx: &mut SyncTransaction,
    file: SourceFile,
    outcome: Outcome,
) -> Result<Option<Site>, sqlx::Error> {
    match outcome {
        Outcome::Unchanged => tx.unchanged(&file),
        Outcome::Unreadable(error) => tx.failed(&file, "", error),
        Outcome::Parsed { hash, document } => match document {
            Ok(Document::Site(site)) => {
                tx.read_settings(&file, &hash);
                return Ok(Some(site));
            }
            Ok(document) => tx.store(file, hash, document).await?,
            Err(error) => tx.failed(&file, &hash, error),
        },
    }
    Ok(None)
}

/// How often a long sync (the first start on a large archive, such as a
/// fresh Letterboxd import) says how far it is; a sync shorter than this
/// says nothing.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Counts the files a sync has stored and says when a progress line is due.
struct Progress {
    done: usize,
    total: usize,
    every: std::time::Duration,
    last: std::time::Instant,
}

impl Progress {
    fn new(total: usize, every: std::time::Duration) -> Self {
        Self {
            done: 0,
            total,
            every,
            last: std::time::Instant::now(),
        }
    }

    /// One more file stored; the count when a line is due (never for the
    /// last file: the sync's own summary follows).
    fn step(&mut self) -> Option<usize> {
        self.done += 1;
        if self.done >= self.total || self.last.elapsed() < self.every {
            return None;
        }
        self.last = std::time::Instant::now();
        Some(self.done)
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn a_long_sync_reports_its_progress_and_a_short_one_does_not() {
        let mut due = Progress::new(3, std::time::Duration::ZERO);
        assert_eq!(
            [due.step(), due.step(), due.step()],
            [Some(1), Some(2), None]
        );
        let mut quiet = Progress::new(3, std::time::Duration::from_secs(3600));
        assert_eq!(
            [quiet.step(), quiet.step(), quiet.step()],
            [None, None, None]
        );
    }
}
