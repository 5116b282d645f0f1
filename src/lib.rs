//! Marquee: a server-rendered film review blog. Markdown files in
//! `content/` are loaded into SQLite and served as pages and feeds.
//!
//! The pipeline reads top to bottom in the source tree: `content` (files to
//! validated documents, and the sync and watcher that keep the database in
//! line), `db` (the SQL), `web` (routes, pages, caching), `render` (what the
//! templates share), `config` (the command line) and `server` (wiring).

pub mod clock;
pub mod config;
pub mod content;
#[cfg(feature = "generate")]
pub mod corpus;
pub mod db;
pub mod error;
pub mod render;
pub mod server;
pub mod web;

pub use web::{AppState, router};
