//! What every page shares: the data `templates/base.html` needs for the
//! head (title, description, canonical URL, social cards, feed discovery)
//! and for the header and footer (site name, menu, search box).

use std::sync::Arc;

use sqlx::SqliteConnection;

use crate::content::site::Site;
use crate::db;
use crate::db::pages::MenuLink;

use super::AppState;
use super::error::AppError;

/// The parts of the site the header links to, so that it can mark the one
/// a page belongs to (`aria-current`) and leave out its own search box on
/// the search page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Home,
    Tags,
    Stats,
    Search,
    /// A standalone page (the menu marks it by its address).
    Page,
    Other,
}

impl Section {
    /// For the templates: `chrome.section.is_home()` and so on.
    pub(crate) fn is_home(self) -> bool {
        self == Section::Home
    }

    pub(crate) fn is_tags(self) -> bool {
        self == Section::Tags
    }

    pub(crate) fn is_stats(self) -> bool {
        self == Section::Stats
    }

    pub(crate) fn is_search(self) -> bool {
        self == Section::Search
    }
}

/// The picture a shared link unfurls with (`og:image` and its size and
/// text alternative): a share card, absolute as OpenGraph requires.
#[derive(Debug, Clone)]
pub(crate) struct OgImage {
    pub(crate) url: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) alt: String,
}

/// A `<link rel="alternate">` to a feed.
#[derive(Debug, Clone)]
pub(crate) struct FeedLink {
    pub(crate) mime: &'static str,
    pub(crate) title: String,
    pub(crate) href: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub(crate) site: Arc<Site>,
    pub(crate) menu: Vec<MenuLink>,
    /// The full `<title>`, unique per page.
    pub(crate) title: String,
    pub(crate) description: String,
    /// The page's own path (`/reviews/anora`), for the canonical URL.
    pub(crate) path: String,
    pub(crate) canonical: String,
    pub(crate) stylesheet: String,
    /// OpenGraph type: `article` for reviews, `website` otherwise.
    pub(crate) og_type: &'static str,
    pub(crate) og_image: Option<OgImage>,
    pub(crate) feeds: Vec<FeedLink>,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    /// Search results and error pages should not be indexed.
    pub(crate) noindex: bool,
    /// Which top-level section to mark as current in the navigation. The
    /// header leaves out its search box on the search page, which has its own.
    pub(crate) section: Section,
    /// OpenGraph wants `en_GB` where HTML wants `en-GB`.
    pub(crate) og_locale: String,
}

impl Chrome {
    /// The chrome for the page at `path`, titled `title` (the site name is
    /// appended, except on the home page which passes `None`).
    pub(crate) async fn new(
        state: &AppState,
        conn: &mut SqliteConnection,
        path: &str,
        title: Option<&str>,
        description: &str,
    ) -> Result<Self, AppError> {
        let site = state.site.get();
        let menu = db::pages::menu(conn).await?;
        Ok(Self::with_menu(state, site, menu, path, title, description))
    }

    /// For a page that reads once, outside a transaction (search): the
    /// menu comes from the page cache's copy for the current content, and is
    /// read (then kept) when there is none. Between a sync's commit and the
    /// cache's invalidation, that copy may be one sync older than the rest
    /// of the page, as cached pages are.
    pub(crate) async fn with_kept_menu(
        state: &AppState,
        path: &str,
        title: Option<&str>,
        description: &str,
    ) -> Result<Self, AppError> {
        let menu = match state.cache.menu() {
            Some(menu) => menu,
            None => {
                let generation = state.cache.generation();
                let menu = db::pages::menu(&state.db).await?;
                state.cache.keep_menu(generation, menu.clone());
                menu
            }
        };
        let site = state.site.get();
        Ok(Self::with_menu(state, site, menu, path, title, description))
    }

    /// Without a database read: for error pages, which must render even
    /// when the database is the problem.
    pub(crate) fn with_menu(
        state: &AppState,
        site: Arc<Site>,
        menu: Vec<MenuLink>,
        path: &str,
        title: Option<&str>,
        description: &str,
    ) -> Self {
        let full_title = match title {
            Some(title) => format!("{title} — {}", site.title),
            None if site.tagline.is_empty() => site.title.clone(),
            None => format!("{} — {}", site.title, site.tagline),
        };
        let description = if description.trim().is_empty() {
            site.tagline.clone()
        } else {
            description.trim().to_string()
        };
        let feeds = vec![
            FeedLink {
                mime: "application/rss+xml",
                title: format!("{} (RSS)", site.title),
                href: "/feed.xml".into(),
            },
            FeedLink {
                mime: "application/atom+xml",
                title: format!("{} (Atom)", site.title),
                href: "/atom.xml".into(),
            },
            FeedLink {
                mime: "application/feed+json",
                title: format!("{} (JSON Feed)", site.title),
                href: "/feed.json".into(),
            },
        ];
        Self {
            canonical: site.url(path),
            menu,
            title: full_title,
            description: truncate_words(&description, 300),
            path: path.to_string(),
            stylesheet: state.assets.url("style.css"),
            og_type: "website",
            og_image: None,
            feeds,
            prev: None,
            next: None,
            noindex: false,
            section: Section::Other,
            og_locale: site.language.replace('-', "_"),
            site,
        }
    }

    /// An absolute URL on this site.
    pub(crate) fn url(&self, path: &str) -> String {
        self.site.url(path)
    }
}

/// Shortens text at a word boundary, for meta descriptions.
fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::truncate_words;

    #[test]
    fn truncates_at_a_word() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 10), "one two…");
    }
}
