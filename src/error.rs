//! Which error type goes where:
//!
//! - `content::error::ContentError`: a problem in one content file, with
//!   file, line and field. It is data for the editor, never a crash.
//! - `db::DbError`: the database could not be opened, migrated or read.
//! - `publish::syncer::SyncError`: a sync could not run (I/O, database);
//!   `publish::PublishError`: publishing could not start.
//! - `web::error::AppError`: what a request handler can fail with; it turns
//!   into a response in one place.
//! - `Error` (here): why the program as a whole could not start or run,
//!   printed by `main` and turned into the exit code.

/// Why a command stopped. Its message is the one line a person (or a CI
/// log) sees before the exit code 1, so it names the thing to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be opened, migrated or read at start.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The first sync, the watcher or the scheduler could not start.
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    /// The address is taken or not ours to bind.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address as given (`--addr`).
        addr: String,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// `--content` names no folder we can read: nothing is created then.
    #[error(
        "the content folder `{path}` {}; point --content (or MARQUEE_CONTENT) \
         at the folder that holds site.toml and reviews/",
        what_is_wrong(.source)
    )]
    ContentDir {
        /// The folder as given.
        path: String,
        /// What reading it said; shown in the user's words by `what_is_wrong`.
        source: std::io::Error,
    },
    /// `check` could not list the content folder, or `generate` could not
    /// write into `--out`.
    #[error("cannot read the content directory {path}: {source}")]
    Content {
        /// The folder concerned.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A Letterboxd import or export stopped; nothing was written.
    #[error(transparent)]
    Letterboxd(#[from] crate::letterboxd::LetterboxdError),
    /// The listener's own address or the signal handlers could not be had:
    /// the server cannot run (or stop cleanly) without them.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// `marquee new` wrote nothing; the reason says why.
    #[error(transparent)]
    Scaffold(#[from] crate::content::scaffold::ScaffoldError),
}

/// The reason a folder cannot be used, in the words of someone who typed
/// its name, rather than the operating system's.
fn what_is_wrong(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::NotADirectory => "is a file, not a folder".into(),
        _ => format!("cannot be read ({error})"),
    }
}
