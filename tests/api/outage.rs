//! A database outage under the running binary: a PostgreSQL cluster of the
//! test's own (initdb, pg_ctl; never the machine's main one) is stopped
//! with `pg_ctl stop -m immediate` while `newsdesk serve` runs on it.
//! Requests fail fast with a plain 503 and `Retry-After`, nothing of the
//! cause leaks, and the server recovers by itself when the cluster is back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::crash::{free_port, start_binary, Running};
use crate::helpers::postgres_admin_url;

/// A PostgreSQL cluster in a temporary directory, on a port of its own.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Run the tools as `postgres` (PostgreSQL refuses to run as root).
    as_postgres: bool,
}

impl Cluster {
    /// The newest installed PostgreSQL's tools.
    fn tools() -> Option<PathBuf> {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .collect();
        versions.sort();
        versions.pop()
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .map(|l| l.split_whitespace().next() == Some("0"))
            })
            .unwrap_or(false)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let status = command
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(status.success(), "{tool} {args:?} failed");
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        let options = format!("-p {} -h 127.0.0.1 -k {}", self.port, self.dir.display());
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// As a crash or a pulled cable would: no shutdown, connections cut.
    fn stop_immediately(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    /// A fresh cluster, started; `None` when PostgreSQL tests are off.
    fn create() -> Option<Self> {
        postgres_admin_url()?;
        let bin = Self::tools().expect("PostgreSQL's initdb (the postgresql package)");
        let dir = std::env::temp_dir().join(format!(
            "newsdesk-cluster-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let as_postgres = Self::is_root();
        if as_postgres {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let cluster = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        } else {
            Command::new(&program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn timed_get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
) -> (u16, Duration, Option<String>, String) {
    let started = Instant::now();
    let res = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    (status, started.elapsed(), retry, body)
}

/// `newsdesk serve` on `cluster`: a client, the server's base URL, and the
/// running binary (stopped when dropped).
async fn serve(cluster: &Cluster) -> (reqwest::Client, String, Running) {
    let media = cluster.dir.join("media");
    let client = reqwest::Client::new();
    let port = free_port();
    let server = start_binary(&client, &cluster.url(), Path::new(&media), port, &[]).await;
    (client, format!("http://127.0.0.1:{port}"), Running(server))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_fast_and_recovers() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    let (client, base, _server) = serve(&cluster).await;
    assert_eq!(timed_get(&client, &base, "/readyz").await.0, 200);
    assert_eq!(timed_get(&client, &base, "/api/v1/sections").await.0, 200);

    cluster.stop_immediately();
    // The first request finds the pool's connections dead: a bounded wait.
    let (status, took, _, _) = timed_get(&client, &base, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(5), "readyz took {took:?}");
    // Now the pool is known empty: 50 concurrent requests, each answered at once.
    let reads = (0..50).map(|i| {
        let (client, base) = (&client, &base);
        async move {
            let path = if i % 2 == 0 {
                "/readyz"
            } else {
                "/api/v1/sections?limit=5"
            };
            timed_get(client, base, path).await
        }
    });
    for (status, took, retry, body) in futures_util::future::join_all(reads).await {
        assert_eq!(status, 503, "{body}");
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
        assert_eq!(retry.as_deref(), Some("5"));
        assert!(body.contains("request_id"), "{body}");
        for secret in [
            "127.0.0.1",
            &cluster.port.to_string(),
            "connection to server",
            "postgres",
            "refused",
        ] {
            assert!(!body.contains(secret), "the 503 tells `{secret}`: {body}");
        }
    }

    // Back: the server recovers without a restart.
    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(15);
    while timed_get(&client, &base, "/readyz").await.0 != 200 {
        assert!(Instant::now() < deadline, "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(timed_get(&client, &base, "/api/v1/sections").await.0, 200);
}

/// Connections cut while the database stays up (an operator's
/// `pg_terminate_backend`, a proxy's restart, a failover). The pool does not
/// check a connection that was in use a moment ago, so the next request may
/// find its connection dead: it answers a plain 503 with `Retry-After`
/// (never a 500 telling the cause), and the pool drops every dead
/// connection at once, so that the requests after it are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_connections_are_replaced_at_once() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    let (client, base, _server) = serve(&cluster).await;
    assert_eq!(timed_get(&client, &base, "/api/v1/sections").await.0, 200);

    let port = cluster.port.to_string();
    cluster.run(
        "psql",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
        ],
    );
    let (status, took, retry, body) = timed_get(&client, &base, "/api/v1/sections").await;
    assert!(status == 200 || status == 503, "{status}: {body}");
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
    if status == 503 {
        assert_eq!(retry.as_deref(), Some("5"));
        for secret in ["terminat", "connection", "postgres", "administrator"] {
            assert!(!body.contains(secret), "the 503 tells `{secret}`: {body}");
        }
    }
    // No dead connection is handed out again: every request after it is served.
    for _ in 0..20 {
        let (status, took, _, body) = timed_get(&client, &base, "/api/v1/sections").await;
        assert_eq!(status, 200, "{body}");
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
    }
}

/// Whether a connection to `url` is encrypted, and whether its server
/// accepts TLS at all.
fn tls_of(url: &str) -> (bool, bool) {
    use diesel::RunQueryDsl;
    let newsdesk::db::DbConn::Postgres(mut conn) = newsdesk::db::connect(url).expect("connect")
    else {
        panic!("not PostgreSQL: {url}");
    };
    let ask = |conn: &mut diesel::PgConnection, sql: &str| -> bool {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(sql))
            .get_result(conn)
            .expect(sql)
    };
    (
        ask(
            &mut conn,
            "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
        ),
        ask(&mut conn, "current_setting('ssl') = 'on'"),
    )
}

/// The server on this machine is reached without TLS (libpq's default
/// would encrypt the loopback traffic, a sixth of each read's cost), unless
/// the URL asks for TLS; then it is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_connections_skip_tls_unless_asked() {
    let Some(url) = postgres_admin_url() else {
        return;
    };
    let (encrypted, server_has_tls) = tls_of(&url);
    assert!(!encrypted, "a connection to {url} was encrypted");
    if !server_has_tls {
        eprintln!("NOTE: this PostgreSQL server has no TLS: only the plain connection was checked");
        return;
    }
    let joint = if url.contains('?') { '&' } else { '?' };
    let (encrypted, _) = tls_of(&format!("{url}{joint}sslmode=require"));
    assert!(encrypted, "sslmode=require was not followed");
}
