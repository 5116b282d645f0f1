//! Where kept pages live: a map bounded by bytes (least recently used pages
//! go first, to the disk if there is one: `spill`), and the generations
//! that say which of them may be served.
//!
//! Each page lists the keys it depends on (`db::changes`, its
//! `Surrogate-Key`). A sync's changes drop the pages sharing a key with
//! them and leave the rest; a change to everything (the site settings, a
//! start) empties the map.
//!
//! A render that read the old content and finishes after a change must not
//! be kept. Every change moves the generation on, and notes, for each key
//! it touched, the generation that dropped it; a page carries the
//! generation its render began in, and is kept only if none of its keys
//! was dropped since. Dropping and keeping take one lock, so neither slips
//! between the other's check and its write; serving a hit takes none. The
//! same lock guards the index of spilled pages, so a page let go from
//! memory just before a change is never written back as current after it.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::flight::{Boarding, Flights};
use super::menu::KeptMenu;
use super::page::CachedPage;
use super::spill::{Disk, Folder, Job, SpillIndex, Spilled};
use crate::db::changes::Changes;
use crate::db::pages::MenuLink;

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<CachedPage>> for ByBytes {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        key.len() as u64 + page.weight()
    }
}

/// Collects the pages memory lets go during one insert, to be handed to
/// the disk once the insert is done.
#[derive(Clone)]
struct LetGo;

impl quick_cache::Lifecycle<String, Arc<CachedPage>> for LetGo {
    type RequestState = Vec<(String, Arc<CachedPage>)>;

    fn on_evict(&self, state: &mut Self::RequestState, key: String, page: Arc<CachedPage>) {
        state.push((key, page));
    }
}

type Store = quick_cache::sync::Cache<
    String,
    Arc<CachedPage>,
    ByBytes,
    quick_cache::DefaultHashBuilder,
    LetGo,
>;

/// The site's page cache, cheap to clone: every clone shares one store.
#[derive(Clone)]
pub struct PageCache {
    inner: Arc<Generations>,
}

struct Generations {
    store: Store,
    /// Moves on at every change.
    current: AtomicU64,
    /// The generation of the last change to everything: pages and menus
    /// from before it are never served.
    everything_from: AtomicU64,
    /// The lock that dropping and keeping take.
    guarded: Mutex<Guarded>,
    menu: KeptMenu,
    /// Where pages go when memory lets them go; `None` keeps them nowhere.
    disk: Option<Disk>,
    /// The renders under way, which requests that miss the same page wait
    /// for.
    flights: Arc<Flights>,
    /// No memory for pages: the cache is off, and every request renders.
    off: bool,
}

struct Guarded {
    /// For each key a change touched, the generation that dropped it.
    dropped: HashMap<String, u64>,
    /// The pages on disk.
    spilled: SpillIndex,
}

impl Guarded {
    /// Whether a page rendered in `generation`, showing `keys`, shows
    /// something a change dropped after its render began.
    fn is_stale(&self, generation: u64, everything_from: u64, keys: &[String]) -> bool {
        generation < everything_from
            || keys
                .iter()
                .any(|key| self.dropped.get(key).is_some_and(|at| *at > generation))
    }
}

impl PageCache {
    /// A cache that holds at most `capacity_bytes` of pages in memory (0
    /// keeps none) and none on disk.
    pub fn new(capacity_bytes: u64) -> Self {
        Self::with_disk(capacity_bytes, None)
    }

    /// A cache that holds at most `capacity_bytes` of pages in memory, and
    /// spills the pages it lets go to `disk`'s folder, up to its bytes
    /// (`spill`). The folder is emptied first.
    pub fn with_disk(capacity_bytes: u64, disk: Option<(PathBuf, u64)>) -> Self {
        let estimated_items = usize::try_from(capacity_bytes / 16_384)
            .unwrap_or(1024)
            .max(64);
        let inner = Arc::new_cyclic(|cache: &Weak<Generations>| {
            let cache = cache.clone();
            // A cache of no memory is the cache turned off (every request
            // renders), not a cache that keeps everything on disk.
            let disk = disk
                .filter(|(_, bytes)| *bytes > 0 && capacity_bytes > 0)
                .and_then(|(dir, bytes)| {
                    // The writer holds the cache weakly: when the last
                    // clone goes, so does it.
                    Disk::start(dir, bytes, move |folder, job| {
                        let Some(inner) = cache.upgrade() else {
                            return false;
                        };
                        PageCache { inner }.work(folder, job);
                        true
                    })
                });
            Generations {
                store: Store::with(
                    estimated_items,
                    capacity_bytes,
                    ByBytes,
                    quick_cache::DefaultHashBuilder::default(),
                    LetGo,
                ),
                current: AtomicU64::new(0),
                everything_from: AtomicU64::new(0),
                guarded: Mutex::new(Guarded {
                    dropped: HashMap::new(),
                    spilled: SpillIndex::default(),
                }),
                menu: KeptMenu::default(),
                disk,
                flights: Arc::default(),
                off: capacity_bytes == 0,
            }
        });
        Self { inner }
    }

    /// The current generation. Take it before the read of what is to be
    /// kept under it: then a change that lands meanwhile makes it stale.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.current.load(Ordering::Acquire)
    }

    fn everything_from(&self) -> u64 {
        self.inner.everything_from.load(Ordering::Acquire)
    }

    /// The navigation menu, if it was read since the last change to
    /// everything (the menu is the site's: only such a change moves it).
    /// For pages that are rendered each time (searches when the cache is
    /// off, or full), this saves a read on each.
    pub(crate) fn menu(&self) -> Option<Vec<MenuLink>> {
        self.inner.menu.read_since(self.everything_from())
    }

    /// Keeps the menu read in `generation` (taken before the read began).
    pub(crate) fn keep_menu(&self, generation: u64, links: Vec<MenuLink>) {
        self.inner.menu.keep(generation, links);
    }

    /// The page at `key` in memory, if nothing it shows has changed since.
    pub(super) fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.inner.store.get(key)?;
        (page.generation >= self.everything_from()).then_some(page)
    }

    /// The page at `key` on disk, if memory let it go and nothing it shows
    /// has changed since. Not put back in memory: a crawler's walk through
    /// the archive would push out the pages readers keep asking for. (A
    /// compressed form made for it puts it back, with the form: `respond`.)
    pub(super) fn get_spilled(&self, key: &str) -> Option<Arc<CachedPage>> {
        let disk = self.inner.disk.as_ref()?;
        let entry = self.lock().spilled.get(key)?.clone();
        if entry.generation < self.everything_from() {
            return None;
        }
        disk.read(&entry).map(Arc::new)
    }

    /// Joins the render of the page at `key` under way in `generation`,
    /// or begins one (`flight`); `None` when the cache is off, where every
    /// request renders (what `--cache-mb 0` is for: measuring a render).
    pub(super) fn board(&self, key: &str, generation: u64) -> Option<Boarding> {
        (!self.inner.off).then(|| self.inner.flights.board(key, generation))
    }

    /// How many requests wait for the render of `key` under way.
    #[cfg(test)]
    pub(super) fn passengers(&self, key: &str) -> usize {
        self.inner.flights.passengers(key)
    }

    /// Keeps `page`, unless something it shows changed after its render
    /// began.
    pub(super) fn insert(&self, key: &str, page: Arc<CachedPage>) {
        let mut let_go = Vec::new();
        {
            let guarded = self.lock();
            if guarded.is_stale(page.generation, self.everything_from(), &page.keys) {
                return;
            }
            self.inner
                .store
                .insert_with_lifecycle(key.to_string(), page, &mut let_go);
        }
        if let Some(disk) = &self.inner.disk {
            for (key, page) in let_go {
                disk.send(Job::Write(key, page));
            }
        }
    }

    /// Forgets the pages that show what `changes` changed.
    pub fn invalidate(&self, changes: &Changes) {
        if changes.is_empty() {
            return;
        }
        let mut guarded = self.lock();
        let generation = self.inner.current.fetch_add(1, Ordering::AcqRel) + 1;
        let gone = if changes.is_everything() {
            self.inner
                .everything_from
                .store(generation, Ordering::Release);
            guarded.dropped.clear();
            self.inner.store.clear();
            guarded.spilled.clear()
        } else {
            let keys: BTreeSet<String> = changes.keys().iter().map(ToString::to_string).collect();
            for key in &keys {
                guarded.dropped.insert(key.clone(), generation);
            }
            self.inner
                .store
                .retain(|_, page| !page.keys.iter().any(|dep| keys.contains(dep)));
            guarded.spilled.drop_showing(&keys)
        };
        drop(guarded);
        if let Some(disk) = &self.inner.disk
            && !gone.is_empty()
        {
            disk.send(Job::Remove(gone));
        }
    }

    /// The writer thread's side of a job (see `spill`).
    fn work(&self, folder: &Folder, job: Job) {
        let Some(disk) = &self.inner.disk else {
            return;
        };
        match job {
            Job::Remove(files) => folder.remove(&files),
            Job::Write(key, page) => {
                {
                    let guarded = self.lock();
                    if guarded.is_stale(page.generation, self.everything_from(), &page.keys)
                        || guarded.spilled.holds(&key, &page)
                    {
                        return;
                    }
                }
                let Some((file, bytes)) = folder.write(&page) else {
                    return;
                };
                let gone = {
                    let mut guarded = self.lock();
                    if guarded.is_stale(page.generation, self.everything_from(), &page.keys) {
                        vec![file]
                    } else {
                        let entry = Spilled::of(&page, file, bytes);
                        guarded.spilled.add(key, entry, disk.capacity())
                    }
                };
                folder.remove(&gone);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Guarded> {
        self.inner
            .guarded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes held in memory now, for `/metrics` (and a test checks that a
    /// compressed form, once kept, counts against the capacity).
    pub(crate) fn weight(&self) -> u64 {
        self.inner.store.weight()
    }

    /// Bytes of spilled pages on disk now, for `/metrics`.
    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.lock().spilled.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::tests::page;
    use super::*;
    use crate::db::changes::SurrogateKey;

    #[test]
    fn a_page_rendered_before_a_content_change_is_never_served() {
        let cache = PageCache::new(1024 * 1024);
        cache.insert("/", page("old", &["site", "catalog"]));
        assert!(cache.get("/").is_some());
        cache.invalidate(&Changes::everything());
        assert!(cache.get("/").is_none());
        // A render that started before the change finishes after it.
        cache.insert("/", page("old", &["site", "catalog"]));
        assert!(cache.get("/").is_none());
    }

    #[test]
    fn a_change_drops_the_pages_that_show_it_and_keeps_the_rest() {
        let cache = PageCache::new(1024 * 1024);
        cache.insert("/", page("home", &["site", "catalog"]));
        cache.insert("/reviews/a", page("a", &["site", "review:a"]));
        cache.insert("/reviews/b", page("b", &["site", "review:b", "tag:drama"]));
        let began = cache.generation();
        cache.invalidate(&Changes::of([
            SurrogateKey::Review("a".into()),
            SurrogateKey::Catalog,
        ]));
        assert!(cache.get("/").is_none());
        assert!(cache.get("/reviews/a").is_none());
        assert!(cache.get("/reviews/b").is_some(), "b shows nothing of a");
        // A's page rendered from before the change is not kept; B's is.
        let mut stale = page("a", &["site", "review:a"]);
        Arc::get_mut(&mut stale).unwrap().generation = began;
        cache.insert("/reviews/a", stale);
        assert!(cache.get("/reviews/a").is_none());
        let mut fine = page("b2", &["site", "review:b"]);
        Arc::get_mut(&mut fine).unwrap().generation = began;
        cache.insert("/reviews/b2", fine);
        assert!(cache.get("/reviews/b2").is_some());
        // Nothing changed: nothing dropped.
        cache.invalidate(&Changes::default());
        assert!(cache.get("/reviews/b").is_some());
    }

    /// Polls `done` until it holds, for at most five seconds: the writer
    /// thread works in its own time.
    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if done() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    }

    fn body(name: &str) -> String {
        format!("<p>{name}</p>").repeat(300)
    }

    fn files(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn pages_memory_lets_go_are_read_back_from_disk_until_a_change_drops_them() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("pages");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("7"), "left by an earlier run").unwrap();
        let cache = PageCache::with_disk(10_000, Some((folder.clone(), 1 << 20)));
        assert_eq!(files(&folder), 0, "the folder is emptied at start");
        let names = ["a", "b", "c", "d", "e", "f"];
        let key = |name: &str| format!("/reviews/{name}");
        for name in names {
            let review = format!("review:{name}");
            cache.insert(&key(name), page(&body(name), &["site", &review]));
        }
        let on_disk = |name: &str| cache.get(&key(name)).is_none();
        assert!(
            eventually(|| names
                .into_iter()
                .filter(|name| on_disk(name))
                .all(|name| cache.get_spilled(&key(name)).is_some())),
            "every page let go is on disk"
        );
        let spilled: Vec<&str> = names.into_iter().filter(|name| on_disk(name)).collect();
        assert!(spilled.len() >= 3, "{spilled:?}: memory holds two at most");
        for name in &spilled {
            let page = cache.get_spilled(&key(name)).unwrap();
            assert_eq!(page.identity, body(name).as_bytes());
            assert_eq!(
                page.keys.as_ref(),
                ["site".to_string(), format!("review:{name}")]
            );
        }
        assert!(cache.spilled_bytes() > 0);

        let changed = spilled[0];
        cache.invalidate(&Changes::of([SurrogateKey::Review(changed.into())]));
        assert!(cache.get_spilled(&key(changed)).is_none());
        assert!(
            cache.get_spilled(&key(spilled[1])).is_some(),
            "not shown by the change"
        );
        assert!(
            eventually(|| files(&folder) == spilled.len() - 1),
            "its file is removed"
        );

        cache.invalidate(&Changes::everything());
        assert!(
            spilled
                .iter()
                .all(|name| cache.get_spilled(&key(name)).is_none())
        );
        assert!(eventually(|| files(&folder) == 0));
        assert_eq!(cache.spilled_bytes(), 0);
    }

    #[test]
    fn a_page_let_go_just_before_a_change_is_not_written_back_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PageCache::with_disk(10_000, Some((dir.path().join("pages"), 1 << 20)));
        let disk = cache.inner.disk.as_ref().unwrap();
        let before = page(&body("a"), &["site", "review:a"]);
        cache.invalidate(&Changes::of([SurrogateKey::Review("a".into())]));
        // Let go before the change, handed to the writer after it.
        disk.send(Job::Write("/reviews/a".into(), before));
        let mut later = page(&body("b"), &["site", "review:b"]);
        Arc::get_mut(&mut later).unwrap().generation = cache.generation();
        disk.send(Job::Write("/reviews/b".into(), later));
        // Jobs are done in order: once b is on disk, a was looked at.
        assert!(eventually(|| cache.get_spilled("/reviews/b").is_some()));
        assert!(cache.get_spilled("/reviews/a").is_none());
    }

    #[test]
    fn a_cache_of_no_memory_keeps_nothing_on_disk_and_coalesces_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PageCache::with_disk(0, Some((dir.path().join("pages"), 1 << 20)));
        assert!(cache.inner.disk.is_none());
        cache.insert("/", page(&body("a"), &["site"]));
        assert!(cache.get("/").is_none() && cache.get_spilled("/").is_none());
        // Nor does a request wait for another's render: every one renders.
        assert!(cache.board("/", cache.generation()).is_none());
        assert!(PageCache::new(1024).board("/", 0).is_some());
    }
}
