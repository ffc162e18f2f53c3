//! A database outage under a running server: requests fail fast with a
//! plain 503 and `Retry-After`, nothing of the cause leaks, and the server
//! recovers by itself when the database is back. The outage is made on the
//! test's own database (it stops taking connections and its sessions are
//! ended), never on the machine's PostgreSQL as a whole.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::helpers::{postgres_admin_url, spawn_app, Backend, TestApp};

fn admin(app: &TestApp, sql: &str) {
    let name = app
        .settings
        .database_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let url = postgres_admin_url().expect("admin url");
    let mut conn = PgConnection::establish(&url).expect("admin connection");
    diesel::sql_query(sql.replace("{db}", &name))
        .execute(&mut conn)
        .expect("admin statement");
}

async fn timed_get(app: &TestApp, path: &str) -> (u16, Duration, Option<String>, String) {
    let started = Instant::now();
    let res = app.get(path, None).await;
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    (status, started.elapsed(), retry, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_fast_and_recovers() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    assert_eq!(timed_get(&app, "/readyz").await.0, 200);
    admin(&app, "ALTER DATABASE \"{db}\" WITH ALLOW_CONNECTIONS false");
    admin(
        &app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{db}' AND pid <> pg_backend_pid()",
    );
    // The first request finds the pool's connections dead: a bounded wait.
    let (status, took, _, _) = timed_get(&app, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(5), "readyz took {took:?}");
    // Now the pool is known empty: every request is answered at once.
    let reads = (0..20).map(|i| {
        let app = &app;
        async move {
            let path = if i % 2 == 0 {
                "/readyz"
            } else {
                "/api/v1/sections?limit=5"
            };
            timed_get(app, path).await
        }
    });
    for (status, took, retry, body) in futures_util::future::join_all(reads).await {
        assert_eq!(status, 503, "{body}");
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
        assert_eq!(retry.as_deref(), Some("5"));
        for secret in [
            "127.0.0.1",
            "5432",
            "connection to server",
            "newsdesk_test",
            "refused",
        ] {
            assert!(!body.contains(secret), "the 503 tells `{secret}`: {body}");
        }
    }
    // Back: the server recovers without a restart.
    admin(&app, "ALTER DATABASE \"{db}\" WITH ALLOW_CONNECTIONS true");
    let deadline = Instant::now() + Duration::from_secs(15);
    while timed_get(&app, "/readyz").await.0 != 200 {
        assert!(Instant::now() < deadline, "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(timed_get(&app, "/api/v1/sections").await.0, 200);
}
