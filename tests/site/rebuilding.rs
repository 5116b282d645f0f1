//! The files are the truth: whatever happened live, deleting the database
//! and starting again gives the very same site, and `marquee check` tells
//! the same story. Each test syncs changes into a running site, takes every
//! page it serves, rebuilds the database from scratch and compares.

use crate::common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::{Options, TestSite, text_of};

/// Every page's status and body.
async fn every_page(site: &TestSite) -> BTreeMap<String, (StatusCode, String)> {
    common::crawl::every_page(site)
        .await
        .into_iter()
        .map(|(path, response)| (path, (response.status, response.body)))
        .collect()
}

/// The content errors a site shows on its status page, as text.
async fn errors_shown(site: &TestSite) -> Vec<String> {
    marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// What `marquee check` says of the same folder.
fn errors_checked(site: &TestSite) -> Vec<String> {
    marquee::content::check(site.content())
        .unwrap()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Deletes the database and starts again on the same files.
async fn rebuilt(site: TestSite) -> TestSite {
    let site = site
        .restart(|args| {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", args.db.display()));
            }
        })
        .await;
    assert!(
        site.site.initial.documents_changed > 0,
        "the database was rebuilt"
    );
    site
}

/// Takes every page and the errors of the live site, rebuilds it, and
/// checks that nothing differs, and that `check` agrees with both.
async fn assert_rebuild_gives_the_same_site(site: TestSite) -> TestSite {
    let live = every_page(&site).await;
    let live_errors = errors_shown(&site).await;
    assert_eq!(
        errors_checked(&site),
        live_errors,
        "check agrees with the live site"
    );
    let site = rebuilt(site).await;
    let again = every_page(&site).await;
    assert_eq!(
        live.keys().collect::<Vec<_>>(),
        again.keys().collect::<Vec<_>>(),
        "the same pages"
    );
    for (path, page) in &live {
        assert_eq!(page, &again[path], "{path} differs after a rebuild");
    }
    assert_eq!(errors_shown(&site).await, live_errors);
    site
}

fn anora_take(title: &str, published: &str, slug: Option<&str>) -> String {
    let slug = slug
        .map(|slug| format!("slug: {slug}\n"))
        .unwrap_or_default();
    format!(
        "---\ntitle: {title}\nfilm:\n  title: Anora\n  year: 2024\n{slug}published: {published}\n---\n{title}, in full.\n"
    )
}

async fn headline(site: &TestSite, path: &str) -> Option<String> {
    let response = site.get(path).await;
    (response.status == StatusCode::OK)
        .then(|| text_of(&response.html(), "h1"))
        .flatten()
}

#[tokio::test]
async fn a_file_whose_name_differs_only_in_case_is_the_same_slug_live_and_rebuilt() {
    let site = TestSite::sample().await;
    // The sample's anora.md is live; `Anora.md` is published the same day
    // and its path sorts first, so it takes the slug, live as on a rebuild.
    site.write(
        "reviews/Anora.md",
        &anora_take("Anora, capitalised", "2024-10-18", None),
    );
    site.sync_everything().await;
    assert_eq!(
        headline(&site, "/reviews/anora").await.as_deref(),
        Some("Anora, capitalised")
    );
    let errors = errors_shown(&site).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("reviews/anora.md: field `slug`:")
            && errors[0].contains("reviews/Anora.md"),
        "{errors:?}"
    );
    assert_rebuild_gives_the_same_site(site).await;
}

#[tokio::test]
async fn a_later_second_take_never_takes_the_slug_and_an_earlier_one_always_does() {
    let site = TestSite::sample().await;
    site.write(
        "reviews/anora-second-take.md",
        &anora_take("Second take", "2025-06-01", Some("anora")),
    );
    site.sync_everything().await;
    assert_eq!(
        headline(&site, "/reviews/anora").await.as_deref(),
        Some("An anti-Fairytale of New York")
    );
    let errors = errors_shown(&site).await;
    assert_eq!(
        errors,
        [
            "reviews/anora-second-take.md:6: field `slug`: the slug `anora` is already used by \
          reviews/anora.md, which was published earlier; give this file another `slug`"
        ]
    );
    let site = assert_rebuild_gives_the_same_site(site).await;

    // An earlier review claiming the slug takes it from the one that had
    // it, live: the old holder is unpublished and told why.
    site.write(
        "reviews/anora-first-look.md",
        &anora_take("First look", "2024-05-01", Some("anora")),
    );
    site.sync_everything().await;
    assert_eq!(
        headline(&site, "/reviews/anora").await.as_deref(),
        Some("First look")
    );
    let errors = errors_shown(&site).await;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|error| error.contains("reviews/anora-first-look.md")),
        "both others name the winner: {errors:?}"
    );
    let site = assert_rebuild_gives_the_same_site(site).await;

    // When the winner goes, the next claim in line gets the slug back.
    site.remove("reviews/anora-first-look.md");
    site.sync_everything().await;
    assert_eq!(
        headline(&site, "/reviews/anora").await.as_deref(),
        Some("An anti-Fairytale of New York")
    );
    assert_eq!(errors_shown(&site).await.len(), 1);
    assert_rebuild_gives_the_same_site(site).await;
}

#[tokio::test]
async fn a_slug_clash_among_pages_goes_to_the_first_path() {
    let page = |title: &str| format!("---\ntitle: {title}\nslug: colophon\n---\nHow it is made.\n");
    let site = TestSite::build(
        Options::default(),
        &[("pages/zz-colophon.md", &page("Later colophon"))],
    )
    .await;
    site.write("pages/a-colophon.md", &page("First colophon"));
    site.sync_everything().await;
    assert_eq!(
        headline(&site, "/colophon").await.as_deref(),
        Some("First colophon")
    );
    assert_rebuild_gives_the_same_site(site).await;
}
