//! The watcher follows folders, not only files: a `reviews/` folder renamed
//! away and back, swapped for a new one, made unreadable for a while, or
//! the whole content folder replaced by a deploy. Whatever the operating
//! system reports (or fails to), the site ends up as the files say, and a
//! folder that cannot be read is never taken as empty.

use crate::common;

use std::path::Path;
use std::time::Duration;

use axum::http::StatusCode;
use common::{Binary, Options, TestSite, eventually, review, text_of};
use tokio::time::Instant;

/// Folder events are followed within this (a save takes well under a
/// second; a replaced content folder is noticed within one second).
const FOLLOW: Duration = Duration::from_secs(5);

async fn watched(files: &[(&str, &str)]) -> TestSite {
    let options = Options {
        watch: true,
        sample_content: false,
        ..Options::default()
    };
    TestSite::build(options, files).await
}

fn reviews(prefix: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|n| {
            let title = format!("{prefix} {n}");
            (
                format!("reviews/{}-{n}.md", prefix.to_lowercase()),
                review(&title, "Film", "", "Body."),
            )
        })
        .collect()
}

fn as_files(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect()
}

fn url_of(path: &str) -> String {
    let stem = path.trim_start_matches("reviews/").trim_end_matches(".md");
    format!("/reviews/{stem}")
}

async fn headline(site: &TestSite, path: &str) -> Option<String> {
    let response = site.get(path).await;
    (response.status == StatusCode::OK)
        .then(|| text_of(&response.html(), "h1"))
        .flatten()
}

/// How many of `files` are served with their own title.
async fn served(site: &TestSite, files: &[(String, String)]) -> usize {
    let mut count = 0;
    for (path, text) in files {
        let title = text.lines().nth(1).unwrap().trim_start_matches("title: ");
        count += usize::from(headline(site, &url_of(path)).await.as_deref() == Some(title));
    }
    count
}

/// How many review URLs the sitemap lists.
async fn in_sitemap(site: &TestSite) -> usize {
    let sitemap = site.get("/sitemap.xml").await.body;
    let document = roxmltree::Document::parse(&sitemap).unwrap();
    document
        .descendants()
        .filter(|node| node.has_tag_name("loc"))
        .filter(|node| node.text().is_some_and(|url| url.contains("/reviews/")))
        .count()
}

async fn until_served(site: &TestSite, files: &[(String, String)], expected: usize, what: &str) {
    let start = Instant::now();
    eventually(FOLLOW, what, || async {
        (served(site, files).await == expected).then_some(())
    })
    .await;
    println!("{what}: {:?}", start.elapsed());
}

#[tokio::test]
async fn a_reviews_folder_renamed_away_and_back_is_published_again() {
    let files = reviews("Kept", 40);
    let site = watched(&as_files(&files)).await;
    assert_eq!(served(&site, &files).await, 40);
    let content = site.content().to_path_buf();
    std::fs::rename(content.join("reviews"), content.join("reviews.away")).unwrap();
    until_served(&site, &files, 0, "the reviews gone with their folder").await;
    std::fs::rename(content.join("reviews.away"), content.join("reviews")).unwrap();
    until_served(&site, &files, 40, "the reviews back with their folder").await;
    assert_eq!(in_sitemap(&site).await, 40);
    // The folder is followed again: a save in it is published.
    site.write("reviews/later.md", &review("Later", "Film", "", "Body."));
    eventually(FOLLOW, "a save after the folder came back", || async {
        (headline(&site, "/reviews/later").await.as_deref() == Some("Later")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_reviews_folder_swapped_for_a_new_one_publishes_the_new_files() {
    let old = reviews("Old", 10);
    let site = watched(&as_files(&old)).await;
    // The new folder is made outside the content folder, then swapped in
    // as a deploy would: its files were never seen by the watcher.
    let new = reviews("New", 12);
    let staging = site.dir.path().join("staging");
    for (path, text) in &new {
        common::write_file(&staging.join(path), text);
    }
    let content = site.content().to_path_buf();
    std::fs::rename(content.join("reviews"), content.join("reviews.old")).unwrap();
    std::fs::rename(staging.join("reviews"), content.join("reviews")).unwrap();
    until_served(&site, &new, 12, "the new folder's reviews").await;
    assert_eq!(served(&site, &old).await, 0, "the old folder's are gone");
    assert_eq!(in_sitemap(&site).await, 12);
}

#[tokio::test]
async fn a_deploy_that_replaces_the_content_folder_is_followed_and_so_are_later_saves() {
    let old = reviews("Old", 5);
    let site = watched(&as_files(&old)).await;
    let new = reviews("New", 6);
    let incoming = site.dir.path().join("content.new");
    for (path, text) in &new {
        common::write_file(&incoming.join(path), text);
    }
    let content = site.content().to_path_buf();
    let moved_away = site.dir.path().join("content.old");
    std::fs::rename(&content, &moved_away).unwrap();
    std::fs::rename(&incoming, &content).unwrap();
    until_served(&site, &new, 6, "the deployed folder's reviews").await;
    assert_eq!(served(&site, &old).await, 0);

    // Saves in the new folder are followed; the old one is not.
    site.write("reviews/after.md", &review("After", "Film", "", "Body."));
    common::write_file(
        &moved_away.join("reviews/stale.md"),
        &review("Stale", "Film", "", "Body."),
    );
    eventually(FOLLOW, "a save in the deployed folder", || async {
        (headline(&site, "/reviews/after").await.as_deref() == Some("After")).then_some(())
    })
    .await;
    assert_eq!(headline(&site, "/reviews/stale").await, None);
}

#[tokio::test]
async fn a_content_folder_missing_for_a_moment_takes_nothing_down() {
    let files = reviews("Kept", 8);
    let site = watched(&as_files(&files)).await;
    let content = site.content().to_path_buf();
    let away = site.dir.path().join("content.away");
    std::fs::rename(&content, &away).unwrap();
    // While the path names nothing, the syncer says why it cannot publish
    // and the site keeps serving what it had.
    eventually(FOLLOW, "the missing folder reported", || async {
        site.site.syncer.health().problem().map(|_| ())
    })
    .await;
    assert_eq!(served(&site, &files).await, 8, "nothing was unpublished");
    std::fs::rename(&away, &content).unwrap();
    site.write("reviews/back.md", &review("Back", "Film", "", "Body."));
    eventually(FOLLOW, "saves followed once the folder is back", || async {
        (headline(&site, "/reviews/back").await.as_deref() == Some("Back")).then_some(())
    })
    .await;
    assert_eq!(served(&site, &files).await, 8);
    assert_eq!(site.site.syncer.health().problem(), None);
}

#[tokio::test]
async fn the_periodic_rescan_finds_changes_that_no_event_reported() {
    // No file events at all: only the rescan can notice anything.
    let options = Options {
        watch: false,
        sample_content: false,
        rescan_secs: 1,
        ..Options::default()
    };
    let site = TestSite::build(
        options,
        &[("reviews/first.md", &review("First", "Film", "", "Body."))],
    )
    .await;
    site.write("reviews/second.md", &review("Second", "Film", "", "Body."));
    site.write(
        "reviews/first.md",
        &review("First, revised", "Film", "", "Body."),
    );
    eventually(FOLLOW, "the rescan to publish both changes", || async {
        let second = headline(&site, "/reviews/second").await;
        let first = headline(&site, "/reviews/first").await;
        (second.as_deref() == Some("Second") && first.as_deref() == Some("First, revised"))
            .then_some(())
    })
    .await;
}

/// Makes `path` and its parents up to `/` reachable by another user.
fn open_up(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for ancestor in path.ancestors().take_while(|a| a.parent().is_some()) {
        let mode = std::fs::metadata(ancestor).unwrap().permissions().mode();
        if mode & 0o005 != 0o005 {
            let widened = std::fs::Permissions::from_mode(mode | 0o755);
            std::fs::set_permissions(ancestor, widened).unwrap();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn a_reviews_folder_unreadable_for_a_while_keeps_its_reviews_published() {
    // Permissions do not bind root: when the tests run as root, the server
    // runs as `nobody`, so that `chmod 000` means to it what it means to
    // an editor's server.
    let dir = tempfile::tempdir().unwrap();
    let files = reviews("Kept", 20);
    for (path, text) in &files {
        common::write_file(&dir.path().join("content").join(path), text);
    }
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0\n"));
    if as_root {
        open_up(&dir.path().join("content/reviews"));
        for entry in std::fs::read_dir(dir.path().join("content/reviews")).unwrap() {
            set_mode(&entry.unwrap().path(), 0o644);
        }
        std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
    }
    let mut command = common::marquee(dir.path());
    command.args(["serve", "--addr", "127.0.0.1:0", "--status-token", "t0ken"]);
    if as_root {
        use std::os::unix::process::CommandExt;
        command.uid(65534).gid(65534);
    }
    let mut server = Binary::spawn(command);
    server.addr = server.address();
    let count = || async {
        let mut count = 0;
        for (path, _) in &files {
            count += usize::from(server.headline(&url_of(path)).await.is_some());
        }
        count
    };
    eventually(Duration::from_secs(20), "the server to start", || async {
        (count().await == 20).then_some(())
    })
    .await;

    let reviews_dir = dir.path().join("content/reviews");
    set_mode(&reviews_dir, 0o000);
    // A file saved meanwhile (root can) is published once the folder can
    // be read again.
    common::write_file(
        &reviews_dir.join("meanwhile.md"),
        &review("Meanwhile", "Film", "", "Body."),
    );
    set_mode(&reviews_dir.join("meanwhile.md"), 0o644);
    let status_errors = || async {
        let (_, body) = server.get("/status?token=t0ken").await?;
        let html = scraper::Html::parse_document(&body);
        let cells = scraper::Selector::parse("table.errors tbody td:first-child").unwrap();
        Some(
            html.select(&cells)
                .map(|cell| cell.text().collect::<String>())
                .collect::<Vec<_>>(),
        )
    };
    eventually(
        FOLLOW,
        "the unreadable folder on the status page",
        || async {
            status_errors()
                .await
                .filter(|errors| errors.iter().any(|path| path == "reviews/"))
                .map(|_| ())
        },
    )
    .await;
    assert_eq!(
        count().await,
        20,
        "an unreadable folder is not an empty one"
    );
    assert_eq!(server.headline("/reviews/meanwhile").await, None);

    set_mode(&reviews_dir, 0o755);
    eventually(FOLLOW, "the folder readable again", || async {
        (server.headline("/reviews/meanwhile").await.as_deref() == Some("Meanwhile")).then_some(())
    })
    .await;
    assert_eq!(count().await, 20);
    eventually(FOLLOW, "the folder's error gone", || async {
        status_errors().await.filter(Vec::is_empty).map(|_| ())
    })
    .await;
}
