//! Where kept pages live: a map bounded by bytes (least recently used pages
//! go first), and the generation that says which of them may be served.
//!
//! A content change moves the generation on and empties the map. Each page
//! carries the generation it was rendered in, and only pages of the current
//! one are served: a render that read the old content and finishes after
//! the change is stored, but never served. (Swapping in a fresh map would
//! do the same, but then every hit pays for a lock and a reference count.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::menu::KeptMenu;
use super::page::CachedPage;
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
    /// Moves on at every content change.
    current: AtomicU64,
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
                menu: KeptMenu::default(),
            }),
        }
    }

    /// The current generation. Take it before the read of what is to be
    /// kept under it: then a change that lands meanwhile makes it stale.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.current.load(Ordering::Acquire)
    }

    /// The navigation menu, if it was read in the current generation. For
    /// pages that are rendered each time (searches when the cache is off,
    /// or full), this saves a read on each.
    pub(crate) fn menu(&self) -> Option<Vec<MenuLink>> {
        self.inner.menu.read_in(self.generation())
    }

    /// Keeps the menu read in `generation` (taken before the read began).
    pub(crate) fn keep_menu(&self, generation: u64, links: Vec<MenuLink>) {
        self.inner.menu.keep(generation, links);
    }

    /// The page at `key`, if it was rendered from the current content.
    pub(super) fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.inner.store.get(key)?;
        (page.generation == self.generation()).then_some(page)
    }

    pub(super) fn insert(&self, key: &str, page: Arc<CachedPage>) {
        self.inner.store.insert(key.to_string(), page);
    }

    /// Forgets every page: called after any content change.
    pub fn invalidate(&self) {
        self.inner.current.fetch_add(1, Ordering::AcqRel);
        self.inner.store.clear();
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

    #[test]
    fn a_page_rendered_before_a_content_change_is_never_served() {
        let cache = PageCache::new(1024 * 1024);
        cache.insert("/", page("old"));
        assert!(cache.get("/").is_some());
        cache.invalidate();
        assert!(cache.get("/").is_none());
        // A render that started before the change finishes after it.
        cache.insert("/", page("old"));
        assert!(cache.get("/").is_none());
    }
}
