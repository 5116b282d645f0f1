//! The navigation menu, kept apart from the pages: pages rendered each time
//! (searches, and any page when the cache is off or full) need it too, and
//! would otherwise read it from the database on every request. Only a
//! change to everything (the site's settings and pages) retires it.

use std::sync::{Mutex, PoisonError};

use crate::db::pages::MenuLink;

/// The last menu read, with the generation it was read in.
#[derive(Default)]
pub(super) struct KeptMenu(Mutex<Option<(u64, Vec<MenuLink>)>>);

impl KeptMenu {
    /// The menu, if it was read in generation `since` or later.
    pub(super) fn read_since(&self, since: u64) -> Option<Vec<MenuLink>> {
        let menu = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        menu.as_ref()
            .filter(|(generation, _)| *generation >= since)
            .map(|(_, links)| links.clone())
    }

    /// Keeps `links`, read in `generation`.
    pub(super) fn keep(&self, generation: u64, links: Vec<MenuLink>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((generation, links));
    }
}

#[cfg(test)]
mod tests {
    use super::super::PageCache;
    use super::*;

    #[test]
    fn a_menu_read_before_a_content_change_is_never_used() {
        let cache = PageCache::new(0);
        let link = |title: &str| MenuLink {
            slug: title.to_lowercase(),
            title: title.into(),
        };
        assert!(cache.menu().is_none());
        let before = cache.generation();
        cache.keep_menu(before, vec![link("About")]);
        assert_eq!(cache.menu().unwrap()[0].title, "About");
        cache.invalidate(&crate::db::changes::Changes::everything());
        assert!(cache.menu().is_none());
        // A read that began before the change finishes after it.
        cache.keep_menu(before, vec![link("About")]);
        assert!(cache.menu().is_none());
        cache.keep_menu(cache.generation(), vec![link("Colophon")]);
        assert_eq!(cache.menu().unwrap()[0].title, "Colophon");
    }
}
