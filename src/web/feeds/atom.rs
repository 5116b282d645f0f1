//! Atom 1.0, written by `atom_syndication`.

use atom_syndication::{FixedDateTime, Person, Text};
use time::OffsetDateTime;

use super::{Entry, Feed};
use crate::web::error::AppError;

pub(super) fn atom_link(rel: &str, href: &str, mime_type: &str) -> atom_syndication::Link {
    atom_syndication::Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime_type.to_string()),
        ..Default::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Default::default()
    }
}

fn atom_time(moment: OffsetDateTime) -> FixedDateTime {
    chrono::DateTime::from_timestamp(moment.unix_timestamp(), 0)
        .unwrap_or_default()
        .fixed_offset()
}

pub(super) fn write(feed: &Feed) -> Result<Vec<u8>, AppError> {
    let atom = atom_syndication::Feed {
        title: Text::plain(feed.title.as_str()),
        id: feed.home_url.clone(),
        updated: atom_time(feed.modified),
        authors: vec![person(&feed.author)],
        links: vec![
            atom_link("alternate", &feed.home_url, "text/html"),
            atom_link("self", &feed.self_url, "application/atom+xml"),
        ],
        subtitle: Some(Text::plain(feed.description.as_str())),
        lang: Some(feed.language.clone()),
        entries: feed.entries.iter().map(atom_entry).collect(),
        ..Default::default()
    };
    atom.write_to(Vec::new())
        .map_err(|error| AppError::Feed(format!("Atom: {error}")))
}

fn atom_entry(entry: &Entry) -> atom_syndication::Entry {
    atom_syndication::Entry {
        title: Text::plain(entry.title.as_str()),
        id: entry.url.clone(),
        updated: atom_time(entry.updated.unwrap_or(entry.published)),
        published: Some(atom_time(entry.published)),
        authors: vec![person(&entry.author)],
        categories: entry
            .tags
            .iter()
            .map(|name| atom_syndication::Category {
                term: name.clone(),
                ..Default::default()
            })
            .collect(),
        links: vec![atom_link("alternate", &entry.url, "text/html")],
        summary: Some(Text::plain(entry.summary.as_str())),
        content: Some(atom_syndication::Content {
            value: Some(entry.content_html.clone()),
            content_type: Some("html".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}
