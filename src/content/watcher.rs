//! Live publishing: watch `content/` and sync what changed, without a
//! restart, within a fraction of a second of the save.
//!
//! Editors save in many ways: in one write, in several writes, by renaming
//! a temporary file into place, by truncating first. We sync a path once it
//! has settled: on Linux, when the writer closes the file (inotify's
//! close-write), so a file written in several slow writes is read once, whole.
//! Where no close event comes (other platforms, odd writers), a path is
//! synced after it has been quiet for a while instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::sync::{Scope, SyncReport, Syncer};

/// How long after a settling event (close-write, rename, delete) we wait for
/// more events before syncing: long enough to coalesce an editor's burst.
const SETTLE: Duration = Duration::from_millis(30);

/// How long a file that is being written without a close event must stay
/// quiet before it is read anyway.
const QUIET: Duration = Duration::from_millis(1500);

/// After a failed sync (say, the database was busy), try again this soon.
const RETRY: Duration = Duration::from_secs(1);

/// Keeps the watch alive; dropping it stops watching.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching the syncer's content directory. `on_sync` runs after
/// every sync that ran, with what it did.
pub fn watch(
    syncer: Arc<Syncer>,
    on_sync: impl Fn(&SyncReport) + Send + Sync + 'static,
) -> notify::Result<WatchHandle> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // The receiver only goes away when the server stops.
        let _ = sender.send(event);
    })?;
    let root = syncer.content_dir().to_path_buf();
    watcher.watch(&root, RecursiveMode::Recursive)?;
    let task = tokio::spawn(run(syncer, root, receiver, on_sync));
    Ok(WatchHandle {
        _watcher: watcher,
        task,
    })
}

/// Paths waiting to be synced, each with the moment it is due.
#[derive(Default)]
struct Pending {
    due: HashMap<String, Instant>,
    everything_due: Option<Instant>,
}

impl Pending {
    fn next_due(&self) -> Option<Instant> {
        self.due.values().copied().chain(self.everything_due).min()
    }

    fn note(&mut self, root: &Path, event: notify::Event) {
        let now = Instant::now();
        if event.need_rescan() {
            self.everything_due = Some(now + SETTLE);
            return;
        }
        let wait = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => SETTLE,
            // Data is still being written: wait for the close, or for quiet.
            EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => QUIET,
            EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(_) => SETTLE,
            EventKind::Access(_) | EventKind::Any | EventKind::Other => return,
        };
        for path in &event.paths {
            match relative(root, path) {
                Some(relative) if relative.is_empty() => self.everything_due = Some(now + SETTLE),
                Some(relative) => {
                    self.due.insert(relative, now + wait);
                }
                None => {}
            }
        }
    }

    /// Takes what is due now: `Everything` wins over single paths.
    fn take_due(&mut self) -> Option<Scope> {
        let now = Instant::now();
        if self.everything_due.is_some_and(|due| due <= now) {
            self.everything_due = None;
            self.due.clear();
            return Some(Scope::Everything);
        }
        let ready: Vec<String> = self
            .due
            .iter()
            .filter(|(_, due)| **due <= now)
            .map(|(path, _)| path.clone())
            .collect();
        for path in &ready {
            self.due.remove(path);
        }
        (!ready.is_empty()).then_some(Scope::Paths(ready))
    }
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<&str> = relative
        .iter()
        .map(|part| part.to_str())
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

async fn run(
    syncer: Arc<Syncer>,
    root: PathBuf,
    mut events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
    on_sync: impl Fn(&SyncReport) + Send + Sync + 'static,
) {
    let mut pending = Pending::default();
    loop {
        let next_due = pending.next_due();
        tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => pending.note(&root, event),
                Some(Err(error)) => {
                    tracing::warn!("file watcher error, rescanning content: {error}");
                    pending.everything_due = Some(Instant::now() + SETTLE);
                }
                None => return,
            },
            () = sleep_until(next_due) => {
                let Some(scope) = pending.take_due() else { continue };
                match syncer.sync(scope.clone()).await {
                    Ok(report) => on_sync(&report),
                    Err(error) => {
                        tracing::error!("sync failed, retrying: {error}");
                        pending.everything_due = Some(Instant::now() + RETRY);
                    }
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
