//! Every page, feed and sitemap is rendered once per content version and
//! then served from memory, with its ETag and Last-Modified. Its gzip and
//! brotli forms are made the first time a client asks for each, then kept
//! too. This is what lets a dynamic site answer as fast as a static file
//! server.
//!
//! One job to a module, in the order a request meets them:
//! - `middleware`: where the cache sits, what it answers and what it keeps;
//! - `key`: what a page is kept under (its route's own query parameters);
//! - `flight`: one render at a time per page, the other requests that
//!   miss it waiting for that render;
//! - `store`: the pages, bounded by bytes, and the generation that retires
//!   them all at a content change (`menu` keeps the navigation beside them);
//! - `spill`: the pages memory lets go, kept on disk beside the database
//!   until a change drops them, so that a miss on them is a file read;
//! - `page`: a rendered response turned into a page to send many times;
//! - `respond`: a kept page sent as a request asks for it, using
//!   `conditional` (ETag, If-None-Match, If-Modified-Since: 304s),
//!   `negotiate` (Accept-Encoding) and `compress`;
//! - `policy`: the typed `Cache-Control` every handler names.

mod compress;
mod conditional;
mod flight;
mod key;
mod menu;
mod middleware;
mod negotiate;
mod page;
mod policy;
mod respond;
mod spill;
mod store;

pub(crate) use conditional::{clamp_last_modified, if_modified_since, none_match};
pub(crate) use key::RouteParams;
pub(crate) use middleware::{Shows, in_front, mark_cacheable};
pub(crate) use policy::CachePolicy;
pub(crate) use spill::spill_dir;
pub use store::PageCache;
