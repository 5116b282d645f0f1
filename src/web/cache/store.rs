//! Where kept pages live: a map bounded by bytes (least recently used pages
//! go first), and the generations that say which of them may be served.
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
//! between the other's check and its write; serving a hit takes none.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::menu::KeptMenu;
use super::page::CachedPage;
use crate::db::changes::Changes;
use crate::db::pages::MenuLink;

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<CachedPage>> for ByBytes {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        key.len() as u64 + page.weight()
    }
}

type Store = quick_cache::sync::Cache<String, Arc<CachedPage>, ByBytes>;

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
    /// For each key a change touched, the generation that dropped it; the
    /// lock that dropping and keeping take.
    dropped: Mutex<HashMap<String, u64>>,
    menu: KeptMenu,
}

impl PageCache {
    /// A cache that holds at most `capacity_bytes` of pages (0 keeps none).
    pub fn new(capacity_bytes: u64) -> Self {
        let estimated_items = usize::try_from(capacity_bytes / 16_384)
            .unwrap_or(1024)
            .max(64);
        Self {
            inner: Arc::new(Generations {
                store: Store::with_weighter(estimated_items, capacity_bytes, ByBytes),
                current: AtomicU64::new(0),
                everything_from: AtomicU64::new(0),
                dropped: Mutex::new(HashMap::new()),
                menu: KeptMenu::default(),
            }),
        }
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

    /// The page at `key`, if nothing it shows has changed since.
    pub(super) fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.inner.store.get(key)?;
        (page.generation >= self.everything_from()).then_some(page)
    }

    /// Keeps `page`, unless something it shows changed after its render
    /// began.
    pub(super) fn insert(&self, key: &str, page: Arc<CachedPage>) {
        let dropped = self.lock_dropped();
        let stale = page.generation < self.everything_from()
            || page
                .keys
                .iter()
                .any(|dep| dropped.get(dep).is_some_and(|at| *at > page.generation));
        if !stale {
            self.inner.store.insert(key.to_string(), page);
        }
    }

    /// Forgets the pages that show what `changes` changed.
    pub fn invalidate(&self, changes: &Changes) {
        if changes.is_empty() {
            return;
        }
        let mut dropped = self.lock_dropped();
        let generation = self.inner.current.fetch_add(1, Ordering::AcqRel) + 1;
        if changes.is_everything() {
            self.inner
                .everything_from
                .store(generation, Ordering::Release);
            dropped.clear();
            self.inner.store.clear();
            return;
        }
        let keys: BTreeSet<String> = changes.keys().iter().map(ToString::to_string).collect();
        for key in &keys {
            dropped.insert(key.clone(), generation);
        }
        self.inner
            .store
            .retain(|_, page| !page.keys.iter().any(|dep| keys.contains(dep)));
    }

    fn lock_dropped(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.inner
            .dropped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes held now, for `/metrics` (and a test checks that a compressed
    /// form, once kept, counts against the capacity).
    pub(crate) fn weight(&self) -> u64 {
        self.inner.store.weight()
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
}
