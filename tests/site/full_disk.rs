//! A full disk never takes the site down: the release binary, its database
//! on a small filesystem that fills up, starts and serves what is stored,
//! says why nothing new is published, and catches up when space returns.
//!
//! The filesystem is a real tmpfs, which only root can mount: run as any
//! other user, the test says so and checks nothing.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Binary, eventually, review};

/// Catching up waits for the syncer's retries, which back off to 30 s.
const CATCH_UP: Duration = Duration::from_secs(45);

/// A tmpfs of a few megabytes, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path) -> Option<Self> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then(|| Self {
            path: path.to_path_buf(),
        })
    }

    /// Fills what is left with one file, which `free` deletes.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// The problem the status page reports, if any.
async fn problem_shown(server: &Binary) -> Option<String> {
    let (status, body) = server.get("/status?token=t0ken").await?;
    assert_eq!(status, 200);
    let html = scraper::Html::parse_document(&body);
    common::text_of(&html, ".sync-problem")
}

#[tokio::test]
async fn a_full_disk_keeps_the_site_up_and_publishing_catches_up_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("db")) else {
        eprintln!("cannot mount a tmpfs here (not root?): nothing checked");
        return;
    };
    common::copy_dir(&common::repo().join("content"), &dir.path().join("content"));
    let args = ["--db", "db/marquee.db", "--status-token", "t0ken"];

    // A complete database, shut down cleanly (which removes its journals).
    let server = Binary::serve(dir.path(), &args);
    eventually(Duration::from_secs(20), "the first start", || async {
        server.headline("/reviews/anora").await.map(|_| ())
    })
    .await;
    assert_eq!(server.signal("TERM").status.code(), Some(0));

    // Started on a full disk, it serves what is stored and says why
    // nothing new is published.
    disk.fill();
    let server = Binary::serve(dir.path(), &args);
    eventually(
        Duration::from_secs(20),
        "serving on a full disk",
        || async { server.headline("/reviews/anora").await.map(|_| ()) },
    )
    .await;
    let problem = problem_shown(&server)
        .await
        .expect("the status page names the problem");
    assert!(
        problem.contains("full") || problem.contains("I/O"),
        "{problem}"
    );
    let saved_meanwhile = dir.path().join("content/reviews/meanwhile.md");
    common::write_file(&saved_meanwhile, &review("Meanwhile", "Film", "", "Body."));

    // Space returns: the site catches up by itself, without a restart.
    disk.free();
    eventually(CATCH_UP, "the review saved meanwhile", || async {
        (server.headline("/reviews/meanwhile").await.as_deref() == Some("Meanwhile")).then_some(())
    })
    .await;
    eventually(Duration::from_secs(5), "the problem cleared", || async {
        problem_shown(&server).await.is_none().then_some(())
    })
    .await;

    // The disk fills while it runs: saves wait, pages stay, and the log
    // says so once, not at every retry. (A small save may still fit in the
    // room SQLite's journal already has, so this one is large.)
    disk.fill();
    let long_body = "A paragraph that goes on. ".repeat(60_000);
    common::write_file(
        &dir.path().join("content/reviews/later.md"),
        &review("Later", "Film", "", &long_body),
    );
    eventually(
        Duration::from_secs(10),
        "the running site to notice",
        || async { problem_shown(&server).await.map(|_| ()) },
    )
    .await;
    assert!(server.headline("/reviews/anora").await.is_some());
    disk.free();
    eventually(CATCH_UP, "the later review", || async {
        (server.headline("/reviews/later").await.as_deref() == Some("Later")).then_some(())
    })
    .await;
    let ended = server.signal("TERM");
    assert_eq!(ended.status.code(), Some(0));
    let log = ended.stderr();
    let paused: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("publishing is paused"))
        .collect();
    assert_eq!(
        paused.len(),
        2,
        "once at the start on a full disk, once when it filled while running, \
         never at every retry:\n{log}"
    );
    assert!(paused[1].contains("disk is full"), "{}", paused[1]);
}
