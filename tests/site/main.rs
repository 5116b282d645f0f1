//! Marquee's integration tests, built as one test binary.
//!
//! Each file here tells one person's story with the site (a reader, an
//! editor, a subscriber, an operator); `common` is the real site they all
//! run against. They share one binary on purpose: every test binary links
//! the whole of Marquee with its search engine, codecs and renderer, and
//! twenty-three of them took more than ten gigabytes of disk and most of a
//! CI run's build time. Run one story with `cargo test --test site feeds::`.

mod common;

mod caching;
mod cards;
mod content_errors;
mod diary;
mod editing;
mod embeds;
mod feeds;
mod films;
mod full_disk;
mod http;
mod images;
mod importing;
mod instances;
mod lists;
mod metrics;
mod publishing;
mod reading;
mod rebuilding;
mod robustness;
mod search;
mod security;
mod startup;
mod startup_announcements;
mod watching;
