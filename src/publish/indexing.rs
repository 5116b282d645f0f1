//! Feeding the search index (`crate::search`) from the database.
//!
//! Every write to `reviews` queues the review in `search_queue`, in the
//! sync's own transaction (migration 0003). After the sync commits, in the
//! syncer's turn (so that nothing else feeds or writes meanwhile), the
//! queued reviews are read, given to the index, the index commits, and only
//! then are they taken off the queue. A crash anywhere leaves them queued,
//! and giving a review to the index twice is harmless (it replaces it by
//! id). While the queue is not empty the search page says that its results
//! may be incomplete.
//!
//! At start the index is checked against the database: made anew (missing,
//! damaged, another database's, another schema), or holding another number
//! of reviews than the database gives it with nothing queued (a database
//! restored from a copy, an index folder copied from elsewhere), it is
//! emptied and every review queued.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::SqlitePool;

use crate::db;
use crate::db::search::Queued;
use crate::search::{Change, IndexedReview, Opened, SearchError, SearchIndex};

/// Reviews read from the queue at a time: a few MB of text.
const BATCH: i64 = 250;
/// Reviews given to the index between two commits (see `Feeder::feed`).
const COMMIT_EVERY: usize = 1_000;

/// Why feeding the index failed; the queue keeps what it did not take.
#[derive(Debug, thiserror::Error)]
pub enum IndexingError {
    /// Reading the queue or taking reviews off it failed.
    #[error("search queue: {0}")]
    Db(#[from] sqlx::Error),
    /// The index refused the changes or the commit.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The task that wrote to the index panicked.
    #[error("search indexing task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The index, and the database identity its commits note.
#[derive(Debug)]
pub(crate) struct Feeder {
    index: Arc<SearchIndex>,
    identity: String,
}

/// Where the index of the database at `db` lives: beside it, named after
/// it (`marquee.db` → `marquee-search/`). Not `marquee.db-search`: scripts
/// and people clear a database away with `marquee.db*`, which would then
/// match a folder.
pub fn index_dir(db: &Path) -> PathBuf {
    let mut name = db.file_stem().unwrap_or_default().to_os_string();
    name.push("-search");
    db.with_file_name(name)
}

impl Feeder {
    /// Opens the index beside the database at `db_path` and brings the
    /// queue in step with it (see the module's comment). Never fails: an
    /// index that cannot be kept on disk is kept in memory (and built from
    /// the database at each start), and a queue that cannot be written
    /// leaves the index as it is, to be caught up by the next sync.
    pub(crate) async fn open(pool: &SqlitePool, db_path: &Path) -> Self {
        let identity = match db::search::identity(pool).await {
            Ok(identity) => identity,
            Err(error) => {
                tracing::error!(%error, "cannot read the search index's identity");
                String::new()
            }
        };
        let dir = index_dir(db_path);
        let opening = {
            let identity = identity.clone();
            tokio::task::spawn_blocking(move || SearchIndex::open(&dir, &identity)).await
        };
        let (index, opened) = match opening {
            Ok(Ok(opened)) => opened,
            Ok(Err(error)) => {
                tracing::error!(%error, "cannot keep the search index on disk; building it in memory");
                (SearchIndex::in_memory(), Opened::Made)
            }
            Err(error) => {
                tracing::error!(%error, "opening the search index failed; building it in memory");
                (SearchIndex::in_memory(), Opened::Made)
            }
        };
        let feeder = Self {
            index: Arc::new(index),
            identity,
        };
        if let Err(error) = feeder.check(pool, opened).await {
            tracing::error!(%error, "cannot check the search index against the database");
        }
        feeder
    }

    /// For a site served read-only: the index on disk if it is this
    /// database's, as it is (nothing can be fed); else none, and the search
    /// page says so.
    pub(crate) async fn open_read_only(pool: &SqlitePool, db_path: &Path) -> Arc<SearchIndex> {
        let identity = db::search::identity(pool).await.unwrap_or_default();
        let dir = index_dir(db_path);
        let opened =
            tokio::task::spawn_blocking(move || SearchIndex::open_as_it_is(&dir, &identity)).await;
        match opened {
            Ok(Ok(Some(index))) => Arc::new(index),
            _ => Arc::new(SearchIndex::unavailable()),
        }
    }

    /// The index, for the search page.
    pub(crate) fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Queues every review when the index must be built anew.
    async fn check(&self, pool: &SqlitePool, opened: Opened) -> Result<(), IndexingError> {
        if opened == Opened::Kept && db::search::queued_count(pool).await? == 0 {
            let expected = db::search::indexable_count(pool).await?;
            let held = self.index.num_docs();
            if u64::try_from(expected).ok() == Some(held) {
                return Ok(());
            }
            tracing::warn!(
                held,
                expected,
                "the search index is out of step with the database; rebuilding it"
            );
            let index = self.index.clone();
            let identity = self.identity.clone();
            tokio::task::spawn_blocking(move || index.clear(&identity)).await??;
        } else if opened == Opened::Kept {
            return Ok(());
        }
        db::search::queue_all(pool).await?;
        Ok(())
    }

    /// Gives the index every queued review, commits it, and takes them off
    /// the queue; returns how many there were. The caller holds the
    /// syncer's turn.
    ///
    /// A large queue (a first start) is committed every `COMMIT_EVERY`
    /// reviews: the index's writer takes documents faster than its thread
    /// indexes them, and would otherwise hold every review's text in memory
    /// at once (170 MB for 10,000 reviews).
    pub(crate) async fn feed(&self, db: &SqlitePool) -> Result<usize, IndexingError> {
        let mut after = 0;
        let mut fed = 0;
        let mut written = Vec::new();
        loop {
            let batch = db::search::queued(db, after, BATCH).await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last.id;
            written.extend(batch.iter().map(|queued| queued.id));
            let changes: Vec<Change> = batch.into_iter().map(change).collect();
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.write(changes)).await??;
            if written.len() >= COMMIT_EVERY {
                fed += self.commit(db, std::mem::take(&mut written)).await?;
            }
        }
        if !written.is_empty() {
            fed += self.commit(db, written).await?;
        }
        Ok(fed)
    }

    /// Commits the index, then takes what it committed off the queue.
    async fn commit(&self, db: &SqlitePool, written: Vec<i64>) -> Result<usize, IndexingError> {
        let index = self.index.clone();
        let identity = self.identity.clone();
        tokio::task::spawn_blocking(move || index.commit(&identity)).await??;
        db::search::dequeue(db, &written).await?;
        Ok(written.len())
    }
}

/// What the index is to do with a queued review.
fn change(queued: Queued) -> Change {
    let Some(row) = queued.row else {
        return Change::Remove(queued.id);
    };
    Change::Put(Box::new(IndexedReview {
        id: queued.id,
        title: row.title,
        film_title: row.film_title,
        director: row.director,
        tags: row.tags,
        body: row.body_text,
        rating: row.rating.map(|rating| u64::from(rating.halves())),
        film_year: row.film_year.and_then(|year| u64::try_from(year).ok()),
        published: row.published_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_named_after_the_database() {
        assert_eq!(
            index_dir(Path::new("/srv/site/marquee.db")),
            Path::new("/srv/site/marquee-search")
        );
        assert_eq!(index_dir(Path::new("films")), Path::new("films-search"));
    }
}
