//! The command line. Every serve flag can also be set by an environment
//! variable (`MARQUEE_*`), and every default makes `cargo run --release` in
//! the repository serve the sample site.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::error::Error;

/// Everything `marquee` was started with: a command, or none for serving.
#[derive(Debug, Parser)]
#[command(
    name = "marquee",
    version,
    about = "A server-rendered film review blog: markdown in, fast pages and feeds out.",
    // Serve flags go with no command or `serve`; other commands take theirs
    // after their name.
    override_usage = "marquee [OPTIONS]\n       marquee <COMMAND> [OPTIONS]"
)]
pub struct Cli {
    /// `None` when no command was named: Marquee serves with `serve`'s flags.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How log lines on stderr are written: `text` for people, `json` (one
    /// object per line) for log collectors.
    #[arg(
        long,
        global = true,
        env = "MARQUEE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// With no subcommand, Marquee serves.
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// Parses the command line (`std::env::args_os()`). A serve flag
    /// written before a subcommand (`marquee --content typo check`) is
    /// refused, as it would be ignored. clap's
    /// `args_conflicts_with_subcommands` would refuse it too, but also the
    /// global `--log-format` there (`marquee --log-format json check`).
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut command = Self::command();
        let mut matches = command.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let ignored = command.get_arguments().find(|arg| {
                !arg.is_global_set()
                    && matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
            });
            if let Some(arg) = ignored {
                let message = format!("`{arg}` before the subcommand `{name}` would be ignored");
                return Err(command.error(ErrorKind::ArgumentConflict, message));
            }
        }
        Self::from_arg_matches_mut(&mut matches)
    }
}

/// How `main` sets up logging on stderr; `--log-format`'s help says the
/// same to the user.
// clap would show each variant's doc comment as the help of a possible
// value, which turns the whole of `--help` into its long layout:
// `help = None` keeps the docs for readers of the code only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for a person, coloured only at a terminal.
    #[value(help = None::<&str>)]
    Text,
    /// One JSON object per line, for a log collector.
    #[value(help = None::<&str>)]
    Json,
}

/// Refuses a content folder that is missing, is a file or cannot be read,
/// before anything is created: served or checked, a mistyped `--content`
/// would otherwise look like an empty site, and pass a CI check.
pub fn require_content_dir(path: &Path) -> Result<(), Error> {
    std::fs::read_dir(path)
        .map(drop)
        .map_err(|source| Error::ContentDir {
            path: path.display().to_string(),
            source,
        })
}

/// The commands after `marquee`; clap shows each variant's doc comment as
/// its help.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site, publishing every change to content/ as it is saved
    /// (the default).
    Serve(ServeArgs),
    /// Validate the content without serving: prints every error and exits
    /// 1 if there is any.
    Check(CheckArgs),
    /// Write a new review file for a film, ready to fill in.
    New(NewArgs),
    /// Write a large set of realistic generated reviews (for benchmarks and
    /// end-to-end checks); the same seed always writes the same files. Only
    /// in builds with the `generate` feature, as the scripts make.
    #[cfg(feature = "generate")]
    Generate(GenerateArgs),
    /// Bring writing in from elsewhere: `marquee import letterboxd EXPORT.zip`.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Give writing back: `export letterboxd --out F.csv` or `export
    /// archive --out F.zip`.
    #[command(subcommand)]
    Export(ExportCommand),
}

/// What `marquee import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a Letterboxd export (its zip, the folder it unzips to, or a
    /// CSV in Letterboxd's import format) as reviews, diary entries and
    /// lists. Safe to run again: nothing already imported is written
    /// twice, and nothing edited since is overwritten.
    Letterboxd(ImportArgs),
}

/// The arguments of `marquee import letterboxd`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The export: the zip from Letterboxd (Settings → Data → Export), or
    /// the folder it unzips to.
    pub export: PathBuf,
    /// The content directory to write into; made when missing.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
    /// Print what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `marquee export` writes.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The reviews and diary as a CSV in Letterboxd's import format.
    Letterboxd(ExportArgs),
    /// The whole content directory as a zip, for backups.
    Archive(ExportArgs),
}

/// The arguments of `marquee export letterboxd` and `archive`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The content directory to export.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
    /// The file to write (`.csv` or `.zip`).
    #[arg(long)]
    pub out: PathBuf,
}

/// How to serve: the flags of `marquee` and `marquee serve`, each with its
/// `MARQUEE_*` variable. The tests build one by hand to serve a temporary
/// folder.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MARQUEE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The content directory: reviews/, pages/ and site.toml.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
    /// The SQLite database file, created when missing. It can always be
    /// deleted: it is rebuilt from the content.
    #[arg(long, env = "MARQUEE_DB", default_value = "marquee.db")]
    pub db: PathBuf,
    /// The public address of the site (for canonical links, feeds and the
    /// sitemap); overrides `base_url` in site.toml. Without either, links
    /// use the address served.
    #[arg(long, env = "MARQUEE_BASE_URL")]
    pub base_url: Option<String>,
    /// A folder of the site's own static files, served under /static/. A
    /// file here wins over the built-in one of the same name (the
    /// stylesheet, the favicon); other names fall through to the built-in
    /// ones. It need not exist.
    #[arg(long = "static", env = "MARQUEE_STATIC", default_value = "static")]
    pub static_dir: PathBuf,
    /// Preview mode for editors: drafts and scheduled reviews can be opened
    /// at their URL, with a banner. Never use on the public site.
    #[arg(long, env = "MARQUEE_DRAFTS")]
    pub drafts: bool,
    /// Enables the editor's status page at /status, for requests carrying
    /// this token (`Authorization: Bearer <token>` or `?token=`).
    #[arg(long, env = "MARQUEE_STATUS_TOKEN", hide_env_values = true)]
    pub status_token: Option<String>,
    /// Memory for rendered pages, in megabytes. Pages beyond it go to
    /// disk (`--cache-disk-mb`), so this is the part read most, and what
    /// keeps the whole process within 128 MB.
    #[arg(long, env = "MARQUEE_CACHE_MB", default_value_t = 32)]
    pub cache_mb: u64,
    /// Disk for rendered pages that memory let go, in megabytes, in a
    /// folder beside the database (`marquee-pages/`, emptied at start);
    /// 0 keeps none there.
    #[arg(long, env = "MARQUEE_CACHE_DISK_MB", default_value_t = 1024)]
    pub cache_disk_mb: u64,
    /// Do not follow the operating system's file events (for folders where
    /// they do not work, such as some network drives): changes are then
    /// found by the periodic rescan alone.
    #[arg(long, env = "MARQUEE_NO_WATCH")]
    pub no_watch: bool,
    /// Every this many seconds, compare each content file's modification
    /// time and size with the database, to catch changes that file events
    /// missed; 0 never does (with --no-watch: content is loaded at start
    /// only).
    #[arg(long, env = "MARQUEE_RESCAN_SECS", default_value_t = 60)]
    pub rescan_secs: u64,
    /// A shell command run after each sync that changed what readers see,
    /// with the `Surrogate-Key`s it changed as its arguments (`site` when
    /// every page did), to purge a CDN by key: `"$@"` in the command.
    #[arg(long, env = "MARQUEE_PURGE_HOOK", value_name = "COMMAND")]
    pub purge_hook: Option<String>,
}

/// The flags of `marquee check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The content directory to check.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
}

/// The arguments of `marquee new`: a film's title for a review, or
/// `--list` with the list's title, or `--diary`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["title", "list", "diary"])))]
pub struct NewArgs {
    /// The film's title; the file name is made from it.
    pub title: Option<String>,
    /// Start a list with this title instead (lists/<slug>.md).
    #[arg(long, value_name = "TITLE")]
    pub list: Option<String>,
    /// Start this year's diary instead (diary/<year>.yaml).
    #[arg(long)]
    pub diary: bool,
    /// The content directory to write into. It must exist; its reviews/
    /// (lists/, diary/) is made when missing.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
}

/// The flags of `marquee generate`.
#[cfg(feature = "generate")]
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The content directory to write into (reviews go in its reviews/).
    #[arg(long)]
    pub out: PathBuf,
    /// How many reviews to write.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Seed for the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_args(["marquee"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr.to_string(), "127.0.0.1:3000");
        let cli = Cli::try_parse_args(["marquee", "check", "--content", "x"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Check(CheckArgs { .. }))
        ));
    }

    #[test]
    fn the_log_format_goes_before_or_after_any_subcommand() {
        for args in [
            &["marquee", "--log-format", "json"][..],
            &["marquee", "--log-format", "json", "serve"],
            &["marquee", "serve", "--log-format", "json"],
            &["marquee", "--log-format", "json", "check", "--content", "x"],
            &["marquee", "check", "--content", "x", "--log-format", "json"],
            &["marquee", "new", "Anora", "--log-format", "json"],
            &["marquee", "--log-format=json", "generate", "--out", "x"],
        ] {
            let cli = Cli::try_parse_args(args).unwrap_or_else(|error| panic!("{args:?}: {error}"));
            assert_eq!(cli.log_format, LogFormat::Json, "{args:?}");
        }
        assert_eq!(
            Cli::try_parse_args(["marquee", "check"])
                .unwrap()
                .log_format,
            LogFormat::Text
        );
        assert!(Cli::try_parse_args(["marquee", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn import_and_export_take_their_subcommands() {
        let cli =
            Cli::try_parse_args(["marquee", "import", "letterboxd", "x.zip", "--dry-run"]).unwrap();
        let Some(Command::Import(ImportCommand::Letterboxd(args))) = cli.command else {
            panic!("not an import: {:?}", cli.command);
        };
        assert!(args.dry_run);
        assert_eq!(args.export, PathBuf::from("x.zip"));
        let cli = Cli::try_parse_args(["marquee", "export", "archive", "--out", "b.zip"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Export(ExportCommand::Archive(_)))
        ));
        assert!(Cli::try_parse_args(["marquee", "export", "letterboxd"]).is_err());
    }

    #[test]
    fn a_serve_flag_before_a_subcommand_is_refused() {
        for args in [
            &["marquee", "--content", "typo", "check"][..],
            &["marquee", "--addr", "127.0.0.1:1", "serve"],
            &[
                "marquee",
                "--drafts",
                "--log-format",
                "json",
                "new",
                "Anora",
            ],
        ] {
            let error = Cli::try_parse_args(args).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ArgumentConflict, "{args:?}");
        }
    }
}
