//! Live publishing: watch `content/` and sync what changed, without a
//! restart, within a fraction of a second of the save.
//!
//! Editors save in many ways: in one write, in several writes, by renaming
//! a temporary file into place, by truncating first, by moving the old file
//! to a backup name and writing a new one (Vim). We sync a path once it has
//! settled: on Linux, when the writer closes the file (inotify's
//! close-write), so a file written in several slow writes is read once,
//! whole. Where no close event comes (other platforms, odd writers), a path
//! is synced after it has been quiet for a while instead. A file that
//! disappears is given a moment to come back before it is unpublished.
//!
//! Folders are followed too: an event on `reviews/` itself lists it whole
//! (the sync's job), and when the content path comes to name another folder
//! (a deploy's `mv content.new content`) the new folder is watched and
//! synced. Events can still be missed (network drives, an overflowing
//! queue), so a cheap periodic rescan compares every file's mtime and size
//! with the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Backoff;
use super::syncer::{SyncReport, Syncer};
use crate::content::loader;
use crate::content::plan::Scope;

/// How long after a settling event (close-write, a rename into place, a new
/// folder) we wait for more events before syncing: long enough to coalesce
/// an editor's burst.
const SETTLE: Duration = Duration::from_millis(30);

/// How long a file that is being written without a close event must stay
/// quiet before it is read anyway.
const QUIET: Duration = Duration::from_millis(1500);

/// How long a file that was deleted or moved away may stay missing before
/// it is unpublished: an editor that moves the old version aside before
/// writing the new one must not take the review offline meanwhile.
const GONE: Duration = Duration::from_millis(250);

/// After a failed sync (the database busy, the disk full, the content
/// folder missing for a moment), try again after a second, then less and
/// less often, up to every 30 seconds, until one succeeds.
const RETRY: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));

/// How often the content folder's path is checked for naming the folder
/// that is watched. A deploy that swaps the folder (`mv content.new
/// content`) leaves the operating system watching the one moved away; a
/// `stat` a second is nothing, and the new folder is watched within it.
const ROOT_CHECK: Duration = Duration::from_secs(1);

/// How the content folder is followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WatchOptions {
    /// Follow the operating system's file events (inotify on Linux): a save
    /// is live within a fraction of a second.
    pub(crate) events: bool,
    /// Also compare every file's mtime and size with the database this
    /// often, to catch what events missed (a network drive, an overflowing
    /// event queue); `None` never does.
    pub(crate) rescan: Option<Duration>,
}

/// Keeps the watch alive; dropping it stops watching.
pub(crate) struct WatchHandle {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts following the syncer's content directory. `on_sync` runs after
/// every sync that ran, with what it did.
pub(crate) fn watch(
    syncer: Arc<Syncer>,
    options: WatchOptions,
    on_sync: impl Fn(&SyncReport) + Send + Sync + 'static,
) -> notify::Result<WatchHandle> {
    let (sender, receiver) = mpsc::unbounded_channel();
    // notify reports absolute paths, even for a folder given as relative
    // (the default `--content content`): ours must be absolute too, or no
    // event would fall under it.
    let root = std::path::absolute(syncer.content_dir()).map_err(notify::Error::io)?;
    let attached = if options.events {
        Some(Attached::new(&root, &sender)?)
    } else {
        None
    };
    let watching = Watching {
        syncer,
        root,
        options,
        sender,
        attached,
    };
    let task = tokio::spawn(watching.run(receiver, on_sync));
    Ok(WatchHandle { task })
}

type EventSender = mpsc::UnboundedSender<notify::Result<notify::Event>>;

/// The operating system's watch on the folder the content path named when
/// it was made.
struct Attached {
    _watcher: notify::RecommendedWatcher,
    folder: Option<FolderId>,
}

impl Attached {
    fn new(root: &Path, sender: &EventSender) -> notify::Result<Self> {
        let sender = sender.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                // The receiver only goes away when the server stops.
                let _ = sender.send(event);
            })?;
        let folder = folder_id(root);
        watcher.watch(root, RecursiveMode::Recursive)?;
        Ok(Self {
            _watcher: watcher,
            folder,
        })
    }
}

/// Which folder a path names now: device and inode.
type FolderId = (u64, u64);

#[cfg(unix)]
fn folder_id(path: &Path) -> Option<FolderId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|metadata| (metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn folder_id(path: &Path) -> Option<FolderId> {
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|_| (0, 0))
}

struct Watching {
    syncer: Arc<Syncer>,
    root: PathBuf,
    options: WatchOptions,
    sender: EventSender,
    attached: Option<Attached>,
}

impl Watching {
    async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
        on_sync: impl Fn(&SyncReport) + Send + Sync + 'static,
    ) {
        let mut pending = Pending::default();
        let mut root_check = tokio::time::interval(ROOT_CHECK);
        root_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick of an interval is at once; a rescan is due only
        // after a whole period.
        let rescan_every = self.options.rescan.unwrap_or(Duration::MAX);
        let mut next_rescan = Instant::now().checked_add(rescan_every);
        let mut retry = RETRY;
        loop {
            let next_due = pending.next_due();
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(event)) => pending.note(&self.root, &event),
                    Some(Err(error)) => {
                        tracing::warn!("file watcher error, rescanning content: {error}");
                        pending.everything_due = Some(Instant::now() + SETTLE);
                    }
                    None => return,
                },
                _ = root_check.tick() => {
                    if self.options.events && self.reattach_if_moved() {
                        pending.everything_due = Some(Instant::now() + SETTLE);
                    }
                    // A sync that failed outside this loop (the first, at
                    // start) is retried like the loop's own.
                    if pending.everything_due.is_none()
                        && self.syncer.health().problem().is_some()
                    {
                        pending.everything_due = Some(Instant::now() + retry.next());
                    }
                }
                () = sleep_until(next_rescan) => {
                    next_rescan = Instant::now().checked_add(rescan_every);
                    pending.everything_due.get_or_insert(Instant::now());
                }
                () = sleep_until(next_due) => {
                    let Some(scope) = pending.take_due() else { continue };
                    let started = std::time::Instant::now();
                    match self.syncer.sync(scope).await {
                        Ok(report) => {
                            tracing::debug!(
                                files_read = report.files_read,
                                changed = report.documents_changed,
                                elapsed_us = started.elapsed().as_micros() as u64,
                                "synced"
                            );
                            retry.reset();
                            on_sync(&report);
                        }
                        // The syncer records (and logs once) why.
                        Err(_) => {
                            pending.everything_due = Some(Instant::now() + retry.next());
                        }
                    }
                }
            }
        }
    }

    /// Watches the folder the content path names now, if it is not the one
    /// watched (the path was swapped for another folder, or the folder was
    /// deleted and made again); returns whether it did, so that everything
    /// is synced. While the path names nothing, the old watch stays and
    /// nothing is synced away: the syncer reports the folder missing.
    fn reattach_if_moved(&mut self) -> bool {
        let now = folder_id(&self.root);
        let watched = self.attached.as_ref().and_then(|attached| attached.folder);
        if now.is_none() || now == watched {
            return false;
        }
        match Attached::new(&self.root, &self.sender) {
            Ok(attached) => {
                tracing::info!(
                    content = %self.root.display(),
                    "the content folder was replaced: watching the new one"
                );
                self.attached = Some(attached);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch the new content folder yet; trying again");
                false
            }
        }
    }
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

    fn note(&mut self, root: &Path, event: &notify::Event) {
        let now = Instant::now();
        if event.need_rescan() {
            self.everything_due = Some(now + SETTLE);
            return;
        }
        let paths: Vec<String> = event
            .paths
            .iter()
            .filter_map(|path| relative(root, path))
            .collect();
        for (path, wait) in waits(root, &event.kind, &paths) {
            if path.is_empty() {
                self.everything_due = Some(now + SETTLE);
                continue;
            }
            match wait {
                Wait::For(duration) => {
                    self.due.insert(path.to_string(), now + duration);
                }
                Wait::UnlessPending => {
                    self.due.entry(path.to_string()).or_insert(now + SETTLE);
                }
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
        let mut taken = Vec::with_capacity(ready.len());
        for path in ready {
            match self.still_writing_inside(&path, now) {
                // A new folder's files may have been created before its
                // watch began: syncing the folder now could read one of
                // them half written. It waits for them instead.
                Some(later) => {
                    self.due.insert(path, later);
                }
                None => {
                    self.due.remove(&path);
                    taken.push(path);
                }
            }
        }
        (!taken.is_empty()).then_some(Scope::Paths(taken))
    }

    /// When the last path under `folder` that is not due yet will be.
    fn still_writing_inside(&self, folder: &str, now: Instant) -> Option<Instant> {
        let prefix = format!("{folder}/");
        self.due
            .iter()
            .filter(|(path, due)| path.starts_with(&prefix) && **due > now)
            .map(|(_, due)| *due)
            .max()
    }
}

/// How an event moves the moment a path is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Sync this long after the event, whatever was pending.
    For(Duration),
    /// Sync soon, unless the path is already waiting (a metadata change
    /// while a file is being written must not cut the wait short).
    UnlessPending,
}

/// For each path of an event (relative to the content directory `root`),
/// how long to wait before syncing it.
fn waits<'a>(root: &Path, kind: &EventKind, paths: &'a [String]) -> Vec<(&'a str, Wait)> {
    let all = |wait| paths.iter().map(|path| (path.as_str(), wait)).collect();
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => all(Wait::For(SETTLE)),
        // Data is still being written: wait for the close, or for quiet. A
        // new file is empty until its first write, so it waits the same way.
        EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => all(Wait::For(QUIET)),
        EventKind::Create(CreateKind::Folder) => all(Wait::For(SETTLE)),
        EventKind::Create(_) => all(Wait::For(QUIET)),
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            all(Wait::For(GONE))
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => match paths {
            [from, to] => vec![
                (from.as_str(), Wait::For(moved_out_wait(root, to))),
                (to.as_str(), Wait::For(SETTLE)),
            ],
            // Part of the rename is outside the content: we cannot tell
            // which part this is, so we wait as for a file gone missing.
            _ => all(Wait::For(GONE)),
        },
        EventKind::Modify(ModifyKind::Metadata(_)) => all(Wait::UnlessPending),
        EventKind::Modify(_) => all(Wait::For(SETTLE)),
        EventKind::Access(_) | EventKind::Any | EventKind::Other => Vec::new(),
    }
}

/// A file renamed to another content path (a review renamed, a bundle
/// folder moved) is gone for good, and leaves at once so that its slug is
/// free for its new path in the same sync. A file renamed to a name that is
/// not content (`anora.md~`) is an editor's backup: its replacement is on
/// the way.
fn moved_out_wait(root: &Path, to: &str) -> Duration {
    let is_bundle_folder =
        || root.join(to).is_dir() && loader::classify(&format!("{to}/index.md")).is_some();
    let is_content = loader::classify(to).is_some() || is_bundle_folder();
    if is_content { SETTLE } else { GONE }
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<&str> = relative
        .iter()
        .map(|part| part.to_str())
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_rename_between_content_paths_is_a_move() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("reviews/new")).unwrap();
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let review = paths(&["reviews/old.md", "reviews/new.md"]);
        assert_eq!(
            waits(root.path(), &rename, &review),
            vec![
                ("reviews/old.md", Wait::For(SETTLE)),
                ("reviews/new.md", Wait::For(SETTLE))
            ]
        );
        let bundle = paths(&["reviews/old", "reviews/new"]);
        assert_eq!(
            waits(root.path(), &rename, &bundle)[0],
            ("reviews/old", Wait::For(SETTLE))
        );
    }

    #[test]
    fn a_file_moved_to_a_backup_name_may_come_back() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("reviews")).unwrap();
        std::fs::write(root.path().join("reviews/anora.md~"), "").unwrap();
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let backup = paths(&["reviews/anora.md", "reviews/anora.md~"]);
        assert_eq!(
            waits(root.path(), &rename, &backup)[0],
            ("reviews/anora.md", Wait::For(GONE))
        );
        let removed = EventKind::Remove(notify::event::RemoveKind::File);
        assert_eq!(
            waits(root.path(), &removed, &paths(&["reviews/anora.md"])),
            vec![("reviews/anora.md", Wait::For(GONE))]
        );
    }

    #[test]
    fn a_new_folder_waits_for_the_files_being_written_in_it() {
        let now = Instant::now();
        let mut pending = Pending::default();
        pending.due.insert("reviews/new".into(), now);
        pending
            .due
            .insert("reviews/new/index.md".into(), now + QUIET);
        pending.due.insert("reviews/other.md".into(), now);
        let Some(Scope::Paths(taken)) = pending.take_due() else {
            panic!("the other file is due");
        };
        assert_eq!(taken, vec!["reviews/other.md"]);
        assert_eq!(pending.due["reviews/new"], now + QUIET);
        assert_eq!(pending.next_due(), Some(now + QUIET));
    }

    #[test]
    fn a_file_being_written_waits_for_its_close() {
        let root = Path::new("/nonexistent");
        let one = paths(&["reviews/anora.md"]);
        let created = EventKind::Create(CreateKind::File);
        assert_eq!(waits(root, &created, &one)[0].1, Wait::For(QUIET));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert_eq!(waits(root, &closed, &one)[0].1, Wait::For(SETTLE));
        let touched = EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any));
        assert_eq!(waits(root, &touched, &one)[0].1, Wait::UnlessPending);
        let opened = EventKind::Access(AccessKind::Open(AccessMode::Any));
        assert!(waits(root, &opened, &one).is_empty());
    }
}
