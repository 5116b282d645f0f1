//! Pages that memory let go, kept on disk beside the database, so that a
//! page read again after that (a crawler walking the archive, a feed
//! reader following links) is a file read and not a render.
//!
//! The page cache in memory holds the pages read most; when it lets one go
//! (`store`'s eviction hook), the page goes to a writer thread that writes
//! its headers and bodies (with whatever compressed forms it had) to a file
//! of its own in `<db stem>-pages/`. What finds the page again stays in
//! memory, in `SpillIndex`: the file's number, the page's generation and
//! keys, a few hundred bytes a page. A change drops spilled pages by the
//! same keys and generations as pages in memory (`store`), and their files
//! are removed by the same thread.
//!
//! The folder is the cache's own: emptied at every start, never read by
//! anything else, bounded in bytes (a page that would pass the bound is not
//! spilled). Like the search index, it can always be thrown away.

mod file;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::HeaderValue;

use super::page::CachedPage;
use crate::web::metrics::RenderedFor;

/// Where the spilled pages of the database at `db` live: beside it, named
/// after it (`marquee.db` → `marquee-pages/`), as the search index is.
pub(crate) fn spill_dir(db: &Path) -> PathBuf {
    let mut name = db.file_stem().unwrap_or_default().to_os_string();
    name.push("-pages");
    db.with_file_name(name)
}

/// What the writer thread is asked to do.
pub(super) enum Job {
    /// Write this page, let go from memory under this key.
    Write(String, Arc<CachedPage>),
    /// Remove these files: their pages were dropped or replaced.
    Remove(Vec<u64>),
}

/// The folder and what writes to it.
pub(super) struct Disk {
    folder: Arc<Folder>,
    capacity: u64,
    jobs: Sender<Job>,
}

/// The folder's path, and the number the next file gets (numbers are
/// never reused, so a file read is always the page its entry names).
pub(super) struct Folder {
    dir: PathBuf,
    next_file: AtomicU64,
}

impl Disk {
    /// Empties (or makes) `dir` and starts the writer thread, which hands
    /// each job to `work` until `work` says to stop or the `Disk` is
    /// dropped. `None` when the folder cannot be made: pages are then not
    /// spilled, and that is all.
    pub(super) fn start(
        dir: PathBuf,
        capacity: u64,
        work: impl Fn(&Folder, Job) -> bool + Send + 'static,
    ) -> Option<Disk> {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(dir = %dir.display(), "pages are not spilled to disk: {error}");
                return None;
            }
        }
        if let Err(error) = std::fs::create_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), "pages are not spilled to disk: {error}");
            return None;
        }
        let folder = Arc::new(Folder {
            dir,
            next_file: AtomicU64::new(0),
        });
        let (jobs, queue) = std::sync::mpsc::channel();
        let writer = folder.clone();
        std::thread::Builder::new()
            .name("page-spill".into())
            .spawn(move || run(&writer, &queue, work))
            .ok()?;
        Some(Disk {
            folder,
            capacity,
            jobs,
        })
    }

    /// Hands the writer a job; a writer that has stopped loses nothing the
    /// cache needs (a page not spilled is rendered again).
    pub(super) fn send(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    /// The page `entry` names, read from its file; `None` if the file is
    /// gone (removed by a change meanwhile) or not whole.
    ///
    /// Read on the request's own thread: the file is one page, usually in
    /// the operating system's page cache, read in microseconds.
    pub(super) fn read(&self, entry: &Spilled) -> Option<CachedPage> {
        let bytes = std::fs::read(self.folder.path(entry.file)).ok()?;
        let stored = file::decode(Bytes::from(bytes))?;
        Some(CachedPage {
            generation: entry.generation,
            keys: entry.keys.clone(),
            headers: stored.headers,
            etag: entry.etag.clone(),
            modified_at: entry.modified_at,
            identity: stored.identity,
            route: entry.route.clone(),
            gzip: stored.gzip,
            brotli: stored.brotli,
        })
    }

    /// What the folder may hold: bytes of files, and pages. The count
    /// bounds the index's memory (a few hundred bytes a page) when the
    /// pages are small, as search results are: one page per 32 KB of disk,
    /// 32,768 pages (about 10 MB of index) for the default gigabyte.
    pub(super) fn capacity(&self) -> Capacity {
        Capacity {
            bytes: self.capacity,
            pages: usize::try_from(self.capacity / 32_768).unwrap_or(usize::MAX),
        }
    }
}

fn run(folder: &Folder, queue: &Receiver<Job>, work: impl Fn(&Folder, Job) -> bool) {
    while let Ok(job) = queue.recv() {
        if !work(folder, job) {
            break;
        }
    }
}

impl Folder {
    fn path(&self, file: u64) -> PathBuf {
        self.dir.join(file.to_string())
    }

    /// Writes `page` to a new file: its number and size, or `None` when it
    /// could not be written (a full disk: the page is then not spilled).
    pub(super) fn write(&self, page: &CachedPage) -> Option<(u64, u64)> {
        let bytes = file::encode(page);
        let file = self.next_file.fetch_add(1, Ordering::Relaxed);
        match std::fs::write(self.path(file), &bytes) {
            Ok(()) => Some((file, bytes.len() as u64)),
            Err(error) => {
                tracing::debug!("a page was not spilled to disk: {error}");
                self.remove(&[file]);
                None
            }
        }
    }

    /// Removes files, as far as they exist.
    pub(super) fn remove(&self, files: &[u64]) {
        for file in files {
            let _ = std::fs::remove_file(self.path(*file));
        }
    }
}

/// Where a spilled page is, and what the cache needs to decide whether it
/// may still be served, without reading its file.
#[derive(Clone)]
pub(super) struct Spilled {
    file: u64,
    bytes: u64,
    /// How many compressed forms the file holds.
    forms: usize,
    pub(super) generation: u64,
    pub(super) keys: Box<[String]>,
    etag: HeaderValue,
    modified_at: Option<SystemTime>,
    route: Option<RenderedFor>,
}

impl Spilled {
    /// The entry for `page`, written to `file` of `bytes` bytes.
    pub(super) fn of(page: &CachedPage, file: u64, bytes: u64) -> Spilled {
        Spilled {
            file,
            bytes,
            forms: page.forms_made(),
            generation: page.generation,
            keys: page.keys.clone(),
            etag: page.etag.clone(),
            modified_at: page.modified_at,
            route: page.route.clone(),
        }
    }
}

/// How much the folder may hold.
#[derive(Clone, Copy)]
pub(super) struct Capacity {
    pub(super) bytes: u64,
    pub(super) pages: usize,
}

/// The spilled pages, by cache key, and the bytes their files hold.
#[derive(Default)]
pub(super) struct SpillIndex {
    entries: HashMap<String, Spilled>,
    bytes: u64,
}

impl SpillIndex {
    pub(super) fn get(&self, key: &str) -> Option<&Spilled> {
        self.entries.get(key)
    }

    /// Whether the page at `key` is already on disk as `page` would be
    /// written: the same render, with no form made since.
    pub(super) fn holds(&self, key: &str, page: &CachedPage) -> bool {
        self.entries.get(key).is_some_and(|entry| {
            entry.generation == page.generation
                && entry.etag == page.etag
                && entry.forms >= page.forms_made()
        })
    }

    /// Adds `entry` under `key` if the folder has room for it. The files
    /// to remove: the one it replaces, or its own when there is no room.
    pub(super) fn add(&mut self, key: String, entry: Spilled, capacity: Capacity) -> Vec<u64> {
        let replaced = self.entries.remove(&key);
        let mut gone = Vec::new();
        if let Some(old) = replaced {
            self.bytes -= old.bytes;
            gone.push(old.file);
        }
        if self.bytes + entry.bytes > capacity.bytes || self.entries.len() >= capacity.pages {
            gone.push(entry.file);
        } else {
            self.bytes += entry.bytes;
            self.entries.insert(key, entry);
        }
        gone
    }

    /// Drops the entries whose page shows one of `keys`: their files.
    pub(super) fn drop_showing(&mut self, keys: &BTreeSet<String>) -> Vec<u64> {
        let mut gone = Vec::new();
        let mut freed = 0;
        self.entries.retain(|_, entry| {
            let shows = entry.keys.iter().any(|key| keys.contains(key));
            if shows {
                gone.push(entry.file);
                freed += entry.bytes;
            }
            !shows
        });
        self.bytes -= freed;
        gone
    }

    /// Drops every entry: their files.
    pub(super) fn clear(&mut self) -> Vec<u64> {
        self.bytes = 0;
        self.entries.drain().map(|(_, entry)| entry.file).collect()
    }

    /// Bytes of files held, for `/metrics`.
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::tests::page;
    use super::*;

    fn entry(file: u64, bytes: u64, keys: &[&str]) -> Spilled {
        Spilled::of(&page("x", keys), file, bytes)
    }

    #[test]
    fn the_index_stays_within_its_bytes_and_pages_and_gives_back_the_files_it_lets_go() {
        let room = Capacity {
            bytes: 100,
            pages: 2,
        };
        let mut index = SpillIndex::default();
        let mut add = |key: &str, entry| index.add(key.into(), entry, room);
        assert!(add("/a", entry(1, 60, &["review:a"])).is_empty());
        assert_eq!(add("/b", entry(2, 60, &["review:b"])), [2], "no room");
        assert_eq!(add("/a", entry(3, 90, &["review:a"])), [1], "replaced");
        assert!(add("/c", entry(4, 10, &["tag:x"])).is_empty());
        assert_eq!(add("/d", entry(5, 0, &["tag:y"])), [5], "two pages at most");
        assert!(index.get("/b").is_none() && index.get("/d").is_none());
        assert_eq!(index.get("/a").map(|entry| entry.file), Some(3));
        assert_eq!(index.bytes(), 100);
        let keys = BTreeSet::from(["review:a".to_string()]);
        assert_eq!(index.drop_showing(&keys), [3]);
        assert_eq!(index.bytes(), 10);
        assert_eq!(index.clear(), [4]);
        assert_eq!(index.bytes(), 0);
    }

    #[test]
    fn the_folder_is_beside_the_database_and_named_after_it() {
        assert_eq!(
            spill_dir(Path::new("/srv/site/marquee.db")),
            Path::new("/srv/site/marquee-pages")
        );
    }
}
