//! `mock-zoom`: serves a generated Zoom account on 127.0.0.1 until stopped, for trying live mode
//! and for benchmarks.
//!
//! ```text
//! mock-zoom [ACTIVE [PENDING [INACTIVE [LATENCY_MS]]]]
//! ```
//! Prints the environment a `zoom-licenses extract` needs, one `export` line each, on stdout.

use std::collections::BTreeMap;
use std::time::Duration;

use std::sync::Arc;

use mock_zoom::{Account, MockZoom, generated_user};

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("usage: mock-zoom [ACTIVE [PENDING [INACTIVE [LATENCY_MS]]]]");
                std::process::exit(2)
            })
        })
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (active, pending, inactive) = (arg(0, 850), arg(1, 70), arg(2, 80));
    // Rendered one user at a time: a million `Value`s would take gigabytes.
    let mut rendered = BTreeMap::new();
    let mut first = 0;
    for (status, count) in [
        ("active", active),
        ("pending", pending),
        ("inactive", inactive),
    ] {
        let texts: Vec<String> = (first..first + count)
            .map(|n| generated_user(n, status).to_string())
            .collect();
        rendered.insert(status.to_string(), Arc::new(texts));
        first += count;
    }
    let latency = Duration::from_millis(arg(3, 0) as u64);
    let mock = MockZoom::start_rendered(
        Account::new(BTreeMap::new()),
        rendered,
        BTreeMap::new(),
        latency,
    )
    .await;
    if let Ok(size) = std::env::var("MOCK_ZOOM_PRERENDER_PAGE_SIZE") {
        mock.prerender(size.parse().unwrap_or(2000));
    }
    let account = mock.account();
    println!("export ZOOM_API_URL={}", mock.api_url());
    println!("export ZOOM_OAUTH_URL={}", mock.oauth_url());
    println!("export ZOOM_ACCOUNT_ID={}", account.account_id);
    println!("export ZOOM_CLIENT_ID={}", account.client_id);
    println!("export ZOOM_CLIENT_SECRET={}", account.client_secret);
    println!("export MOCK_ZOOM_READY=1");
    eprintln!("mock-zoom: serving; Ctrl-C or SIGTERM stops it");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
