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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(
        "the content folder `{path}` {}; point --content (or MARQUEE_CONTENT) \
         at the folder that holds site.toml and reviews/",
        what_is_wrong(.source)
    )]
    ContentDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the content directory {path}: {source}")]
    Content {
        path: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
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
