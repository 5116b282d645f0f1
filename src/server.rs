//! Wiring for `marquee serve`: open the database, start publishing (the
//! first sync, the watcher, the scheduler), build the web state, and serve
//! until asked to stop.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sqlx::SqlitePool;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::announce::{Announcement, Synced};
use crate::cards::Cards;
use crate::clock::Clock;
use crate::config::ServeArgs;
use crate::content;
use crate::content::site::SiteCell;
use crate::db;
use crate::db::changes::Changes;
use crate::error::Error;
use crate::publish::health::SyncHealth;
use crate::publish::imaging::Imaging;
use crate::publish::indexing::Feeder;
use crate::publish::purge::PurgeHook;
use crate::publish::syncer::{SyncReport, Syncer};
use crate::publish::watcher::WatchOptions;
use crate::publish::{self, Background, Backoff};
use crate::search::SearchIndex;
use crate::web::assets::Assets;
use crate::web::cache::{PageCache, spill_dir};
use crate::web::heads::{CheckedHeads, Refusals};
use crate::web::metrics::Metrics;
use crate::web::security::Limits;
use crate::web::{self, AppState, Shared, WebOptions};

/// A loaded site, ready to serve: the state for the router, and the
/// publishing that keeps it current (stopped when this is dropped).
pub struct Site {
    /// What the router is built from (`marquee::router(state)`).
    pub state: AppState,
    /// Syncs on demand, as the watcher does; tests call it directly.
    pub syncer: Arc<Syncer>,
    /// The content sync's first report, for start-up messages and tests.
    pub initial: SyncReport,
    _background: Background,
}

/// Opens and syncs everything `serve` needs, without listening yet; tests
/// use this with a manual clock and call the router directly.
pub async fn load(args: &ServeArgs, clock: Clock) -> Result<Site, Error> {
    let pool = db::open_or_rebuild(&args.db).await?;
    let site = SiteCell::new(args.base_url.clone(), args.addr);
    let cache = PageCache::with_disk(
        args.cache_mb.saturating_mul(1024 * 1024),
        Some((
            spill_dir(&args.db),
            args.cache_disk_mb.saturating_mul(1024 * 1024),
        )),
    );
    let options = publish::Options {
        content_dir: args.content.clone(),
        static_dir: args.static_dir.clone(),
        watch: WatchOptions {
            events: !args.no_watch,
            rescan: (args.rescan_secs > 0).then(|| Duration::from_secs(args.rescan_secs)),
        },
    };
    let purge = args.purge_hook.clone().map(PurgeHook::start);
    let invalidate = {
        let cache = cache.clone();
        move |changes: &Changes| {
            cache.invalidate(changes);
            if let Some(purge) = &purge {
                purge.changed(changes);
            }
        }
    };
    let publishing = publish::start(
        pool.clone(),
        &args.db,
        site.clone(),
        clock.clone(),
        options,
        invalidate,
    )
    .await?;
    let search = publishing.search();
    let imaging = publishing.imaging();
    let (syncer, initial, background) = publishing.into_parts();
    let state = app_state(
        args,
        pool,
        (search, imaging),
        site,
        cache,
        clock,
        syncer.health().clone(),
    );
    Ok(Site {
        state,
        syncer,
        initial,
        _background: background,
    })
}

/// The state the router serves, live or read-only.
fn app_state(
    args: &ServeArgs,
    pool: SqlitePool,
    (search, imaging): (Arc<SearchIndex>, Arc<Imaging>),
    site: SiteCell,
    cache: PageCache,
    clock: Clock,
    health: SyncHealth,
) -> AppState {
    AppState::new(Shared {
        db: pool,
        search,
        site,
        cache,
        clock,
        assets: Arc::new(Assets::load(&args.static_dir)),
        options: Arc::new(WebOptions {
            drafts: args.drafts,
            status_token: args.status_token.clone().filter(|token| !token.is_empty()),
            content_dir: args.content.clone(),
            limits: Limits::default(),
        }),
        metrics: Arc::new(Metrics::new(|registry| health.register(registry))),
        health,
        cards: Arc::new(Cards::beside(&args.db)),
        imaging,
    })
}

/// The site as the database holds it, for when the database cannot be
/// opened for writing (the disk full or read-only): nothing syncs, the
/// settings come straight from `site.toml`, and the status page says why
/// nothing new is published. `None` when even that is impossible (no
/// complete database to read).
async fn load_read_only(args: &ServeArgs, clock: Clock, why: &db::DbError) -> Option<AppState> {
    let pool = db::open_read_only(&args.db).await.ok()?;
    let site = SiteCell::new(args.base_url.clone(), args.addr);
    if let Some(settings) = content::site_settings(&args.content) {
        site.set(settings);
    }
    let health = SyncHealth::default();
    health.failed(why.to_string(), clock.now());
    let cache = PageCache::new(args.cache_mb.saturating_mul(1024 * 1024));
    let search = Feeder::open_read_only(&pool, &args.db).await;
    // Derivatives already made are served; a missing one is made if the
    // disk lets it be written.
    let imaging = Arc::new(Imaging::new(
        args.content.clone(),
        args.static_dir.clone(),
        crate::images::cache_dir(&args.db),
    ));
    Some(app_state(
        args,
        pool,
        (search, imaging),
        site,
        cache,
        clock,
        health,
    ))
}

/// What `serve` serves: the live site, or (after a start on a disk that
/// refused writes) a read-only one until the live site can be loaded.
struct Serving {
    /// Once loaded, the live site: its syncer is paused and its database
    /// closed at shutdown.
    live: Arc<std::sync::Mutex<Option<Site>>>,
    app: axum::Router,
    limits: Limits,
}

impl Serving {
    fn live(site: Site) -> Self {
        Self {
            app: web::router(site.state.clone()),
            limits: site.state.options.limits.clone(),
            live: Arc::new(std::sync::Mutex::new(Some(site))),
        }
    }

    /// Serves `read_only` now, and tries to load the live site every few
    /// seconds; once it loads (space came back), new requests go to it.
    fn read_only(read_only: AppState, args: ServeArgs, clock: Clock) -> Self {
        let router = Arc::new(std::sync::RwLock::new(web::router(read_only.clone())));
        let live = Arc::new(std::sync::Mutex::new(None));
        let limits = read_only.options.limits.clone();
        tokio::spawn(recover(
            args,
            clock,
            read_only,
            router.clone(),
            live.clone(),
        ));
        // One more step per request, in this mode only: reading which
        // router is current.
        let app = axum::Router::new().fallback_service(tower::service_fn(
            move |request: axum::extract::Request| {
                let current = router
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                current.oneshot(request)
            },
        ));
        Self { live, app, limits }
    }

    /// Lets a sync in progress finish and closes the database cleanly.
    async fn close(self, db_path: &std::path::Path) {
        let site = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(site) = site {
            let _paused = site.syncer.pause().await;
            let closing = db::close_cleanly(&site.state.db, db_path);
            let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
        }
    }
}

/// How long the read-only site waits before trying the live one again, at
/// first and at most.
const RECOVERY: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(30));

/// Tries to load the live site until it loads, then hands it the requests
/// and closes the read-only database.
async fn recover(
    args: ServeArgs,
    clock: Clock,
    read_only: AppState,
    router: Arc<std::sync::RwLock<axum::Router>>,
    live: Arc<std::sync::Mutex<Option<Site>>>,
) {
    let mut backoff = RECOVERY;
    loop {
        tokio::time::sleep(backoff.next()).await;
        match load(&args, clock.clone()).await {
            Ok(site) => {
                *router
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    web::router(site.state.clone());
                *live
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(site);
                read_only.health.succeeded();
                read_only.db.close().await;
                return;
            }
            Err(error) => read_only.health.failed(error.to_string(), clock.now()),
        }
    }
}

/// `marquee serve`: listens, loads the site (or serves the database
/// read-only when the disk refuses writes), announces the address, and
/// serves until Ctrl-C or SIGTERM, then closes the database cleanly.
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
    let clock = Clock::system();
    let (serving, synced) = match load(&args, clock.clone()).await {
        Ok(site) => {
            let synced = report_start(&site, started).await?;
            (Serving::live(site), Some(synced))
        }
        // A database the disk will not let us write (full, read-only) is
        // served as it is, and the site catches up once it can write.
        Err(Error::Db(error)) if error.is_storage_trouble() => {
            let Some(read_only) = load_read_only(&args, clock.clone(), &error).await else {
                return Err(Error::Db(error));
            };
            tracing::warn!("serving the site read-only, as the database holds it");
            (Serving::read_only(read_only, args.clone(), clock), None)
        }
        Err(error) => return Err(error),
    };
    let shutdown = shutdown_signal()?;
    announce_serving(&args.content, addr, synced);
    serve_on(listener, serving.app.clone(), &serving.limits, shutdown).await;
    // A sync the watcher started finishes (and none starts) before the
    // process exits; then the pool closes, which checkpoints the WAL. A
    // request still running past the grace period may hold a connection:
    // closing waits for it only briefly, as the data is safe either way.
    serving.close(&args.db).await;
    tracing::info!("stopped");
    Ok(())
}

/// What a start found: how much was synced, and the content errors and
/// settings an operator should hear about once. Returns the figures, for
/// the line that announces the address.
async fn report_start(site: &Site, started: std::time::Instant) -> Result<Synced, Error> {
    let errors = db::sources::errors(&site.state.db)
        .await
        .map_err(|error| Error::Db(db::DbError::Read(error)))?;
    let synced = Synced {
        files_read: site.initial.files_read,
        changed: site.initial.documents_changed,
        content_errors: errors.len(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    tracing::info!(
        files_read = synced.files_read,
        changed = synced.changed,
        content_errors = synced.content_errors,
        elapsed_ms = synced.elapsed_ms,
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
    Ok(synced)
}

/// Says where the site is served: a sentence for people (tests read the
/// address from its ` at http://ADDR/`), then the same as an announcement.
fn announce_serving(content: &std::path::Path, addr: std::net::SocketAddr, synced: Option<Synced>) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stdout(),
        "Marquee is serving {} at http://{addr}/",
        content.display(),
    );
    Announcement::Serving {
        addr,
        read_only: synced.is_none(),
        synced,
    }
    .print();
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
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let stream = Box::pin(stream);
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
