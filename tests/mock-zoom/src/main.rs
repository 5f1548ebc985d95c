//! `mock-zoom`: serves a generated Zoom account on 127.0.0.1 until stopped, for trying live mode
//! and for benchmarks.
//!
//! ```text
//! mock-zoom [ACTIVE [PENDING [INACTIVE [LATENCY_MS]]]]
//! ```
//! Prints the environment a `zoom-licenses extract` needs, one `export` line each, on stdout.

use std::collections::BTreeMap;
use std::time::Duration;

use mock_zoom::{Account, MockZoom, generated_users};

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
    let users = generated_users(arg(0, 850), arg(1, 70), arg(2, 80));
    let latency = Duration::from_millis(arg(3, 0) as u64);
    let mock = MockZoom::start(Account::new(users), BTreeMap::new(), latency).await;
    let account = mock.account();
    println!("export ZOOM_API_URL={}", mock.api_url());
    println!("export ZOOM_OAUTH_URL={}", mock.oauth_url());
    println!("export ZOOM_ACCOUNT_ID={}", account.account_id);
    println!("export ZOOM_CLIENT_ID={}", account.client_id);
    println!("export ZOOM_CLIENT_SECRET={}", account.client_secret);
    eprintln!("mock-zoom: serving; Ctrl-C stops it");
    let _ = tokio::signal::ctrl_c().await;
}
