//! Builds the application: state, routes, middleware and docs. Startup is a
//! library function so tests run the real server on a port of their own.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::{middleware::from_fn, web, App, HttpRequest, HttpResponse, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{jwt::JwtKeys, ratelimit::RateLimiter};
use crate::cache::ReadCache;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::ApiError;
use crate::events::follow::Hub;
use crate::routes::routes;
use crate::state::AppState;
use crate::webhooks::deliver::Sender;
use crate::{http, middleware, openapi, storage};

/// A running server and the port it listens on.
pub struct Application {
    port: u16,
    server: Server,
    /// The separate metrics listener, when `NEWSDESK_METRICS_BIND` is set.
    metrics_server: Option<Server>,
    metrics_port: Option<u16>,
    /// What the follower of the outbox needs (the cache to empty, when it
    /// is on, and the event streams to feed).
    follower: Follower,
    /// What the background work needs (the scheduler of time-driven events,
    /// webhook delivery), when this server runs it.
    background: Option<Background>,
}

impl Application {
    /// Binds the listener and builds the server (it runs when awaited).
    pub fn build(settings: &Settings, pool: Pool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let sender = Sender::new(settings.webhooks.clone())?;
        crate::articles::delivery::configure(&settings.media.widths);
        let delivery_key = crate::articles::delivery::render_key(&settings.media.widths);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            jwt: JwtKeys::with_previous(
                settings.jwt_secret.expose().as_bytes(),
                settings
                    .jwt_previous_secret
                    .as_ref()
                    .map(|s| s.expose().as_bytes()),
                settings.access_ttl,
            ),
            limiter: RateLimiter::new(settings.auth_rate_limit),
            trust_proxy: settings.trust_proxy.clone(),
            refresh_ttl: settings.refresh_ttl,
            store: storage::open(settings.media_store.as_deref(), &settings.media_dir)?,
            media: settings.media.clone(),
            default_locale: settings.default_locale.clone(),
            comments: settings.comments.clone(),
            webhooks: sender.clone(),
            login: settings.login,
            sitemap_max_urls: settings.sitemap_max_urls,
            gathered: crate::db::sqlite_path(&settings.database_url)
                .is_none()
                .then(|| crate::articles::gathered::Reads::new(pool.clone(), delivery_key.clone())),
            delivery_key,
        });
        let cache = web::Data::new(ReadCache::new(settings.read_cache_ttl));
        let hub = web::Data::new(Hub::default());
        let follower = Follower {
            pool: pool.clone(),
            cache: (!settings.read_cache_ttl.is_zero()).then(|| cache.clone()),
            hub: hub.clone(),
        };
        let route_table = web::Data::new(RouteTable::from_doc(&openapi::api_doc()));
        // The document served, serialized once and shared by the workers:
        // kept as a JSON value per worker (as Swagger UI's own route keeps
        // it) it was several megabytes of small allocations each.
        let doc = web::Data::new(OpenApiJson(web::Bytes::from(serde_json::to_vec(
            &openapi::api_doc_value(),
        )?)));
        let cors = web::Data::new(settings.cors.clone());
        let metrics = web::Data::new(settings.metrics.clone());
        crate::metrics::mark_start();
        let mut metrics_port = None;
        let metrics_server = match &settings.metrics.bind {
            Some(bind) => {
                let (state, cache, hub, metrics) =
                    (state.clone(), cache.clone(), hub.clone(), metrics.clone());
                let listener = TcpListener::bind(bind)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {bind} for metrics: {e}"))?;
                metrics_port = Some(listener.local_addr()?.port());
                Some(
                    HttpServer::new(move || {
                        App::new()
                            .app_data(state.clone())
                            .app_data(cache.clone())
                            .app_data(hub.clone())
                            .app_data(metrics.clone())
                            .route("/metrics", web::get().to(crate::routes::metrics_listener))
                            .default_service(web::to(|| async {
                                Err::<HttpResponse, _>(ApiError::NotFound(
                                    "this address serves GET /metrics only".into(),
                                ))
                            }))
                            .wrap(from_fn(middleware::request_context))
                    })
                    .workers(1)
                    .listen(listener)?
                    .run(),
                )
            }
            None => None,
        };
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(routes)
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(cache.clone())
                .app_data(hub.clone())
                .app_data(route_table.clone())
                .app_data(cors.clone())
                .app_data(metrics.clone())
                .app_data(web::QueryConfig::default().error_handler(http::query_error))
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    ApiError::bad_request(format!("invalid path: {err}")).into()
                }))
                .service(web::redirect("/docs", "/docs/"))
                .route("/openapi.json", web::get().to(openapi_json))
                .app_data(doc.clone())
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::new(["/openapi.json"])),
                )
                .default_service(web::to(fallback))
                .wrap(from_fn(crate::cache::read_cache))
                .wrap(from_fn(http::encoding::compress_responses))
                .wrap(from_fn(http::cors::cors))
                .wrap(from_fn(http::limits::limits))
                .wrap(from_fn(middleware::request_context))
        })
        .listen(listener)?
        // Each worker has its own blocking threads: together no more than
        // the database's connections, or they queue on the pool, and a
        // thread woken for a connection that another one took costs two
        // context switches. Random section pages at 100,000 articles:
        // 2,532 req/s with the pool's size plus two per worker (12 threads
        // for 4 connections), 3,754 with 2 per worker.
        .worker_max_blocking_threads(blocking_threads(settings))
        .shutdown_timeout(30);
        if let Some(workers) = settings.workers {
            server = server.workers(workers.max(1));
        }
        Ok(Self {
            port,
            server: server.run(),
            metrics_server,
            metrics_port,
            follower,
            background: settings.scheduler.then_some(Background {
                pool,
                retention: settings.event_retention,
                sender,
            }),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    /// Meanwhile the micro-cache follows writes made on other servers, and
    /// the scheduler announces scheduled publications, embargoes and expiries.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mut background = Vec::new();
        if let Some(work) = self.background {
            background.push(tokio::spawn(work.run()));
        }
        let Follower { pool, cache, hub } = self.follower;
        background.push(tokio::spawn(crate::events::follow::run(pool, cache, hub)));
        let metrics = self.metrics_server.map(|server| {
            let handle = server.handle();
            background.push(tokio::spawn(async move {
                if let Err(e) = server.await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }));
            handle
        });
        let served = self.server.await;
        if let Some(handle) = metrics {
            handle.stop(false).await;
        }
        for task in background {
            task.abort();
        }
        served
    }
}

struct Follower {
    pool: Pool,
    cache: Option<web::Data<ReadCache>>,
    hub: web::Data<Hub>,
}

/// The work a server (or `newsdesk worker`) does beside requests: the
/// scheduler of time-driven events, pruning the change feed, and webhook
/// delivery.
pub struct Background {
    /// The database.
    pub pool: Pool,
    /// How long the change feed keeps events.
    pub retention: chrono::Duration,
    /// Sends webhook deliveries.
    pub sender: Sender,
}

impl Background {
    /// Runs until the task is dropped.
    pub async fn run(self) {
        tokio::join!(
            crate::articles::schedule::run(self.pool.clone(), self.retention),
            crate::webhooks::deliver::run(self.pool, self.sender),
        );
    }
}

/// Paths and their methods, to tell an unknown path (404) from a known path
/// asked with the wrong method (405 with `Allow`).
pub struct RouteTable(Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<(Vec<String>, Vec<Method>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (present, method) in [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ] {
                    if present {
                        methods.push(method);
                    }
                }
                (split_path(path), methods)
            })
            .collect();
        routes.push((split_path("/openapi.json"), vec![Method::GET]));
        Self(routes)
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        let segments = split_path(path);
        self.0.iter().find_map(|(pattern, methods)| {
            let matches = pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            matches.then_some(methods.as_slice())
        })
    }
}

fn split_path(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_string)
        .collect()
}

async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    match routes.allowed(req.path()) {
        Some(methods) if !methods.contains(req.method()) => {
            let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
            Err(ApiError::MethodNotAllowed {
                allow: allow.join(", "),
            })
        }
        _ => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            req.method(),
            req.path()
        ))),
    }
}

/// Blocking threads per worker: the pool's connections shared among the
/// workers (at least one each).
fn blocking_threads(settings: &Settings) -> usize {
    let workers = settings.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        |w| w.max(1),
    );
    (settings.db_pool_size as usize).div_ceil(workers).max(1)
}

/// The OpenAPI document's bytes.
struct OpenApiJson(web::Bytes);

/// `GET /openapi.json`.
async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}
