//! `marquee`: serve the site (default), check the content, or start a review.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use marquee::config::{self, Cli, Command, ExportCommand, ImportCommand, LogFormat};
use marquee::content;
use marquee::error::Error;
use tracing_subscriber::EnvFilter;

/// jemalloc rather than glibc's malloc: glibc gives busy threads arenas of
/// their own and seldom returns what they free, so a server whose threads
/// render and compress pages of every size kept growing through
/// `scripts/soak --quick` (to 133 MB; 77 MB with glibc held to two arenas).
/// With jemalloc it levels off at 80-90 MB and serves a little faster;
/// mimalloc, also tried, grew to 170 MB.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc keeps freed pages for ten seconds before giving them back, so
/// resident memory after a burst of requests stays up long after it. With
/// a background thread and a one-second decay it follows what is in use:
/// the default for arenas made from now on, then every arena made so far.
/// A setting that fails leaves jemalloc's default, which is only larger.
fn tune_allocator() {
    use tikv_jemalloc_ctl::{Access as _, AsName as _};
    const DECAY_MS: isize = 1_000;
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    let _ = b"arenas.dirty_decay_ms\0".name().write(DECAY_MS);
    let arenas = tikv_jemalloc_ctl::arenas::narenas::read().unwrap_or(0);
    for arena in 0..arenas {
        let name = format!("arena.{arena}.dirty_decay_ms\0");
        let _ = name.as_bytes().name().write(DECAY_MS);
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit());
    let log_format = cli.log_format;
    init_logging(log_format);
    run(cli).await.unwrap_or_else(|error| {
        match log_format {
            LogFormat::Text => eprintln!("marquee: {error}"),
            // A collector reads stderr as JSON lines: the reason it stopped
            // must be one of them.
            LogFormat::Json => tracing::error!("{error}"),
        }
        ExitCode::FAILURE
    })
}

/// Logs go to stderr, coloured only for a person at a terminal: piped into
/// a file or a collector, escape codes are noise.
fn init_logging(format: LogFormat) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(format == LogFormat::Text && std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        None => marquee::server::serve(cli.serve).await?,
        Some(Command::Serve(args)) => marquee::server::serve(args).await?,
        Some(Command::Check(args)) => return check(&args.content),
        Some(Command::New(args)) => {
            config::require_content_dir(&args.content)?;
            let today = time::OffsetDateTime::now_utc().date();
            let path = match (&args.title, &args.list) {
                (Some(title), _) => content::scaffold::new_review(&args.content, title, today)?,
                (None, Some(list)) => content::scaffold::new_list(&args.content, list, today)?,
                (None, None) => content::scaffold::new_diary(&args.content, today)?,
            };
            let next = if args.diary {
                "name the film, then save to publish"
            } else {
                "fill it in, then set `draft: false` to publish"
            };
            println!("Wrote {}: {next}.", path.display());
        }
        Some(Command::Import(ImportCommand::Letterboxd(args))) => {
            let report = marquee::letterboxd::import(&args.export, &args.content, args.dry_run)?;
            print!("{report}");
        }
        Some(Command::Export(ExportCommand::Letterboxd(args))) => {
            config::require_content_dir(&args.content)?;
            let rows = marquee::letterboxd::export_csv(&args.content, &args.out)?;
            println!("Wrote {rows} rows to {}", args.out.display());
        }
        Some(Command::Export(ExportCommand::Archive(args))) => {
            config::require_content_dir(&args.content)?;
            let files = marquee::letterboxd::export_archive(&args.content, &args.out)?;
            println!("Wrote {files} files to {}", args.out.display());
        }
        #[cfg(feature = "generate")]
        Some(Command::Generate(args)) => {
            let written =
                marquee::corpus::generate(&args.out, args.count, args.seed).map_err(|source| {
                    Error::Content {
                        path: args.out.display().to_string(),
                        source,
                    }
                })?;
            println!(
                "Wrote {written} reviews into {}",
                args.out.join("reviews").display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(content_dir: &std::path::Path) -> Result<ExitCode, Error> {
    config::require_content_dir(content_dir)?;
    let report = content::check(content_dir).map_err(|source| Error::Content {
        path: content_dir.display().to_string(),
        source,
    })?;
    for error in &report.errors {
        println!("{error}");
    }
    if report.errors.is_empty() {
        println!("{} content files checked: no errors.", report.files);
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} content files checked: {} with errors.",
            report.files,
            report.errors.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
