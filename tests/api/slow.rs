//! Clients too big or too slow, against the real binary (`newsdesk serve`
//! as a process): oversized headers are refused with 431; a body that
//! stops, or trickles in a byte a second, is cut off with 408 and its
//! connection closed, while normal requests keep their latency.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::both_backends;
use crate::crash::{free_port, start_binary, Running};
use crate::helpers::TestApp;

/// Sends a login whose body promises 100,000 bytes, then `trickle` bytes
/// one a second; what the server answered (its status line), if anything.
fn slow_login(port: u16, trickle: usize) -> String {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{";
    socket.write_all(head.as_bytes()).expect("head");
    for _ in 0..trickle {
        std::thread::sleep(Duration::from_secs(1));
        if socket.write_all(b" ").is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

async fn slow_and_oversized_clients_are_cut_off(app: &TestApp) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Running(
        start_binary(
            &app.client,
            &app.settings.database_url,
            &app.media_dir,
            port,
            &[("NEWSDESK_WORKERS", "2")],
        )
        .await,
    );
    // 40 clients trickling a byte a second, 10 sending nothing more.
    let started = Instant::now();
    let mut clients = Vec::new();
    for i in 0..50 {
        let trickle = if i < 40 { 25 } else { 0 };
        clients.push(tokio::task::spawn_blocking(move || {
            slow_login(port, trickle)
        }));
    }
    // Meanwhile normal requests are answered as usual.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        let res = app
            .client
            .get(format!("{base}/api/v1/sections"))
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200);
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(500),
        "a normal read took {slowest:?}"
    );
    for client in clients {
        let status = client.await.expect("client");
        assert!(status.contains(" 408 "), "answered {status:?}");
    }
    // Cut off after the grace period, well before the trickle would end.
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "the slow clients held on for {took:?}"
    );

    // A request head of 20 KiB.
    let res = app
        .client
        .get(format!("{base}/api/v1/sections"))
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 431);
}

both_backends!(slow_and_oversized_clients_are_cut_off);
