//! The command line. Every serve flag can also be set by an environment
//! variable (`MARQUEE_*`), and every default makes `cargo run --release` in
//! the repository serve the sample site.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "marquee",
    version,
    about = "A server-rendered film review blog: markdown in, fast pages and feeds out."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, Marquee serves.
    #[command(flatten)]
    pub serve: ServeArgs,
}

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
    /// end-to-end checks); the same seed always writes the same files.
    Generate(GenerateArgs),
}

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
    /// sitemap); overrides `base_url` in site.toml.
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
    /// Memory for rendered pages, in megabytes.
    #[arg(long, env = "MARQUEE_CACHE_MB", default_value_t = 48)]
    pub cache_mb: u64,
    /// Do not watch content/ for changes (content is loaded at start only).
    #[arg(long, env = "MARQUEE_NO_WATCH")]
    pub no_watch: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The content directory to check.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The film's title; the file name is made from it.
    pub title: String,
    /// The content directory to write into.
    #[arg(long, env = "MARQUEE_CONTENT", default_value = "content")]
    pub content: PathBuf,
}

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
        let cli = Cli::try_parse_from(["marquee"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr.to_string(), "127.0.0.1:3000");
        let cli = Cli::try_parse_from(["marquee", "check", "--content", "x"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Check(CheckArgs { .. }))
        ));
    }
}
