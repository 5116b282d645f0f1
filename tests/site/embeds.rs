//! Embedded players: an editor may embed a video with a raw-HTML `<iframe>`
//! when its host is one of `site.toml`'s `embed_hosts`. Readers get only
//! those iframes, sandboxed, and a Content-Security-Policy that lets frames
//! come from those hosts alone; changing the setting re-renders every body.

use crate::common;

use std::time::Duration;

use common::{Options, TestSite, eventually, review};
use scraper::Selector;

const APPLY: Duration = Duration::from_secs(5);

const HOSTS: &str = "embed_hosts = [\"www.youtube-nocookie.com\", \"player.vimeo.com\"]\n";
const FRAME_SRC: &str = "frame-src https://www.youtube-nocookie.com https://player.vimeo.com";
const ALLOWED: &str = "https://www.youtube-nocookie.com/embed/abc123";

fn body() -> String {
    format!(
        "The trailer:\n\n\
         <iframe src=\"{ALLOWED}\" title=\"Trailer\" width=\"560\" height=\"315\" \
         allowfullscreen onload=\"alert(1)\"></iframe>\n\n\
         And a player from elsewhere:\n\n\
         <iframe src=\"https://evil.example/player\" title=\"Elsewhere\"></iframe>\n"
    )
}

fn files() -> Vec<(&'static str, String)> {
    vec![
        ("site.toml", HOSTS.to_string()),
        (
            "reviews/embeds.md",
            review("Embeds", "Embedded Film", "", &body()),
        ),
        (
            "pages/trailers.md",
            format!("---\ntitle: Trailers\n---\n{}", body()),
        ),
    ]
}

async fn build(watch: bool) -> TestSite {
    let files = files();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (*path, text.as_str()))
        .collect();
    let options = Options {
        watch,
        sample_content: false,
        ..Options::default()
    };
    TestSite::build(options, &files).await
}

/// The `src` of every iframe on a page, and the page's CSP.
async fn iframes_and_policy(site: &TestSite, path: &str) -> (Vec<String>, String) {
    let response = site.get(path).await;
    assert_eq!(response.status, 200, "{path}");
    let selector = Selector::parse("iframe").unwrap();
    let sources = response
        .html()
        .select(&selector)
        .map(|iframe| iframe.value().attr("src").unwrap_or("").to_string())
        .collect();
    let policy = response
        .header("content-security-policy")
        .expect("a CSP")
        .to_string();
    (sources, policy)
}

#[tokio::test]
async fn only_iframes_on_allowed_hosts_reach_readers_and_follow_site_toml() {
    let site = build(true).await;
    for path in ["/reviews/embeds", "/trailers"] {
        let (sources, policy) = iframes_and_policy(&site, path).await;
        assert_eq!(sources, [ALLOWED], "{path}");
        assert!(policy.contains(FRAME_SRC), "{path}: {policy}");
        assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
    }
    let page = site.get("/reviews/embeds").await;
    let html = page.html();
    let iframe = html
        .select(&Selector::parse("iframe").unwrap())
        .next()
        .unwrap();
    let attribute = |name| iframe.value().attr(name);
    assert_eq!(attribute("title"), Some("Trailer"));
    assert_eq!(attribute("loading"), Some("lazy"));
    assert_eq!(attribute("onload"), None);
    assert_eq!(
        attribute("sandbox"),
        Some("allow-scripts allow-same-origin allow-popups allow-presentation")
    );
    assert!(attribute("referrerpolicy").is_some());
    assert!(!page.body.contains("evil.example"), "{}", page.body);
    // Pages without embeds carry the same policy: it is the site's.
    let (_, policy) = iframes_and_policy(&site, "/").await;
    assert!(policy.contains(FRAME_SRC), "{policy}");

    // Feeds link to the player instead of embedding it.
    let feed = site.get("/feed.xml").await;
    assert!(
        feed.body
            .contains(&format!("<a href=\"{ALLOWED}\">Trailer</a>")),
        "{}",
        feed.body
    );
    assert!(!feed.body.contains("iframe") && !feed.body.contains("evil.example"));

    // Taking the hosts away removes the iframe and the frame-src, live.
    site.write("site.toml", "title = \"No embeds\"\n");
    for path in ["/reviews/embeds", "/trailers"] {
        eventually(APPLY, "the iframe and frame-src to go", || async {
            let (sources, policy) = iframes_and_policy(&site, path).await;
            (sources.is_empty() && !policy.contains("frame-src")).then_some(())
        })
        .await;
    }
    let page = site.get("/reviews/embeds").await.body;
    assert!(
        page.contains("The trailer:") && !page.contains("youtube"),
        "{page}"
    );

    // And giving them back brings it back.
    site.write("site.toml", HOSTS);
    eventually(APPLY, "the iframe and frame-src to return", || async {
        let (sources, policy) = iframes_and_policy(&site, "/reviews/embeds").await;
        (sources == [ALLOWED] && policy.contains(FRAME_SRC)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_change_made_while_the_server_was_down_applies_on_start() {
    let site = build(false).await;
    assert_eq!(
        iframes_and_policy(&site, "/reviews/embeds").await.0,
        [ALLOWED]
    );
    let site = site
        .restart(|args| common::write_file(&args.content.join("site.toml"), "per_page = 5\n"))
        .await;
    let (sources, policy) = iframes_and_policy(&site, "/reviews/embeds").await;
    assert!(sources.is_empty(), "{sources:?}");
    assert!(!policy.contains("frame-src"), "{policy}");

    let site = site
        .restart(|args| common::write_file(&args.content.join("site.toml"), HOSTS))
        .await;
    let (sources, policy) = iframes_and_policy(&site, "/trailers").await;
    assert_eq!(sources, [ALLOWED]);
    assert!(policy.contains(FRAME_SRC), "{policy}");

    // A restart with the same hosts renders nothing again.
    let site = site.restart(|_| {}).await;
    assert_eq!(site.site.initial.documents_changed, 0);
    assert_eq!(
        iframes_and_policy(&site, "/reviews/embeds").await.0,
        [ALLOWED]
    );
}

#[tokio::test]
async fn a_bad_embed_host_is_reported_and_the_last_good_settings_stay() {
    let site = build(false).await;
    site.write("site.toml", "embed_hosts = [\"https://evil.example\"]\n");
    let report = site.sync_everything().await;
    let error = report
        .new_errors
        .iter()
        .find(|error| error.path == "site.toml")
        .expect("site.toml reported");
    assert_eq!(error.field.as_deref(), Some("embed_hosts"));
    let (sources, policy) = iframes_and_policy(&site, "/reviews/embeds").await;
    assert_eq!(sources, [ALLOWED]);
    assert!(policy.contains(FRAME_SRC), "{policy}");
}
