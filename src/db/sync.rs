//! Applying a sync: everything a sync writes happens in one SQLite
//! transaction, so that a reader never sees half a review or a listing that
//! disagrees with a page, and a crash at any moment leaves the last complete
//! state. A file whose new version is broken keeps its last good version
//! live; its error is recorded (and logged once) for the editor to see.
//!
//! The publisher (`publish::Syncer`) decides what to read and hands each
//! outcome over; this module decides what to store, including which of two
//! files claiming one slug gets it (`content::slugs`), and hands back the
//! files that lost a slug, for the publisher to read again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use super::changes::{Changes, ReviewKeys, SurrogateKey};
use super::meta;
use super::sources::{self, StoredSource};
use super::{diary, films, lists, pages, reviews, search};
use crate::content::error::ContentError;
use crate::content::loader::{self, Document, SourceFile};
use crate::content::plan::{Known, Scope};
use crate::content::slugs::{self, Claim, SlugSpace};

/// When the search index takes what a sync wrote. Every write queues the
/// review (`search_queue`, in the sync's transaction); the publisher feeds
/// the index from the queue once the sync has committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexing {
    /// Right after the commit, before the sync returns (and so before the
    /// page cache empties). What the watcher uses: an edit is indexed in
    /// milliseconds.
    Inline,
    /// Inline, unless the queue holds at least this many reviews: then the
    /// publisher feeds the index in the background (`Syncer::index_pending`)
    /// while the pages are served, and the search page says that its results
    /// are incomplete. Indexing 10,000 reviews takes about a second
    /// (BENCHMARKS.md). The queue is a table, so a crash before then loses
    /// nothing: the next sync indexes whatever is still queued.
    Deferred {
        /// How many reviews a sync must write to defer their indexing.
        at_least: i64,
    },
}

/// What a committed sync changed.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Reviews or pages inserted, updated or removed.
    pub(crate) documents_changed: usize,
    /// A standalone page changed, so every page's navigation may have.
    pub(crate) layout_changed: bool,
    /// Errors that appeared or changed in this sync (already logged).
    pub(crate) new_errors: Vec<ContentError>,
    /// The search index is to be fed in the background (see
    /// `Indexing::Deferred`).
    pub(crate) search_pending: bool,
    /// What pages show that changed (`db::changes`).
    pub(crate) changes: Changes,
}

/// How a sync ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Finish {
    /// Whether the search index takes what was written now or later.
    pub(crate) indexing: Indexing,
    /// Every body was rendered again, with this rendering fingerprint.
    pub(crate) bodies_rendered: Option<i64>,
}

/// One sync's transaction, and what it has done so far.
pub(crate) struct SyncTransaction {
    tx: Transaction<'static, Sqlite>,
    /// Shared with the planner, which looks at it off the async threads.
    known: Arc<HashMap<String, Known>>,
    applied: Applied,
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
    /// Files removed in this sync.
    removed: Vec<String>,
    /// Whether to find out which reviews' keys each write touches (a
    /// query per write): for the small syncs of editing. A large sync says
    /// that everything changed.
    track: bool,
}

struct Waiting {
    file: SourceFile,
    hash: String,
    document: Document,
    error: ContentError,
}

impl SyncTransaction {
    /// Begins the transaction and reads what the store knows of each file.
    /// Begins a sync of `scope`, knowing what the store knows of the files
    /// in it (and of every file with an error: `sources::known`).
    pub(crate) async fn begin(pool: &SqlitePool, scope: &Scope) -> sqlx::Result<Self> {
        let mut tx = pool.begin().await?;
        let paths = match scope {
            // The content folder itself: every file is in scope.
            Scope::Paths(paths) if paths.iter().all(|path| !path.trim_matches('/').is_empty()) => {
                Some(paths.as_slice())
            }
            Scope::Paths(_) | Scope::Everything => None,
        };
        let known = Arc::new(sources::known(&mut tx, paths).await?);
        Ok(Self {
            tx,
            known,
            applied: Applied::default(),
            read: BTreeMap::new(),
            waiting: Vec::new(),
            evicted: BTreeSet::new(),
            removed: Vec::new(),
            track: false,
        })
    }

    /// Finds out precisely what each write touches (`Applied::changes`),
    /// at the cost of a query per written review: for a sync of a few files.
    pub(crate) fn track_changes(&mut self) {
        self.track = true;
    }

    /// The keys of the review stored from `path` as it stands, when
    /// tracking.
    async fn review_keys(&mut self, path: &str) -> sqlx::Result<Option<ReviewKeys>> {
        if !self.track {
            return Ok(None);
        }
        reviews::keys_by_source(&mut *self.tx, path).await
    }

    /// Notes what a write or removal changed: the review's keys before
    /// and after (`None` for none), or, untracked, everything.
    fn touched(&mut self, before: Option<ReviewKeys>, after: Option<ReviewKeys>) {
        if !self.track {
            self.applied.changes.set_everything();
            return;
        }
        for keys in [before, after].into_iter().flatten() {
            keys.touched(&mut self.applied.changes);
        }
    }

    /// What the store knew of each file when the sync began.
    pub(crate) fn known(&self) -> &Arc<HashMap<String, Known>> {
        &self.known
    }

    /// Widens what this sync knows to every file the store has seen, for
    /// a sync whose scope grew to everything (every body rendered again).
    pub(crate) async fn know_everything(&mut self) -> sqlx::Result<()> {
        self.known = Arc::new(sources::known(&mut self.tx, None).await?);
        Ok(())
    }

    /// Adds what the store knows of the files at or under `paths`: a file
    /// outside the scope that this sync reads again (one that lost its
    /// slug to a file in scope).
    pub(crate) async fn know(&mut self, paths: &[String]) -> sqlx::Result<()> {
        let more = sources::known(&mut self.tx, Some(paths)).await?;
        Arc::make_mut(&mut self.known).extend(more);
        Ok(())
    }

    /// The rendering fingerprint the stored bodies were rendered with, if
    /// the store knows it.
    pub(crate) async fn bodies_rendered_with(&mut self) -> sqlx::Result<Option<i64>> {
        meta::bodies_rendered_with(&mut *self.tx).await
    }

    /// Forgets a file that is gone, with what was published from it.
    pub(crate) async fn remove(&mut self, path: &str) -> sqlx::Result<()> {
        let before = self.review_keys(path).await?;
        let documents = remove(&mut self.tx, path).await?;
        self.removed.push(path.to_string());
        if documents > 0 {
            self.touched(before, None);
        }
        self.applied.documents_changed += documents;
        self.applied.layout_changed |= documents > 0 && is_page(path);
        Ok(())
    }

    /// A file with the same bytes as last time: only its mtime and size
    /// are refreshed.
    pub(crate) fn unchanged(&mut self, file: &SourceFile) {
        let known = self.known.get(&file.path);
        let hash = known.map(|known| known.hash.clone()).unwrap_or_default();
        let public = known.is_some_and(|known| known.public_mtime_ns.is_some());
        let mut record = StoredSource::read(&file.path, &hash, file.mtime_ns, file.size, None);
        // The same document, touched: its time is the file's now, as an
        // instance reading it for the first time would record.
        record.public_mtime_ns = public.then_some(file.mtime_ns);
        self.read.insert(file.path.clone(), record);
    }

    /// A file or folder that is there but cannot be read: what was
    /// published from it stays, and the error is shown (and logged once).
    pub(crate) fn keep_unreadable(&mut self, error: &ContentError) {
        let known = self.known.get(&error.path).cloned();
        self.note_error(error, known.as_ref().and_then(|known| known.error.as_ref()));
        let record = match known {
            Some(known) => StoredSource::read(
                &error.path,
                &known.hash,
                known.mtime_ns,
                known.size,
                Some(error),
            ),
            None => StoredSource::read(&error.path, "", 0, 0, Some(error)),
        };
        let record = StoredSource {
            public_mtime_ns: self.public_time(&error.path),
            ..record
        };
        self.read.insert(error.path.clone(), record);
    }

    /// A file that was read but is not a valid document; its last good
    /// version stays.
    pub(crate) fn failed(&mut self, file: &SourceFile, hash: &str, error: ContentError) {
        let kept = self.public_time(&file.path);
        self.conclude(file, hash, Err(error), kept);
    }

    /// The time readers see of the file at `path` as stored: its last good
    /// version's, which a file with an error leaves published.
    fn public_time(&self, path: &str) -> Option<i64> {
        self.known.get(path).and_then(|known| known.public_mtime_ns)
    }

    /// A file that was read and stores nothing of its own (`site.toml`,
    /// which the publisher applies).
    pub(crate) fn read_settings(&mut self, file: &SourceFile, hash: &str) {
        self.conclude(file, hash, Ok(false), None);
    }

    /// Stores a review or page, or sets it waiting when a better claim
    /// holds its slug.
    pub(crate) async fn store(
        &mut self,
        file: SourceFile,
        hash: String,
        document: Document,
    ) -> sqlx::Result<()> {
        let before = match &document {
            Document::Review(_) => self.review_keys(&file.path).await?,
            _ => None,
        };
        match store(&mut self.tx, &file, &document).await? {
            Stored::Written { evicted } => {
                self.evicted.remove(&file.path);
                let after = match &document {
                    Document::Review(review) => Some(ReviewKeys::of(review)),
                    _ => None,
                };
                self.touched(before, after);
                if let Some(evicted) = evicted {
                    self.applied.documents_changed += 1;
                    self.applied.layout_changed |= is_page(&evicted);
                    // Another file's review went: rare enough not to track.
                    self.applied.changes.set_everything();
                    self.evicted.insert(evicted);
                }
                let public = document.in_public_catalog().then_some(file.mtime_ns);
                self.conclude(&file, &hash, Ok(true), public);
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

    /// The files that lost their slug during this sync and are not waiting
    /// for it yet: the publisher reads each again and hands it back.
    pub(crate) fn take_evicted(&mut self) -> Vec<String> {
        std::mem::take(&mut self.evicted)
            .into_iter()
            .filter(|path| {
                !self
                    .waiting
                    .iter()
                    .any(|waiting| &waiting.file.path == path)
            })
            .collect()
    }

    /// Tries once more to store every document waiting for a slug; returns
    /// whether one was stored (and so may have freed a slug for another), or
    /// evicted a file to read again. Evictions only ever hand a slug to a
    /// strictly better claim, so repeating this while it returns true ends.
    pub(crate) async fn retry_waiting(&mut self) -> sqlx::Result<bool> {
        let mut stored_one = false;
        for waiting in std::mem::take(&mut self.waiting) {
            let before = self.waiting.len();
            self.store(waiting.file, waiting.hash, waiting.document)
                .await?;
            stored_one |= self.waiting.len() == before;
        }
        Ok(stored_one || !self.evicted.is_empty())
    }

    /// Records what was read, notes what changed in `meta`, and commits;
    /// says whether the search index is to be fed in the background.
    pub(crate) async fn finish(mut self, finish: Finish) -> sqlx::Result<Applied> {
        for waiting in std::mem::take(&mut self.waiting) {
            // Its slug is another file's: nothing of it is published.
            self.conclude(&waiting.file, &waiting.hash, Err(waiting.error), None);
        }
        let Self {
            mut tx,
            mut applied,
            read,
            removed,
            known,
            ..
        } = self;
        // What moves a Last-Modified (`web::modified`, from the files'
        // times): for the layout, any of its files read or removed (every
        // page); for the catalog, a file removed, or one whose time as
        // readers see it moved (`public_mtime_ns`: a draft or a broken save
        // moves none, so listings stay kept). New files and renames move
        // the folders' times, which the syncer compares after the commit.
        for path in &removed {
            applied.changes.add(if is_layout(path) {
                SurrogateKey::Site
            } else {
                SurrogateKey::Catalog
            });
        }
        for (path, record) in &read {
            if is_layout(path) {
                applied.changes.add(SurrogateKey::Site);
                continue;
            }
            let before = known.get(path).and_then(|known| known.public_mtime_ns);
            if before != record.public_mtime_ns {
                applied.changes.add(SurrogateKey::Catalog);
            }
        }
        let read: Vec<StoredSource> = read.into_values().collect();
        sources::record_all(&mut tx, &read).await?;
        applied.search_pending = match finish.indexing {
            Indexing::Inline => false,
            Indexing::Deferred { at_least } => search::queued_count(&mut *tx).await? >= at_least,
        };
        if let Some(fingerprint) = finish.bodies_rendered {
            meta::set_bodies_rendered_with(&mut tx, fingerprint).await?;
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// Counts what became of one file and records its fingerprint, its
    /// error if any, and the time readers see of it (`public_mtime_ns`).
    fn conclude(
        &mut self,
        file: &SourceFile,
        hash: &str,
        result: Result<bool, ContentError>,
        public_mtime_ns: Option<i64>,
    ) {
        let previous = self
            .known
            .get(&file.path)
            .and_then(|known| known.error.clone());
        let error = match result {
            Ok(changed) => {
                self.applied.documents_changed += usize::from(changed);
                self.applied.layout_changed |= changed && is_page(&file.path);
                if previous.is_some() {
                    tracing::info!(path = %file.path, "content file fixed");
                }
                None
            }
            Err(error) => {
                self.note_error(&error, previous.as_ref());
                Some(error)
            }
        };
        let mut record =
            StoredSource::read(&file.path, hash, file.mtime_ns, file.size, error.as_ref());
        record.public_mtime_ns = public_mtime_ns;
        self.read.insert(file.path.clone(), record);
    }

    /// Reports an error the first time it is seen, so that it is logged
    /// once rather than on every sync.
    fn note_error(&mut self, error: &ContentError, previous: Option<&ContentError>) {
        if previous != Some(error) {
            tracing::warn!("content error: {error}");
            self.applied.new_errors.push(error.clone());
        }
    }
}

/// What storing a document came to.
enum Stored {
    /// Written; `evicted` is the file that held its slug with a worse claim,
    /// and was unpublished.
    Written { evicted: Option<String> },
    /// A better claim holds its slug (see `content::slugs`).
    Lost(ContentError),
}

/// Stores a review or page. A slug held by another file goes to whichever
/// of the two claims is better (`slugs::Claim`), whoever had it first.
async fn store(
    conn: &mut SqliteConnection,
    file: &SourceFile,
    document: &Document,
) -> sqlx::Result<Stored> {
    // Written first and checked after: a taken slug fails the write (which
    // then leaves nothing behind), and only then do we look up who has it.
    // Asking first cost a round trip to SQLite for every file of a sync.
    let Some((space, slug, claim)) = document.slug_claim(&file.path) else {
        // Nothing to claim (a diary year, a list named by its file).
        write(conn, file, document).await?;
        return Ok(Stored::Written { evicted: None });
    };
    match write(conn, file, document).await {
        Ok(()) => return Ok(Stored::Written { evicted: None }),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {}
        Err(error) => return Err(error),
    }
    let holder = match space {
        SlugSpace::Reviews => reviews::slug_claim(conn, slug).await?,
        SlugSpace::Pages => pages::slug_claim(conn, slug).await?,
    };
    let Some((holder_path, holder_published)) = holder.filter(|(path, _)| path != &file.path)
    else {
        // Not the slug: a row of the document's own that clashes (content
        // refuses two release regions of one URL name, so this is a bug).
        return Ok(Stored::Lost(ContentError::new(
            &file.path,
            "this file could not be stored; tell the site's maintainers",
        )));
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
        SlugSpace::Reviews => {
            // With the viewing its `watched` date stood for.
            diary::delete_by_source(conn, &holder_path).await?;
            reviews::delete_by_source(conn, &holder_path).await?
        }
        SlugSpace::Pages => pages::delete_by_source(conn, &holder_path).await?,
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
) -> sqlx::Result<()> {
    let modified_at = file.mtime_ns / 1_000_000_000;
    match document {
        Document::Review(review) => {
            reviews::upsert(conn, &file.path, review, modified_at).await?;
            films::record_review_film(conn, &file.path, review, modified_at).await
        }
        Document::Page(page) => pages::upsert(conn, &file.path, page, modified_at).await,
        Document::Diary(diary) => diary::replace(conn, &file.path, diary, modified_at).await,
        Document::List(list) => lists::upsert(conn, &file.path, list, modified_at).await,
        Document::Site(_) => Ok(()),
    }
}

/// The files every page shows something of: `site.toml` and the
/// standalone pages (the menu).
fn is_layout(path: &str) -> bool {
    path == crate::content::site::SITE_FILE || is_page(path)
}

/// Standalone pages appear in every page's navigation.
fn is_page(path: &str) -> bool {
    path.starts_with(loader::PAGES_DIR) && path[loader::PAGES_DIR.len()..].starts_with('/')
}

/// Forgets a file that is gone; returns how many documents it took along.
async fn remove(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<usize> {
    let removed = [
        reviews::delete_by_source(conn, path).await?,
        pages::delete_by_source(conn, path).await?,
        diary::delete_by_source(conn, path).await?,
        lists::delete_by_source(conn, path).await?,
    ];
    sources::delete(conn, path).await?;
    let count = removed.into_iter().filter(|removed| *removed).count();
    if count > 0 {
        tracing::info!(path, "content file removed: unpublished");
    }
    Ok(count)
}
