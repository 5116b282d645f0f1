//! Several instances behind one load balancer or CDN: started at different
//! times on the same `content/`, each with its own database, they serve the
//! very same bytes with the very same validators, so a cache in front never
//! sees an ETag or a Last-Modified flap between them.

use crate::common;

use std::time::Duration;

use common::crawl::every_page;
use common::{NOW, TestSite};

/// Sets the modification time of every file and folder under `dir`, as a
/// copy that keeps times (`rsync -a`, a shared volume) shows them to every
/// instance.
fn set_times(dir: &std::path::Path, to: std::time::SystemTime) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            set_times(&entry.path(), to);
        } else {
            std::fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap()
                .set_modified(to)
                .unwrap();
        }
    }
    std::fs::File::open(dir).unwrap().set_modified(to).unwrap();
}

#[tokio::test]
async fn two_instances_on_the_same_files_serve_identical_pages_and_validators() {
    // The files were written before either instance started: the first
    // starts on them with an empty database.
    let first = TestSite::sample().await;
    let written = std::time::SystemTime::from(NOW - time::Duration::days(2));
    set_times(first.content(), written);
    let first = first
        .restart(|args| std::fs::remove_file(&args.db).unwrap())
        .await;
    // Started three hours later, with a database of its own.
    let second = first.another_instance(Duration::from_secs(3 * 3600)).await;
    let one = every_page(&first).await;
    let two = every_page(&second).await;
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>(),
        "the same pages"
    );
    assert!(one.len() > 20, "crawled {} pages", one.len());
    for (path, page) in &one {
        let other = &two[path];
        assert_eq!(page.status, other.status, "{path}");
        assert!(page.body == other.body, "{path}: the bodies differ");
        for header in ["etag", "last-modified", "content-type", "cache-control"] {
            assert_eq!(
                page.header(header),
                other.header(header),
                "{path}: {header}"
            );
        }
    }
}

#[tokio::test]
async fn removing_a_review_moves_the_listings_last_modified_on() {
    let site = TestSite::sample().await;
    let written = std::time::SystemTime::from(NOW - time::Duration::days(2));
    set_times(site.content(), written);
    let site = site
        .restart(|args| std::fs::remove_file(&args.db).unwrap())
        .await;
    let modified = |response: &common::TestResponse| {
        httpdate::parse_http_date(response.header("last-modified").unwrap()).unwrap()
    };
    let before = modified(&site.get("/").await);
    // The newest sample review was published before its file was written.
    assert_eq!(before, written);
    // No file is newer after a removal, but its folder is.
    site.remove("reviews/paper-lanterns.md");
    site.sync_everything().await;
    let after = modified(&site.get("/").await);
    assert!(after > before, "{after:?} after {before:?}");
}
