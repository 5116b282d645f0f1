//! Wiring for `marquee serve`: open the database, sync the content, start
//! the watcher and the scheduler, and serve until asked to stop.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt as _;

use crate::clock::Clock;
use crate::config::ServeArgs;
use crate::content::schedule;
use crate::content::site::SiteCell;
use crate::content::sync::{Indexing, Scope, SyncError, SyncReport, Syncer};
use crate::content::watcher::{self, WatchOptions};
use crate::db;
use crate::error::Error;
use crate::web::assets::Assets;
use crate::web::cache::PageCache;
use crate::web::heads::{CheckedHeads, Refusals};
use crate::web::security::Limits;
use crate::web::{self, AppState, Shared, WebOptions};

/// A loaded site, ready to serve: the state for the router, and the
/// background tasks that keep it current (stopped when this is dropped).
pub struct Site {
    pub state: AppState,
    pub syncer: Arc<Syncer>,
    /// The content sync's first report, for start-up messages and tests.
    pub initial: SyncReport,
    _watch: Option<watcher::WatchHandle>,
    scheduler: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.scheduler.abort();
    }
}

/// Opens and syncs everything `serve` needs, without listening yet; tests
/// use this with a manual clock and call the router directly.
pub async fn load(args: &ServeArgs, clock: Clock) -> Result<Site, Error> {
    let pool = db::open_or_rebuild(&args.db).await?;
    let site = SiteCell::new(args.base_url.clone(), args.addr);
    let syncer = Arc::new(Syncer::new(
        args.content.clone(),
        pool.clone(),
        site.clone(),
        clock.clone(),
    ));
    let cache = PageCache::new(args.cache_mb.saturating_mul(1024 * 1024));
    let content_changed = Arc::new(Notify::new());
    // Watch before the first sync: a file saved while it runs is then synced
    // right after it, instead of waiting for its next save.
    let following = WatchOptions {
        events: !args.no_watch,
        rescan: (args.rescan_secs > 0).then(|| Duration::from_secs(args.rescan_secs)),
    };
    let watch = if following.events || following.rescan.is_some() {
        let cache = cache.clone();
        let content_changed = content_changed.clone();
        Some(watcher::watch(syncer.clone(), following, move |report| {
            if report.changed() {
                cache.invalidate();
                content_changed.notify_one();
            }
        })?)
    } else {
        None
    };
    // A first sync that cannot write (the disk full, say) does not stop
    // the site: what the database holds is served, the syncer's health says
    // why nothing new is, and the watcher retries until it catches up.
    let first = Indexing::Deferred {
        at_least: INDEX_AFTER_SERVING_FROM,
    };
    let initial = match syncer.sync_with(Scope::Everything, first).await {
        Ok(report) => report,
        Err(SyncError::Db(_)) => SyncReport::default(),
        Err(error) => return Err(error.into()),
    };
    let state = AppState::new(Shared {
        db: pool.clone(),
        site,
        cache: cache.clone(),
        clock: clock.clone(),
        assets: Arc::new(Assets::load(&args.static_dir)),
        options: Arc::new(WebOptions {
            drafts: args.drafts,
            status_token: args.status_token.clone().filter(|token| !token.is_empty()),
            content_dir: args.content.clone(),
            limits: Limits::default(),
        }),
    });
    if initial.search_pending {
        tokio::spawn(index_for_search(syncer.clone(), cache.clone()));
    }
    let scheduler = tokio::spawn(schedule::run(pool, clock, content_changed, move || {
        cache.invalidate()
    }));
    Ok(Site {
        state,
        syncer,
        initial,
        _watch: watch,
        scheduler,
    })
}

/// A first sync that writes this many reviews serves them before they are
/// indexed for search (see `Indexing::Deferred`). Below it, indexing is
/// quick enough not to be worth a moment of incomplete search.
const INDEX_AFTER_SERVING_FROM: i64 = 1_000;

/// Indexes what the first sync left for search, while the site is served.
/// A failure is logged and loses nothing: the reviews stay queued, and the
/// next sync indexes them.
async fn index_for_search(syncer: Arc<Syncer>, cache: PageCache) {
    let started = std::time::Instant::now();
    match syncer.index_pending().await {
        Ok(indexed) => {
            cache.invalidate();
            tracing::info!(
                reviews = indexed,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "search index built"
            );
        }
        Err(error) => {
            tracing::error!(%error, "building the search index failed; the next sync retries")
        }
    }
}

pub async fn serve(args: ServeArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    crate::config::require_content_dir(&args.content)?;
    // Listen before loading: links must name the port actually bound
    // (`--addr 127.0.0.1:0` picks one) before any page renders, and a busy
    // port fails before a database is created. A connection made while the
    // content loads waits for it, as it would for a slow answer.
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(|source| Error::Listen {
            addr: args.addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(Error::Serve)?;
    let args = ServeArgs { addr, ..args };
    let site = load(&args, Clock::system()).await?;
    let reviews = site.initial.documents_changed;
    let errors = db::sources::errors(&site.state.db)
        .await
        .map_err(|e| Error::Sync(e.into()))?;
    tracing::info!(
        files_read = site.initial.files_read,
        changed = reviews,
        content_errors = errors.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "content synced"
    );
    // The first sync logged the errors it found new; the rest were already
    // there when the server last ran, and are worth one line each now.
    for error in errors
        .iter()
        .filter(|error| !site.initial.new_errors.contains(error))
    {
        tracing::warn!("content error (unchanged since the last run): {error}");
    }
    if site.state.site.links_to_loopback() {
        tracing::warn!(
            base_url = %site.state.site.get().base_url,
            "links in feeds, the sitemap and canonical tags point at this machine; \
             set base_url in site.toml (or --base-url) to the site's public address"
        );
    }
    let shutdown = shutdown_signal()?;
    let app = web::router(site.state.clone());
    println!(
        "Marquee is serving {} at http://{addr}/",
        args.content.display(),
    );
    serve_on(listener, app, &site.state.options.limits, shutdown).await;
    // A sync the watcher started finishes (and none starts) before the
    // process exits; then the pool closes, which checkpoints the WAL. A
    // request still running past the grace period may hold a connection:
    // closing waits for it only briefly, as the data is safe either way.
    let _paused = site.syncer.pause().await;
    let closing = db::close_cleanly(&site.state.db, &args.db);
    let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves HTTP/1.1 on `listener` until `shutdown` resolves (in `serve`, on
/// Ctrl-C or SIGTERM), then stops accepting and lets requests in flight
/// finish, for at most `limits.shutdown_grace`.
///
/// We drive hyper ourselves rather than through `axum::serve` for the
/// limits hyper enforces while it reads a request: the size of the request
/// head (431 beyond) and the time a client may take to send it, so that
/// slow or idle clients cannot hold connections, or a shutdown, forever.
/// And each connection is read through `CheckedHeads`, so that a head hyper
/// would refuse with a bare 400 or 431 gets our answer instead, headers and
/// page included (see `web::heads`).
pub async fn serve_on(
    mut listener: TcpListener,
    app: axum::Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            // axum's accept retries (and waits out) errors such as EMFILE.
            (stream, _) = axum::serve::Listener::accept(&mut listener) => stream,
            () = &mut shutdown => break,
        };
        // Pages are small writes that should leave at once.
        let _ = stream.set_nodelay(true);
        let refusals = Arc::new(Refusals::default());
        let stream = CheckedHeads::new(stream, limits.max_header_bytes, refusals.clone());
        let service = TowerToHyperService::new(app.clone().map_request(
            move |request: hyper::Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                refusals.mark(&mut request);
                request
            },
        ));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                grace_secs = limits.shutdown_grace.as_secs(),
                "requests still in flight after the grace period; stopping anyway"
            );
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM: in-flight requests then finish. The
/// handlers are installed when this is called, not when the future is first
/// polled, so that a signal sent as soon as the address is printed is
/// caught rather than killing the process.
fn shutdown_signal() -> Result<impl Future<Output = ()>, Error> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(Error::Serve)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(Error::Serve)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
