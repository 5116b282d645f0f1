//! RSS 2.0, written by the `rss` crate (with Atom's `self` link and Dublin
//! Core's creator).

use rss::extension::atom::AtomExtension;
use rss::extension::dublincore::DublinCoreExtension;

use super::atom::atom_link;
use super::{Entry, Feed};
use crate::render::filters;
use crate::web::error::AppError;

pub(super) fn write(feed: &Feed) -> Result<Vec<u8>, AppError> {
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        description: feed.description.clone(),
        language: Some(feed.language.clone()),
        last_build_date: Some(filters::rfc2822(&feed.modified)),
        atom_ext: Some(AtomExtension {
            links: vec![atom_link("self", &feed.self_url, "application/rss+xml")],
        }),
        items: feed.entries.iter().map(rss_item).collect(),
        ..Default::default()
    };
    channel
        .write_to(Vec::new())
        .map_err(|error| AppError::Feed(format!("RSS: {error}")))
}

fn rss_item(entry: &Entry) -> rss::Item {
    rss::Item {
        title: Some(entry.title.clone()),
        link: Some(entry.url.clone()),
        // Readers treat `description` as HTML, so the plain-text standfirst
        // is escaped: "Fish & Chips <3" must not become markup.
        description: Some(escape_html(&entry.summary)),
        content: Some(entry.content_html.clone()),
        pub_date: Some(filters::rfc2822(&entry.published)),
        // The crate writes a permalink guid without the attribute, which
        // RSS 2.0 defines as `isPermaLink="true"`.
        guid: Some(rss::Guid {
            value: entry.url.clone(),
            permalink: true,
        }),
        categories: entry
            .tags
            .iter()
            .map(|name| rss::Category {
                name: name.clone(),
                domain: None,
            })
            .collect(),
        // RSS's own `author` must be an e-mail address; `dc:creator` is
        // where readers look for a name.
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![entry.author.clone()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut escaped, text);
    escaped
}
