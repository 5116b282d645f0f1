//! Publishing: keeping the database in step with `content/` while the site
//! runs. The service layer between the pipeline's parts: it starts the
//! first sync, then the watcher (saves and folder changes), the periodic
//! rescan and the scheduler (reviews coming due), and tells whoever serves
//! pages when what they show may have changed.
//!
//! Dependencies run one way: `publish` uses `content` (to plan and read)
//! and `db` (to store); neither knows it exists.

pub mod health;
pub mod imaging;
pub mod indexing;
pub(crate) mod purge;
pub mod schedule;
pub mod syncer;
pub(crate) mod watcher;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::Notify;

use crate::announce::Announcement;
use crate::clock::Clock;
use crate::content::plan::Scope;
use crate::content::site::SiteCell;
use crate::db::changes::{Changes, SurrogateKey};
use crate::db::sync::Indexing;
use crate::search::SearchIndex;
use imaging::Imaging;
use indexing::Feeder;
use syncer::{SyncError, SyncReport, Syncer};
use watcher::{WatchHandle, WatchOptions};

/// How publishing follows the content folder.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The folder to sync from and watch.
    pub(crate) content_dir: PathBuf,
    /// The site's static folder, where posters may be.
    pub(crate) static_dir: PathBuf,
    /// Which ways of noticing changes run.
    pub(crate) watch: WatchOptions,
}

/// Publishing under way: the syncer, what its first sync did, and the
/// background tasks that keep the site current (stopped when this is
/// dropped).
pub(crate) struct Publishing {
    syncer: Arc<Syncer>,
    /// The search index the syncer feeds, for the search page.
    search: Arc<SearchIndex>,
    /// The posters' facts and derivatives, for the image routes.
    imaging: Arc<Imaging>,
    /// The first sync's report, for start-up messages and tests.
    initial: SyncReport,
    background: Background,
}

impl Publishing {
    /// The background tasks, to keep alive as long as the site is served.
    pub(crate) fn into_parts(self) -> (Arc<Syncer>, SyncReport, Background) {
        (self.syncer, self.initial, self.background)
    }

    /// The search index, for the search page.
    pub(crate) fn search(&self) -> Arc<SearchIndex> {
        self.search.clone()
    }

    /// The posters' facts and derivatives, for the image routes.
    pub(crate) fn imaging(&self) -> Arc<Imaging> {
        self.imaging.clone()
    }
}

/// The watcher, the scheduler and the image worker; dropping this stops
/// them.
pub(crate) struct Background {
    _watch: Option<WatchHandle>,
    scheduler: tokio::task::JoinHandle<()>,
    images: tokio::task::JoinHandle<()>,
}

impl Drop for Background {
    fn drop(&mut self) {
        self.scheduler.abort();
        self.images.abort();
    }
}

/// A first sync that leaves this many reviews queued for search serves
/// them before the index takes them (see `Indexing::Deferred`). Below it,
/// indexing is quick enough not to be worth a moment of incomplete search.
const INDEX_AFTER_SERVING_FROM: i64 = 1_000;

/// Opens the search index beside the database at `db_path` (see
/// `indexing`), syncs the whole content folder once, then keeps following
/// it. `changed` runs with what readers see that changed (a sync's
/// changes, everything when a review comes due, the search index
/// completed): the page cache drops those pages there.
///
/// A first sync that cannot write (the disk full, say) does not stop the
/// site: what the database holds is served, the syncer's health says why
/// nothing new is, and the watcher retries until it catches up.
pub(crate) async fn start(
    db: SqlitePool,
    db_path: &Path,
    site: SiteCell,
    clock: Clock,
    options: Options,
    changed: impl Fn(&Changes) + Clone + Send + Sync + 'static,
) -> Result<Publishing, PublishError> {
    let search = Arc::new(Feeder::open(&db, db_path).await);
    let imaging = Arc::new(Imaging::new(
        options.content_dir.clone(),
        options.static_dir,
        crate::images::cache_dir(db_path),
    ));
    let syncer = Arc::new(Syncer::new(
        options.content_dir,
        db.clone(),
        site,
        clock.clone(),
        search.clone(),
        imaging.clone(),
        Arc::new(changed.clone()),
    ));
    // Time alone (a scheduled review coming due, midnight for release
    // dates) and the posters' facts change pages nobody saved: all of them.
    let everything = {
        let changed = changed.clone();
        move || changed(&Changes::everything())
    };
    let content_changed = Arc::new(Notify::new());
    // Watch before the first sync: a file saved while it runs is then synced
    // right after it, instead of waiting for its next save.
    let watch = if options.watch.events || options.watch.rescan.is_some() {
        // The syncer has told the page cache; the scheduler learns of new
        // scheduled reviews here.
        let content_changed = content_changed.clone();
        Some(watcher::watch(
            syncer.clone(),
            options.watch,
            move |report| {
                if report.changed() {
                    content_changed.notify_one();
                }
            },
        )?)
    } else {
        None
    };
    let first = Indexing::Deferred {
        at_least: INDEX_AFTER_SERVING_FROM,
    };
    let initial = match syncer.sync_with(Scope::Everything, first).await {
        Ok(report) => report,
        Err(SyncError::Db(_)) => SyncReport::default(),
        Err(error) => return Err(error.into()),
    };
    if initial.search_pending {
        tokio::spawn(index_for_search(syncer.clone(), changed.clone()));
    }
    // The posters' facts (`imaging`): before serving, as after every later
    // sync, unless the first sync was large enough to serve before its
    // search index is built; then they follow in the background too, and
    // pages show those posters as given until they are known.
    if initial.search_pending {
        let syncer = syncer.clone();
        tokio::spawn(async move { syncer.refresh_images().await });
    } else {
        syncer.refresh_images().await;
    }
    let images = imaging.start_worker(db.clone(), everything.clone());
    let scheduler = tokio::spawn(schedule::run(db, clock, content_changed, everything));
    Ok(Publishing {
        syncer,
        search: search.index().clone(),
        imaging,
        initial,
        background: Background {
            _watch: watch,
            scheduler,
            images,
        },
    })
}

/// Why publishing could not start.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The first sync failed for a reason other than the database (the
    /// content folder unreadable, a reading task that panicked); a database
    /// that cannot write does not stop the start.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The content folder could not be watched (the operating system's
    /// limit on watches reached, say); `--no-watch` starts without file
    /// events.
    #[error("cannot watch the content directory: {0}")]
    Watch(#[from] notify::Error),
}

/// How long to wait between two tries of something that failed: `first`,
/// then twice as long each time, up to `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) const fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            next: first,
        }
    }

    /// The wait before the next try; the one after will be longer.
    pub(crate) fn next(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// After a success: the next failure waits `first` again.
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Indexes what the first sync left for search, while the site is served.
/// A failure is logged and loses nothing: the reviews stay queued, and the
/// next sync indexes them.
async fn index_for_search(syncer: Arc<Syncer>, changed: impl Fn(&Changes)) {
    let started = std::time::Instant::now();
    match syncer.index_pending().await {
        Ok(indexed) => {
            changed(&Changes::of([SurrogateKey::Search]));
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::info!(reviews = indexed, elapsed_ms, "search index built");
            Announcement::SearchIndexed {
                reviews: indexed,
                elapsed_ms,
            }
            .print();
        }
        Err(error) => {
            tracing::error!(%error, "building the search index failed; the next sync retries");
        }
    }
}
