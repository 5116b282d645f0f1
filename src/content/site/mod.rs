//! Site settings from `content/site.toml`: what the site is called, who
//! writes it and where it lives. Editors change them like any content file,
//! and a broken version keeps the last good settings.

mod cell;

use serde::Deserialize;

use super::error::ContentError;
use super::fields::strip_controls;
use super::front_matter;
pub use cell::SiteCell;

/// The settings file, relative to the content directory.
pub(crate) const SITE_FILE: &str = "site.toml";

/// The settings in `content/site.toml`, every one optional: a missing file
/// or field takes the default below. Unknown fields are errors, as in front
/// matter, so a misspelt setting is reported rather than ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Site {
    /// The site's name, in the header, titles and feeds.
    pub(crate) title: String,
    /// A line under the title and the feeds' description.
    pub(crate) tagline: String,
    /// The default author of reviews.
    pub author: String,
    /// The public address, used for canonical links, feeds and the sitemap.
    /// `--base-url` overrides it; empty (not set) means the address the
    /// server listens on, which `SiteCell` fills in.
    pub(crate) base_url: String,
    /// A BCP 47 language tag for `<html lang>` and feeds.
    pub(crate) language: String,
    /// How many reviews the feeds carry.
    pub(crate) feed_items: u32,
    /// How many reviews a listing page shows.
    pub per_page: u32,
    /// Hosts whose players a review or page may embed with a raw-HTML
    /// `<iframe src="https://host/...">` (`player.vimeo.com`). Empty: every
    /// iframe is removed. Each host also goes into the Content-Security-
    /// Policy's `frame-src`, so that browsers load frames from nowhere else.
    pub(crate) embed_hosts: Vec<String>,
}

impl Default for Site {
    fn default() -> Self {
        Self {
            title: "Marquee".into(),
            tagline: "Film reviews".into(),
            author: "Marquee".into(),
            base_url: String::new(),
            language: "en".into(),
            feed_items: 20,
            per_page: 10,
            embed_hosts: Vec::new(),
        }
    }
}

impl Site {
    /// Reads `site.toml`. Every error names the field and its line, as for
    /// front matter; text settings are cleaned of control characters as
    /// reviews are, since they appear on every page.
    pub(crate) fn parse(text: &str) -> Result<Self, ContentError> {
        let mut site: Site = front_matter::from_toml(text).map_err(|error| {
            ContentError::new(SITE_FILE, error.reason)
                .at_line(error.line)
                .in_field(error.field)
        })?;
        for setting in [&mut site.title, &mut site.tagline, &mut site.author] {
            *setting = strip_controls(setting).into_owned();
        }
        site.base_url = site.base_url.trim().trim_end_matches('/').to_string();
        let file = front_matter::toml_file(text);
        let invalid = |field: &str, reason: &str| {
            ContentError::new(SITE_FILE, reason)
                .at_line(front_matter::line_of_field(&file, field))
                .in_field(field)
        };
        let set = !site.base_url.is_empty();
        if set && !(site.base_url.starts_with("http://") || site.base_url.starts_with("https://")) {
            return Err(invalid("base_url", "must start with http:// or https://"));
        }
        if !(1..=500).contains(&site.feed_items) {
            return Err(invalid("feed_items", "must be between 1 and 500"));
        }
        if !(1..=200).contains(&site.per_page) {
            return Err(invalid("per_page", "must be between 1 and 200"));
        }
        if site.language.trim().is_empty() {
            return Err(invalid(
                "language",
                "is empty; write a language tag such as en-GB",
            ));
        }
        let mut hosts = Vec::with_capacity(site.embed_hosts.len());
        for host in &site.embed_hosts {
            let host = host.trim().to_ascii_lowercase();
            if !is_plain_host(&host) {
                return Err(invalid(
                    "embed_hosts",
                    &format!(
                        "`{host}` is not a host name: write only the host, like \
                         `player.vimeo.com` (no scheme, port, path or wildcard)"
                    ),
                ));
            }
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        site.embed_hosts = hosts;
        Ok(site)
    }

    /// The absolute URL of a site path (`/reviews/anora`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// A DNS name of letters, digits, hyphens and dots (`www.youtube-nocookie.com`),
/// as browsers compare it once a URL is parsed. Anything else (a scheme, a
/// port, `*.example`, a space) would mean something else inside the
/// Content-Security-Policy, or never match, so it is refused rather than
/// guessed at. International names are written in their `xn--` form.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_defaults() {
        let site = Site::parse("title = \"Reel\"\nbase_url = \"https://reel.example/\"").unwrap();
        assert_eq!(site.title, "Reel");
        assert_eq!(site.base_url, "https://reel.example");
        assert_eq!(site.feed_items, 20);
        assert_eq!(site.url("/feed.xml"), "https://reel.example/feed.xml");
    }

    #[test]
    fn reports_bad_settings() {
        let error = Site::parse("title = \"A\"\nper_page = 0\n").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("per_page"));
        let error = Site::parse("title = \n").unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(Site::parse("colour = 1").is_err());
    }

    #[test]
    fn a_wrong_type_names_its_field_and_line() {
        let error = Site::parse("title = \"A\"\nper_page = \"ten\"\n").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("per_page"));
        assert_eq!(error.line, Some(2));
        assert_eq!(
            error.reason,
            "found string \"ten\"; write a whole number from 1 to 200"
        );
        let error = Site::parse("title = \"A\"\nfeed_items = 0\n").unwrap_err();
        assert_eq!(
            (error.field.as_deref(), error.line),
            (Some("feed_items"), Some(2))
        );
        let error = Site::parse("titel = \"A\"").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("titel"));
        assert_eq!(error.reason, "unknown field `titel`; did you mean `title`?");
    }

    #[test]
    fn text_settings_lose_control_characters() {
        let site = Site::parse("title = \"Re\\u001Bel\\u0000\"\nauthor = \"A\\u0085\"").unwrap();
        assert_eq!((site.title.as_str(), site.author.as_str()), ("Reel", "A"));
    }

    #[test]
    fn embed_hosts_are_plain_lower_case_host_names() {
        assert!(Site::parse("").unwrap().embed_hosts.is_empty());
        let site = Site::parse(
            "embed_hosts = [\" Player.Vimeo.com \", \"player.vimeo.com\", \"a-b.example\"]",
        )
        .unwrap();
        assert_eq!(site.embed_hosts, ["player.vimeo.com", "a-b.example"]);
        for bad in [
            "https://player.vimeo.com",
            "player.vimeo.com/video",
            "player.vimeo.com:443",
            "*.vimeo.com",
            "user@vimeo.com",
            "vimeo .com",
            "",
            ".vimeo.com",
            "-x.example",
            "'self'",
        ] {
            let error = Site::parse(&format!("\nembed_hosts = [\"{bad}\"]")).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("embed_hosts"), "{bad}");
        }
        let error = Site::parse("embed_hosts = \"player.vimeo.com\"").unwrap_err();
        assert_eq!(error.line, Some(1));
    }
}
