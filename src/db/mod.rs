//! The database: one connection type over SQLite and PostgreSQL, a pool, the
//! embedded migrations, and [`run`], the one way handlers reach the database.

pub mod cached;
pub mod constraints;
pub mod schema;
pub mod text_enum;

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection};
use diesel::sql_types::{Bool, Text};
use diesel::BoxableExpression;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL, the production backend.
    Postgres(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// `$body` with `$c` the connection of whichever backend `$conn` is: for
/// statements both backends run but diesel builds only for one at a time
/// (a multi-row `INSERT … VALUES`, which [`DbConn`] does not build).
macro_rules! each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use each_backend;

/// The connection pool.
pub type Pool = r2d2::Pool<Manager>;
/// A connection taken from the [`Pool`].
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// The file path of a `sqlite://` URL, or `None` for another scheme.
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL a PostgreSQL connection is made with. A server on this machine
/// (a loopback address, `localhost`, or a Unix socket) is asked first
/// without TLS, unless the URL or the environment (`env_set` tells which
/// variables are set) says anything of TLS or names the host itself:
/// libpq's default (`prefer`) encrypts a loopback connection, which nobody
/// else can read, and every query and answer paid for it (random slugs at
/// 100,000 articles: 12,820 req/s against 15,386 without, the server and
/// PostgreSQL each spending about a sixth less per read). `sslmode=allow`
/// still falls back to TLS where the server accepts nothing else.
pub fn postgres_url<'a>(url: &'a str, env_set: &dyn Fn(&str) -> bool) -> std::borrow::Cow<'a, str> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hosts.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => hosts.split(':').next().unwrap_or(""),
    };
    // No host in the URL: libpq takes `PGHOST` (or `PGHOSTADDR`), else
    // its Unix socket.
    let from_env = ["PGHOST", "PGHOSTADDR"].iter().any(|v| env_set(v));
    let local = !hosts.contains(',')
        && ((host.is_empty() && !from_env)
            || host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()));
    // Any TLS parameter (a client certificate, a root certificate…) says
    // how TLS is wanted; so does `PGSSLMODE`.
    let told = query.split('&').any(|p| {
        let name = p.split('=').next().unwrap_or("");
        name.starts_with("ssl") || name == "requiressl" || name == "host" || name == "hostaddr"
    }) || ["PGSSLMODE", "PGREQUIRESSL"].iter().any(|v| env_set(v));
    if !local || told {
        return url.into();
    }
    let joint = if query.is_empty() { "?" } else { "&" };
    let joint = if url.ends_with('?') || url.ends_with('&') {
        ""
    } else {
        joint
    };
    format!("{url}{joint}sslmode=allow").into()
}

/// `column IN (ids)` as SQLite keeps it prepared, or `None` on PostgreSQL
/// (whose `= ANY($1)`, diesel's `eq_any`, is one statement already).
/// SQLite's `IN (?, ?, …)` is another statement for every count of ids, and
/// diesel prepares it anew at each use (parsing and planning were 7% of a
/// search's time); here the ids are one JSON array, read by `json_each`,
/// in a statement kept prepared ([`cached`]).
pub fn json_among<'a, QS: 'a>(
    conn: &DbConn,
    column: &str,
    ids: &[String],
) -> Option<Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool> + 'a>> {
    let DbConn::Sqlite(_) = conn else {
        return None;
    };
    let array = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_string());
    Some(Box::new(cached::wrapped::<Bool, _>(
        format!("{column} IN (SELECT value FROM json_each("),
        diesel::IntoSql::into_sql::<Text>(array),
        "))",
    )))
}

/// Opens one connection, choosing the backend by the URL's scheme and keeping
/// the real error (the derived `establish` hides it).
pub fn connect(url: &str) -> Result<DbConn, diesel::ConnectionError> {
    if let Some(path) = sqlite_path(url) {
        stable_plans();
        let mut conn = SqliteConnection::establish(path)?;
        // WAL lets readers run beside a writer; the busy timeout makes writers
        // wait for each other instead of failing; SQLite leaves foreign keys
        // off unless asked. A page cache of 2 MiB per connection (SQLite's
        // default): it holds the interior pages of the delivery table and its
        // slug index (213 pages of 4 KiB at 100,000 articles), which 512 KiB
        // did not, so a random read by slug made 4.5 `pread` calls, now 3.3
        // (strace), and ran 3-7 % faster; the server's peak under random
        // reads rose from 40-41 to 48-49 MiB (49 to 56-57 with the micro-cache).
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA cache_size = -2048;",
        )
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok(DbConn::Sqlite(conn))
    } else if is_postgres(url) {
        Ok(DbConn::Postgres(PgConnection::establish(&postgres_url(
            url,
            &|name| std::env::var_os(name).is_some(),
        ))?))
    } else {
        Err(diesel::ConnectionError::InvalidConnectionUrl(
            "DATABASE_URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// Turns on SQLite's query planner stability guarantee for every
/// connection this process opens (an auto-extension runs for each).
///
/// Since 3.47 SQLite reads a bound `LIMIT ?` while planning, and marks the
/// statement to be prepared again whenever that parameter is bound: diesel
/// binds every limit, so each cached statement with one (an article by slug,
/// every page of a list) was parsed and planned anew on every use, a quarter
/// of the CPU of a read by slug. With the guarantee, plans do not depend on
/// bound values (nor on STAT4 samples probed with them): a cached statement
/// is only prepared once.
fn stable_plans() {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_char, c_int};

    unsafe extern "C" fn enable(
        db: *mut ffi::sqlite3,
        _error: *mut *mut c_char,
        _api: *const ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: `db` is the connection SQLite is opening; this option
        // takes an int and an optional int pointer for the old value.
        unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as c_int,
                std::ptr::null_mut::<c_int>(),
            )
        }
    }

    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a function with the signature SQLite expects; it
    // lives as long as the program.
    ONCE.call_once(|| unsafe {
        ffi::sqlite3_auto_extension(Some(enable));
    });
}

/// The r2d2 manager for [`DbConn`].
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

/// A connection as the pool keeps it: the backend's connection, and when it
/// was last known to work.
pub struct Pooled {
    conn: DbConn,
    /// When it was last checked or handed back after use.
    trusted_at: Instant,
    /// [`LOST_CONNECTIONS`] at that moment.
    losses_seen: u64,
    /// Lost during its last use: the pool drops it instead of keeping it.
    broken: bool,
}

impl std::ops::Deref for Pooled {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// How long a connection handed back after use is trusted without a check
/// at checkout (HikariCP's "alive bypass window"). Under load every
/// connection is back within milliseconds, and checking each one with a
/// `SELECT 1` was a second round trip to PostgreSQL for every request (at
/// 20,000 articles, random articles by slug: 8,100-8,600 req/s with it,
/// 11,000-11,900 without; PostgreSQL's CPU per request 110 µs, then 70).
/// A connection idle for longer is checked, so one left dead by a database
/// restart is replaced before anyone uses it.
const TRUSTED_FOR: Duration = Duration::from_millis(500);

/// How many times a query found its connection lost (the server went away,
/// or the network): every connection trusted before is checked again.
static LOST_CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether `err` means the connection is gone (counted, so that the pool
/// checks its other connections before handing them out again).
pub fn connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    let lost = matches!(
        err,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    );
    if lost {
        LOST_CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
    lost
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let conn = connect(&self.url).map_err(r2d2::Error::ConnectionError)?;
        Ok(Pooled {
            conn,
            trusted_at: Instant::now(),
            losses_seen: LOST_CONNECTIONS.load(std::sync::atomic::Ordering::Acquire),
            broken: false,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        let losses = LOST_CONNECTIONS.load(std::sync::atomic::Ordering::Acquire);
        if pooled.losses_seen == losses && pooled.trusted_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        pooled
            .conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)?;
        pooled.trusted_at = Instant::now();
        pooled.losses_seen = losses;
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        // Handed back: it worked until now, unless its last query found it lost.
        pooled.trusted_at = Instant::now();
        pooled.broken
    }
}

/// How long a request waits for a connection while the pool has some.
pub const POOL_WAIT: Duration = Duration::from_secs(3);
/// How long it waits when the pool has none: every connection died or
/// could not be made, so the database is most likely down, and a request
/// should hear 503 at once rather than queue (it still tries, so the pool
/// recovers as soon as the database answers).
pub const POOL_WAIT_WHEN_DOWN: Duration = Duration::from_millis(250);

/// Milliseconds since the first checkout: when the next request may try the
/// database while the pool holds no connection (0: no outage known).
static NEXT_PROBE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn millis_now() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A connection, waiting [`POOL_WAIT`] at most. When the pool holds none
/// (the database went away), one request at a time, at most one every
/// [`POOL_WAIT_WHEN_DOWN`], tries the database for that long; the others
/// are refused at once instead of queueing behind it, so an outage costs
/// callers no time and the pool still notices the database's return.
pub fn checkout(pool: &Pool) -> Result<PooledConnection, ApiError> {
    use std::sync::atomic::Ordering;
    let empty = pool.state().connections == 0;
    if empty {
        let now = millis_now();
        let next = NEXT_PROBE.load(Ordering::Acquire);
        let wait_ms = POOL_WAIT_WHEN_DOWN.as_millis() as u64;
        let mine = now >= next
            && NEXT_PROBE
                .compare_exchange(next, now + wait_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
        if !mine {
            crate::metrics::global().pool_checkout(std::time::Duration::ZERO, false);
            return Err(ApiError::Unavailable(
                "database pool: no connection, and another request is trying the database".into(),
            ));
        }
    }
    let wait = if empty {
        POOL_WAIT_WHEN_DOWN
    } else {
        POOL_WAIT
    };
    let started = std::time::Instant::now();
    let conn = pool.get_timeout(wait);
    crate::metrics::global().pool_checkout(started.elapsed(), conn.is_ok());
    if conn.is_ok() && empty {
        NEXT_PROBE.store(0, std::sync::atomic::Ordering::Release);
    }
    Ok(conn?)
}

/// Builds the pool and checks that one connection can be made.
pub fn pool(url: &str, size: u32) -> anyhow::Result<Pool> {
    if sqlite_path(url).is_none() && !is_postgres(url) {
        anyhow::bail!(
            "DATABASE_URL must start with sqlite:// or postgres://, got {}",
            redact_url(url)
        );
    }
    // Fail fast with the real cause (wrong password, no such file) rather than
    // r2d2's generic timeout.
    connect(url).map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact_url(url)))?;
    let pool = r2d2::Pool::builder()
        .max_size(size)
        // A SQLite connection is a file handle that cannot break; checking
        // it with a query at every checkout only costs. A PostgreSQL
        // connection may have died with its server: checked, unless it was
        // in use a moment ago (see [`TRUSTED_FOR`]).
        .test_on_check_out(sqlite_path(url).is_none())
        .connection_timeout(POOL_WAIT)
        .build(Manager {
            url: url.to_string(),
        })?;
    Ok(pool)
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Applies pending migrations; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
    .len();
    if let DbConn::Sqlite(c) = conn {
        // Statistics for the query planner where they are missing or stale
        // (SQLite has no background ANALYZE); cheap when nothing changed.
        c.batch_execute("PRAGMA optimize=0x10002")
            .map_err(|e| anyhow::anyhow!("PRAGMA optimize failed: {e}"))?;
    }
    Ok(applied)
}

/// Runs blocking database work off the async workers, on a pooled connection.
/// Every handler reaches the database through this one helper.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::rt::task::spawn_blocking(move || run_here(&pool, work))
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
}

/// [`run`] on the calling thread, which may block: for work that is on a
/// blocking thread already.
pub fn run_here<T, F>(pool: &Pool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    let mut conn = checkout(pool)?;
    let losses = LOST_CONNECTIONS.load(std::sync::atomic::Ordering::Acquire);
    let result = work(&mut conn);
    if LOST_CONNECTIONS.load(std::sync::atomic::Ordering::Acquire) != losses {
        // A connection was lost meanwhile (most likely this one: the
        // database went away). This one is dropped, and the idle ones
        // are checked now, each failing fast, so that the next requests
        // find the pool empty and are refused at once rather than wait
        // on dead connections.
        conn.broken = true;
        drop(conn);
        let _ = pool.get_timeout(Duration::ZERO);
    }
    result
}

/// Runs a short read on the calling thread when the database is SQLite and
/// a connection is free at once: a lookup in an indexed table is a few
/// microseconds, less than handing it to another thread and back. Anything
/// else (PostgreSQL's network round trip, a busy pool) goes through [`run`].
pub async fn read_quick<T, F>(pool: &Pool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    // SQLite pools are the ones not checked at checkout (see [`pool`]).
    if !pool.test_on_check_out() {
        if let Some(mut conn) = pool.try_get() {
            crate::metrics::global().pool_checkout(Duration::ZERO, true);
            return work(&mut conn);
        }
    }
    run(pool, work).await
}

/// [`run`] for a single query: its database error becomes the `ApiError`
/// at this boundary (a unique violation by its constraint, anything else a
/// logged 500).
pub async fn query<T, F>(pool: &Pool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| Ok(work(conn)?)).await
}

/// Runs `work` in a write transaction, or in a savepoint when one is open
/// (the demo stores its comment threads that way). On SQLite the transaction
/// takes the write lock up front (`BEGIN IMMEDIATE`), so two writers queue on
/// the busy timeout instead of one failing when it upgrades a read lock.
pub fn write_tx<T, F>(conn: &mut DbConn, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    // Inside a transaction already: a savepoint, so the inner change still
    // applies whole or not at all. (Savepoints make SQLite's full-text index
    // flush: batches go through one transaction, not a savepoint per item.)
    let outermost = match conn {
        DbConn::Sqlite(inner) => AnsiTransactionManager::transaction_manager_status_mut(inner)
            .transaction_depth()?
            .is_none(),
        _ => false,
    };
    if !outermost {
        return conn.transaction(work);
    }
    if let DbConn::Sqlite(inner) = conn {
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    }
    let result = work(conn);
    if let DbConn::Sqlite(inner) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(inner)?,
            Err(_) => {
                if let Err(e) = AnsiTransactionManager::rollback_transaction(inner) {
                    tracing::error!(error = %e, "rollback failed");
                }
            }
        }
    }
    result
}

/// Checks that the database answers, for `/readyz`.
pub fn ping(conn: &mut DbConn) -> Result<(), ApiError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// Now, truncated to microseconds: PostgreSQL keeps no more, so a value
/// compares equal after a round trip through either backend.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

/// Truncates a timestamp to microseconds.
pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    let micros = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(micros).unwrap_or(t)
}

/// A new UUIDv7 id as text, the form every id column holds.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_int, CString};

    #[test]
    fn local_postgres_servers_are_asked_without_tls_first() {
        let url = |u| super::postgres_url(u, &|_| false).into_owned();
        for (given, made) in [
            (
                "postgres://u@127.0.0.1:5432/db",
                "postgres://u@127.0.0.1:5432/db?sslmode=allow",
            ),
            (
                "postgres://u:p@localhost/db?application_name=x",
                "postgres://u:p@localhost/db?application_name=x&sslmode=allow",
            ),
            (
                "postgresql://[::1]:5433/db",
                "postgresql://[::1]:5433/db?sslmode=allow",
            ),
            ("postgres:///db", "postgres:///db?sslmode=allow"),
            (
                "postgres://127.8.0.1/db?",
                "postgres://127.8.0.1/db?sslmode=allow",
            ),
        ] {
            assert_eq!(url(given), made, "{given}");
        }
        // Another machine, or a URL that says how: as given.
        for given in [
            "postgres://u@db.internal:5432/db",
            "postgres://u@10.0.0.7/db",
            "postgres://u@[2001:db8::1]/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?sslmode=disable",
            "postgres:///db?host=/var/run/postgresql",
            "postgres://u@127.0.0.1,db.internal/db",
            "postgres://u@127.0.0.evil.example/db",
            "postgres://u@localhost/db?sslrootcert=/etc/ca.pem",
            "postgres://u@127.0.0.1/db?a=b&sslcert=/etc/me.pem",
        ] {
            assert_eq!(url(given), given);
        }
        // The environment says how, or names the host: libpq follows it.
        for variable in ["PGSSLMODE", "PGREQUIRESSL", "PGHOST", "PGHOSTADDR"] {
            let set = |name: &str| name == variable;
            let local = if variable.starts_with("PGHOST") {
                "postgres:///db"
            } else {
                "postgres://u@127.0.0.1/db"
            };
            assert_eq!(super::postgres_url(local, &set), local, "{variable}");
        }
        // A host in the URL is the host, whatever PGHOST says.
        assert_eq!(
            super::postgres_url("postgres://u@127.0.0.1/db", &|name| name == "PGHOST"),
            "postgres://u@127.0.0.1/db?sslmode=allow"
        );
    }

    /// A statement with `LIMIT ?`, bound anew and run again, is not
    /// prepared again on connections this process opens.
    #[test]
    fn bound_limits_do_not_reprepare() {
        super::stable_plans();
        // SAFETY: plain use of the SQLite C API on a private in-memory
        // connection; every handle is finalised and closed.
        unsafe {
            let mut db = std::ptr::null_mut();
            let name = CString::new(":memory:").expect("name");
            assert_eq!(ffi::sqlite3_open(name.as_ptr(), &mut db), ffi::SQLITE_OK);
            let mut qpsg: c_int = -1;
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1 as c_int, &mut qpsg);
            assert_eq!(qpsg, 1);
            let sql = CString::new("SELECT value FROM json_each('[1,2,3]') LIMIT ?").expect("sql");
            let mut stmt = std::ptr::null_mut();
            assert_eq!(
                ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, std::ptr::null_mut()),
                ffi::SQLITE_OK
            );
            for limit in [1, 2, 3] {
                ffi::sqlite3_bind_int64(stmt, 1, limit);
                let mut rows = 0;
                while ffi::sqlite3_step(stmt) == ffi::SQLITE_ROW {
                    rows += 1;
                }
                assert_eq!(rows, limit);
                ffi::sqlite3_reset(stmt);
            }
            let reprepared = ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(stmt);
            ffi::sqlite3_close(db);
            assert_eq!(reprepared, 0);
        }
    }

    /// The bundled SQLite is built as `.cargo/config.toml` asks: a page
    /// cache per connection (no process-wide one behind a mutex) and no
    /// allocation counters.
    #[test]
    fn sqlite_is_built_without_shared_page_cache_or_memory_counters() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory db");
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .expect("compile options")
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }

    /// Search keys fall with time (migration 000024), for articles indexed
    /// before the migration and after it, and its `down.sql` maps them back:
    /// search finds the newest first either way, and the index stays whole.
    #[test]
    fn search_keys_fall_with_time_and_the_migration_maps_them_both_ways() {
        use super::{migrate, DbConn, SQLITE_MIGRATIONS};
        use crate::articles::search;
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        use diesel_migrations::MigrationHarness;
        #[derive(QueryableByName)]
        struct Key {
            #[diesel(sql_type = diesel::sql_types::Text)]
            article_id: String,
        }
        fn keys(c: &mut SqliteConnection) -> Vec<String> {
            diesel::sql_query("SELECT article_id FROM article_search_keys ORDER BY rowid")
                .load::<Key>(c)
                .expect("keys")
                .into_iter()
                .map(|k| k.article_id)
                .collect()
        }
        fn whole(c: &mut SqliteConnection) {
            c.batch_execute(
                "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check'); \
                 INSERT INTO article_headlines_fts (article_headlines_fts) VALUES ('integrity-check')",
            )
            .expect("the full-text indexes are whole");
        }
        let ids = |names: &[&str]| -> Vec<String> { names.iter().map(|n| n.to_string()).collect() };
        let mut conn =
            DbConn::Sqlite(SqliteConnection::establish(":memory:").expect("in-memory db"));
        migrate(&mut conn).expect("migrations");
        let DbConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        // The migration before 000024: keys count up.
        c.revert_last_migration(SQLITE_MIGRATIONS).expect("down");
        for id in ["a1", "a2"] {
            diesel::sql_query("INSERT INTO article_search_keys (article_id) VALUES (?)")
                .bind::<diesel::sql_types::Text, _>(id)
                .execute(c)
                .expect("old key");
            diesel::sql_query(
                "INSERT INTO articles_fts (rowid, article_id, headline, summary, body) \
                 SELECT rowid, article_id, 'budget vote', '', 'the council met' \
                 FROM article_search_keys WHERE article_id = ?",
            )
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)
            .expect("old text");
            diesel::sql_query(
                "INSERT INTO article_headlines_fts (rowid, headline) \
                 SELECT rowid, 'budget vote' FROM article_search_keys WHERE article_id = ?",
            )
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)
            .expect("old headline");
        }
        assert_eq!(keys(c), ids(&["a1", "a2"]));
        migrate(&mut conn).expect("up again");
        let DbConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        assert_eq!(keys(c), ids(&["a2", "a1"]));
        whole(c);
        // Saved after the migration, one by one: below every key.
        search::index(&mut conn, "a3", "budget vote", "", "the council met").expect("index");
        search::index(&mut conn, "a4", "budget vote", "", "the council met").expect("index");
        // Saved again: its key stays.
        search::index(&mut conn, "a3", "budget vote", "", "the council met again").expect("index");
        let newest = ids(&["a4", "a3", "a2", "a1"]);
        assert_eq!(
            search::search(&mut conn, "budget", 10).expect("search"),
            newest
        );
        assert_eq!(
            search::search(&mut conn, "council", 10).expect("search"),
            newest
        );
        assert_eq!(
            search::search(&mut conn, "council", 2).expect("search"),
            ids(&["a4", "a3"])
        );
        let DbConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        assert_eq!(keys(c), newest);
        whole(c);
        // And back: keys count up again, in the same order of saves.
        c.revert_last_migration(SQLITE_MIGRATIONS).expect("down");
        assert_eq!(keys(c), ids(&["a1", "a2", "a3", "a4"]));
        whole(c);
    }
}
