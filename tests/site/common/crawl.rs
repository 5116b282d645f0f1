//! Every page a reader can reach, as a crawler would find them: the home
//! page, the feeds, the sitemap's pages, and every page those link to on
//! this site, breadth first. Searches and static files are left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{TestResponse, TestSite};

/// The site's base URL in tests.
const BASE: &str = "https://films.example";

/// Every page, by path, as `site` answers it.
pub async fn every_page(site: &TestSite) -> BTreeMap<String, TestResponse> {
    let sitemap = site.get("/sitemap.xml").await.body;
    let document = roxmltree::Document::parse(&sitemap).expect("the sitemap is XML");
    let mut queue: VecDeque<String> = [
        "/",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/robots.txt",
        "/tags",
        "/stats",
    ]
    .into_iter()
    .map(str::to_string)
    .chain(
        document
            .descendants()
            .filter(|node| node.has_tag_name("loc"))
            .filter_map(|node| node.text()?.strip_prefix(BASE).map(str::to_string)),
    )
    .collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut pages = BTreeMap::new();
    let links = scraper::Selector::parse("a[href]").unwrap();
    while let Some(path) = queue.pop_front() {
        let response = site.get(&path).await;
        if response
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("text/html"))
        {
            for link in response.html().select(&links) {
                let href = link.value().attr("href").unwrap_or_default();
                let href = href.strip_prefix(BASE).unwrap_or(href);
                let href = href.split('#').next().unwrap_or_default();
                let internal = href.starts_with('/') && !href.starts_with("//");
                if internal
                    && !href.starts_with("/search")
                    && !href.starts_with("/static/")
                    && seen.insert(href.to_string())
                {
                    queue.push_back(href.to_string());
                }
            }
        }
        pages.insert(path, response);
    }
    pages
}
