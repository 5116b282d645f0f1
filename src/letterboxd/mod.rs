//! Moving from Letterboxd and back: `marquee import letterboxd` turns a
//! Letterboxd export (its zip, the folder it unzips to, or a CSV in
//! Letterboxd's import format) into ordinary content files, and `marquee
//! export letterboxd` / `archive` give the writing back.
//!
//! An import reads the whole export into memory, plans every file
//! (`plan`), validates each one with content's own parsers, and only then
//! writes, each file through a temporary file and a rename: a malformed
//! export or a file that would not pass `marquee check` writes nothing.
//! This module sits beside `content` rather than in it because it writes
//! files; `content` only reads them.

mod existing;
mod export;
mod html;
mod plan;
mod rows;
mod source;

use std::fmt;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use export::{export_archive, export_csv};
pub use plan::{Outcome, Plan, Planned};

use crate::content::error::ContentError;
use crate::content::loader::{self, SourceFile};

/// Why an import or export stopped. Nothing was written when it did.
#[derive(Debug, thiserror::Error)]
pub enum LetterboxdError {
    /// The export is not what Letterboxd writes: the file and line say
    /// where.
    #[error("{file}{}: {reason}", line.map(|line| format!(":{line}")).unwrap_or_default())]
    Malformed {
        /// The file in the export (`reviews.csv`), or the export itself.
        file: String,
        /// The line of the CSV file, when known.
        line: Option<u64>,
        /// What is wrong, in the critic's words.
        reason: String,
    },
    /// A file the import would write does not pass `marquee check`: it is
    /// not written, and neither is anything else.
    #[error(
        "the import would write a file that does not pass `marquee check`, so it wrote nothing: {0}"
    )]
    Invalid(ContentError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Writing YAML, TOML or a zip failed where it never should.
    #[error("internal error: {0}")]
    Internal(String),
}

impl LetterboxdError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn at(file: &str, line: u64, reason: &str) -> Self {
        Self::Malformed {
            file: file.to_string(),
            line: Some(line),
            reason: reason.to_string(),
        }
    }
}

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug)]
pub struct ImportReport {
    /// Every file planned, with its outcome.
    pub plan: Plan,
    /// Nothing was written.
    pub dry_run: bool,
}

impl ImportReport {
    fn count(&self, folder: &str, outcome: &Outcome) -> usize {
        self.plan
            .files
            .iter()
            .filter(|file| file.path.starts_with(folder) && &file.outcome == outcome)
            .count()
    }
}

impl fmt::Display for ImportReport {
    /// Each file written (or that would be) and each kept, then the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, done) = if self.dry_run {
            ("would write", "to write")
        } else {
            ("wrote", "written")
        };
        for file in &self.plan.files {
            match &file.outcome {
                Outcome::Write => writeln!(f, "{verb} {}", file.path)?,
                Outcome::Added(n) => writeln!(f, "{verb} {}: {n} entries added", file.path)?,
                Outcome::Kept => writeln!(f, "kept {} (edited since import)", file.path)?,
                Outcome::Unchanged => {}
            }
        }
        for (what, folder) in [("reviews", "reviews/"), ("lists", "lists/")] {
            writeln!(
                f,
                "{what}: {} {done}, {} unchanged, {} kept (edited since import)",
                self.count(folder, &Outcome::Write),
                self.count(folder, &Outcome::Unchanged),
                self.count(folder, &Outcome::Kept),
            )?;
        }
        writeln!(
            f,
            "diary entries: {} {done}, {} already in the diary",
            self.plan.diary_added, self.plan.diary_present
        )?;
        for skipped in &self.plan.skipped {
            writeln!(f, "skipped: {skipped}")?;
        }
        Ok(())
    }
}

/// Imports the export at `export` into `content_dir`.
pub fn import(
    export: &Path,
    content_dir: &Path,
    dry_run: bool,
) -> Result<ImportReport, LetterboxdError> {
    let archive = if export
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"))
    {
        let bytes = std::fs::read(export).map_err(|source| LetterboxdError::io(export, source))?;
        rows::import_format(&export.display().to_string(), &bytes)?
    } else {
        rows::archive(&source::read(export)?)?
    };
    let existing = existing::Existing::read(content_dir)?;
    let progress = Progress::new("converting reviews", archive.reviews.len());
    let plan = plan::make(&archive, &existing, &progress)?;
    progress.finish();
    for file in &plan.files {
        validate(content_dir, file)?;
    }
    if !dry_run {
        let progress = Progress::new("writing", plan.files.len());
        for file in &plan.files {
            if matches!(file.outcome, Outcome::Write | Outcome::Added(_)) {
                write_atomically(&content_dir.join(&file.path), &file.bytes)?;
            }
            progress.tick();
        }
        progress.finish();
    }
    Ok(ImportReport { plan, dry_run })
}

/// Parses a planned file as the server would, so that every file written
/// passes `marquee check`.
fn validate(content_dir: &Path, file: &Planned) -> Result<(), LetterboxdError> {
    let kind = loader::classify(&file.path)
        .ok_or_else(|| LetterboxdError::Internal(format!("{} is not a content path", file.path)))?;
    let source = SourceFile {
        path: file.path.clone(),
        abs: content_dir.join(&file.path),
        kind,
        mtime_ns: 0,
        size: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
    };
    if file.bytes.len() as u64 > loader::MAX_FILE_BYTES {
        return Err(LetterboxdError::Invalid(ContentError::new(
            &file.path,
            "would be larger than a content file may be",
        )));
    }
    loader::parse(&source, &file.bytes, &[])
        .map(drop)
        .map_err(LetterboxdError::Invalid)
}

/// Writes beside the target under a hidden name (which the watcher and
/// the loader ignore), then renames over it: a reader never sees half a
/// file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LetterboxdError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|source| LetterboxdError::io(folder, source))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let temp: PathBuf = folder.join(format!(".{name}.import"));
    std::fs::write(&temp, bytes).map_err(|source| LetterboxdError::io(&temp, source))?;
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        LetterboxdError::io(path, source)
    })
}

/// How a long import shows it is moving: a bar on a terminal, else a log
/// line every few seconds (for a log file or CI).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    what: &'static str,
    total: usize,
    done: std::cell::Cell<usize>,
    last_line: std::cell::Cell<Instant>,
}

/// How often a line is logged when there is no terminal.
const LINE_EVERY: Duration = Duration::from_secs(3);

impl Progress {
    fn new(what: &'static str, total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_message(what);
            bar
        });
        Self {
            bar,
            what,
            total,
            done: std::cell::Cell::new(0),
            last_line: std::cell::Cell::new(Instant::now()),
        }
    }

    fn tick(&self) {
        self.done.set(self.done.get() + 1);
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if self.last_line.get().elapsed() >= LINE_EVERY => {
                self.last_line.set(Instant::now());
                tracing::info!(
                    "import: {} {} of {}",
                    self.what,
                    self.done.get(),
                    self.total
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
