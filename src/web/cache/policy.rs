//! How long browsers and shared caches may keep a response, as a type
//! rather than a header string written in each handler: a handler names
//! the policy, and this module alone spells out the `Cache-Control` value,
//! so a typo cannot reach a client and the values the README promises are
//! written once.
//!
//! The page cache reads the header back to learn whether it may keep a
//! response (`no-store` opts out), so that handlers and the layers around
//! them need no second channel to say so.

use std::convert::Infallible;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponseParts, ResponseParts};

/// A response's `Cache-Control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CachePolicy {
    /// Never kept anywhere, by the page cache either: health checks, the
    /// status page, error pages.
    NoStore,
    /// Pages: a minute, then the ETag makes each revisit a 304. The page
    /// cache gives it to every page whose handler names no policy. Shared
    /// caches (a CDN, nginx's `proxy_cache`) are told the same lifetime
    /// with `s-maxage`, may serve a stale copy for as long again while
    /// they fetch the new one (`stale-while-revalidate`), and for a day if
    /// every instance is down (`stale-if-error`): readers never wait on a
    /// revalidation, and an edit shows within two minutes at worst.
    ForAMinute,
    /// Five minutes, for feeds (shared caches as for pages).
    ForFiveMinutes,
    /// An hour: the sitemap, robots.txt and files under their own names
    /// (shared caches as for pages).
    ForAnHour,
    /// A year, never revalidated: files under a fingerprinted name, which
    /// changes whenever the file does.
    Immutable,
}

impl CachePolicy {
    /// The one place a policy becomes its header value.
    fn header_value(self) -> &'static str {
        match self {
            CachePolicy::NoStore => "no-store",
            CachePolicy::ForAMinute => {
                "public, max-age=60, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400"
            }
            CachePolicy::ForFiveMinutes => {
                "public, max-age=300, s-maxage=300, stale-while-revalidate=300, stale-if-error=86400"
            }
            CachePolicy::ForAnHour => {
                "public, max-age=3600, s-maxage=3600, stale-while-revalidate=3600, stale-if-error=86400"
            }
            CachePolicy::Immutable => "public, max-age=31536000, immutable",
        }
    }
}

impl From<CachePolicy> for HeaderValue {
    fn from(policy: CachePolicy) -> Self {
        HeaderValue::from_static(policy.header_value())
    }
}

/// Lets a handler return the policy beside its body:
/// `(CachePolicy::NoStore, "ok\n")`.
impl IntoResponseParts for CachePolicy {
    type Error = Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Infallible> {
        parts
            .headers_mut()
            .insert(header::CACHE_CONTROL, self.into());
        Ok(parts)
    }
}

/// Whether a response's `Cache-Control` forbids keeping it.
pub(super) fn forbids_storing(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("no-store"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn each_policy_sends_the_header_the_readme_promises() {
        for (policy, value) in [
            (CachePolicy::NoStore, "no-store"),
            (
                CachePolicy::ForAMinute,
                "public, max-age=60, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400",
            ),
            (
                CachePolicy::ForFiveMinutes,
                "public, max-age=300, s-maxage=300, stale-while-revalidate=300, stale-if-error=86400",
            ),
            (
                CachePolicy::ForAnHour,
                "public, max-age=3600, s-maxage=3600, stale-while-revalidate=3600, stale-if-error=86400",
            ),
            (
                CachePolicy::Immutable,
                "public, max-age=31536000, immutable",
            ),
        ] {
            let response = (policy, "body").into_response();
            assert_eq!(response.headers()[header::CACHE_CONTROL], value);
            assert_eq!(
                forbids_storing(response.headers()),
                policy == CachePolicy::NoStore,
                "{policy:?}"
            );
        }
    }

    #[test]
    fn a_response_without_a_policy_may_be_kept() {
        assert!(!forbids_storing(&HeaderMap::new()));
    }
}
