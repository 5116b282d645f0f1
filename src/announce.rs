//! Lines on stdout for the programs that start Marquee (the scripts, a
//! supervisor): one JSON object per event, so that none has to parse log
//! lines, which are written for people and change with them.

/// The start-up sync's figures, as the `content synced` log line gives them.
#[derive(serde::Serialize)]
pub(crate) struct Synced {
    pub(crate) files_read: usize,
    pub(crate) changed: usize,
    pub(crate) content_errors: usize,
    /// From the start of `serve` to the end of the first sync.
    pub(crate) elapsed_ms: u64,
}

/// A line on stdout for the programs that start Marquee (the scripts, a
/// supervisor): one JSON object per event, so that none has to parse log
/// lines, which are written for people and change with them.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Announcement {
    /// Requests are answered from now on. A site served read-only (the
    /// disk refused writes) has synced nothing, so has no figures.
    Serving {
        addr: std::net::SocketAddr,
        read_only: bool,
        #[serde(flatten)]
        synced: Option<Synced>,
    },
    /// The search index a large first start deferred is complete.
    SearchIndexed { reviews: i64, elapsed_ms: u64 },
}

impl Announcement {
    /// Writes the line, ignoring a closed stdout: whoever started us may
    /// have stopped reading, which is no reason to stop serving (and
    /// `println!` would panic).
    pub(crate) fn print(&self) {
        use std::io::Write as _;
        if let Ok(line) = serde_json::to_string(self) {
            let _ = writeln!(std::io::stdout(), "{line}");
        }
    }
}
