//! Marquee: a server-rendered film review blog. Markdown files in
//! `content/` are loaded into SQLite and served as pages and feeds.
//!
//! The pipeline reads in the source tree: `content` (files to validated
//! documents, and the plan of what changed), `db` (the SQL and the sync
//! transaction), `publish` (the syncer, watcher and scheduler), `web`
//! (routes, pages, caching), `render` (what the templates share), `cards` (share cards), `config`
//! (the command line) and `server` (wiring). ARCHITECTURE.md draws it.

mod announce;
pub mod cards;
pub mod clock;
pub mod config;
pub mod content;
#[cfg(feature = "generate")]
pub mod corpus;
pub mod db;
pub mod error;
pub(crate) mod images;
pub mod letterboxd;
pub mod publish;
pub(crate) mod render;
pub mod search;
pub mod server;
pub mod web;

pub use web::{AppState, router};
