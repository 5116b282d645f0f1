//! The live site settings: what the sync last read from `site.toml`, with
//! `--base-url` or the address served filled in, shared by the sync (which
//! replaces them) and every request (which reads them).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Site;

/// The live site settings, shared by the sync (which replaces them when
/// `site.toml` changes) and the web layer (which reads them per request).
#[derive(Debug, Clone)]
pub struct SiteCell {
    current: std::sync::Arc<std::sync::RwLock<std::sync::Arc<Site>>>,
    /// `--base-url` wins over the file, so that one content folder can be
    /// served at several addresses.
    base_url_override: Option<String>,
    /// The address being served, for a site whose file does not say where
    /// it lives: links then lead somewhere that answers, not to a default
    /// port nothing listens on.
    served_url: String,
}

impl SiteCell {
    /// `served` is the address actually listened on (a port 0 already
    /// replaced by the real one), known before anything renders a link.
    pub fn new(base_url_override: Option<String>, served: SocketAddr) -> Self {
        let base_url_override =
            base_url_override.map(|url| url.trim().trim_end_matches('/').to_string());
        let cell = Self {
            current: Default::default(),
            base_url_override,
            served_url: served_url(served),
        };
        cell.set(Site::default());
        cell
    }

    /// The settings in force, with the base URL already decided (the
    /// override, the file's, or the served address). An `Arc`, so a caller
    /// keeps one whole version however `site.toml` changes meanwhile.
    pub fn get(&self) -> std::sync::Arc<Site> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings; returns whether anything changed.
    pub(crate) fn set(&self, site: Site) -> bool {
        let site = self.effective(site);
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if **current == site {
            return false;
        }
        *current = std::sync::Arc::new(site);
        true
    }

    /// Whether links (canonical, feeds, sitemap) point at the machine
    /// Marquee runs on, where nobody else can follow them: worth a warning
    /// at start, as it is right only while trying a site out.
    pub(crate) fn links_to_loopback(&self) -> bool {
        let site = self.get();
        let Ok(url) = url::Url::parse(&site.base_url) else {
            return false;
        };
        match url.host() {
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|ip| ip.is_loopback())
            }
            None => false,
        }
    }

    fn effective(&self, mut site: Site) -> Site {
        if let Some(url) = &self.base_url_override {
            site.base_url.clone_from(url);
        } else if site.base_url.is_empty() {
            site.base_url.clone_from(&self.served_url);
        }
        site
    }
}

/// The base URL of a listening address. One that listens everywhere
/// (`0.0.0.0`, `::`) is reached on this machine through loopback.
fn served_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if !ip.is_unspecified() => ip,
        IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(base_url_override: Option<&str>, served: &str) -> SiteCell {
        SiteCell::new(
            base_url_override.map(str::to_string),
            served.parse().unwrap(),
        )
    }

    fn file(base_url: &str) -> Site {
        Site::parse(&format!("base_url = \"{base_url}\"")).unwrap()
    }

    #[test]
    fn without_a_base_url_links_follow_the_address_served() {
        let site = cell(None, "127.0.0.1:4123");
        assert_eq!(site.get().base_url, "http://127.0.0.1:4123");
        site.set(Site::parse("title = \"Reel\"").unwrap());
        assert_eq!(
            site.get().url("/feed.xml"),
            "http://127.0.0.1:4123/feed.xml"
        );
        assert_eq!(cell(None, "[::1]:8080").get().base_url, "http://[::1]:8080");
        assert_eq!(
            cell(None, "0.0.0.0:8080").get().base_url,
            "http://127.0.0.1:8080"
        );
        assert_eq!(cell(None, "[::]:8080").get().base_url, "http://[::1]:8080");
    }

    #[test]
    fn a_file_that_names_a_loopback_address_is_taken_at_its_word() {
        let site = cell(None, "127.0.0.1:4123");
        site.set(file("http://127.0.0.1:3000"));
        assert_eq!(site.get().base_url, "http://127.0.0.1:3000");
        site.set(Site::parse("base_url = \"\"").unwrap());
        assert_eq!(
            site.get().base_url,
            "http://127.0.0.1:4123",
            "empty is unset"
        );
    }

    #[test]
    fn the_file_then_the_flag_win_over_the_address_served() {
        let site = cell(None, "127.0.0.1:4123");
        site.set(file("https://films.example/"));
        assert_eq!(site.get().base_url, "https://films.example");
        let site = cell(Some("https://flag.example/"), "127.0.0.1:4123");
        assert_eq!(site.get().base_url, "https://flag.example");
        site.set(file("https://films.example"));
        assert_eq!(site.get().base_url, "https://flag.example");
    }

    #[test]
    fn knows_a_loopback_base_url() {
        for served in ["127.0.0.1:3000", "127.1.2.3:80", "[::1]:3000", "0.0.0.0:80"] {
            assert!(cell(None, served).links_to_loopback(), "{served}");
        }
        for url in [
            "http://localhost:3000",
            "http://LOCALHOST.",
            "http://films.localhost",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(cell(Some(url), "10.0.0.1:80").links_to_loopback(), "{url}");
        }
        for url in [
            "https://films.example",
            "http://10.0.0.1:3000",
            "http://[2001:db8::1]",
            "http://localhost.example",
        ] {
            assert!(
                !cell(Some(url), "127.0.0.1:80").links_to_loopback(),
                "{url}"
            );
        }
        assert!(!cell(None, "192.168.1.20:3000").links_to_loopback());
    }
}
