//! `marquee`: serve the site (default), check the content, or start a review.

use std::process::ExitCode;

use clap::Parser;
use marquee::config::{Cli, Command};
use marquee::content;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => marquee::server::serve(cli.serve)
            .await
            .map(|()| ExitCode::SUCCESS),
        Some(Command::Serve(args)) => marquee::server::serve(args)
            .await
            .map(|()| ExitCode::SUCCESS),
        Some(Command::Check(args)) => check(&args.content),
        Some(Command::New(args)) => {
            let today = time::OffsetDateTime::now_utc().date();
            content::scaffold::new_review(&args.content, &args.title, today)
                .map(|path| {
                    println!(
                        "Wrote {}: fill it in, then set `draft: false` to publish.",
                        path.display()
                    );
                    ExitCode::SUCCESS
                })
                .map_err(Into::into)
        }
        Some(Command::Generate(args)) => {
            marquee::corpus::generate(&args.out, args.count, args.seed)
                .map(|written| {
                    println!(
                        "Wrote {written} reviews into {}",
                        args.out.join("reviews").display()
                    );
                    ExitCode::SUCCESS
                })
                .map_err(|source| marquee::error::Error::Content {
                    path: args.out.display().to_string(),
                    source,
                })
        }
    };
    result.unwrap_or_else(|error| {
        eprintln!("marquee: {error}");
        ExitCode::FAILURE
    })
}

fn check(content_dir: &std::path::Path) -> Result<ExitCode, marquee::error::Error> {
    let report = content::check(content_dir).map_err(|source| marquee::error::Error::Content {
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
