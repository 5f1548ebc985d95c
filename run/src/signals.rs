//! SIGINT and SIGTERM, listened for from the start of the process and remembered: a signal that
//! comes while nothing is waiting for one (a run being opened, between two accounts) is not lost,
//! and the next step that checks stops the run with exit 130 or 143 after removing its temporary
//! files.

use std::sync::OnceLock;

use tokio::sync::watch;

/// The signal received, once one was: set by the listener started by [`listen`].
static RECEIVED: OnceLock<watch::Sender<Option<&'static str>>> = OnceLock::new();

/// The channel the listener reports on.
fn channel() -> &'static watch::Sender<Option<&'static str>> {
    RECEIVED.get_or_init(|| watch::channel(None).0)
}

/// Starts listening for SIGINT and SIGTERM (from then on they no longer end the process at once);
/// called once, at the start of every command that writes.
pub fn listen() {
    let sender = channel();
    tokio::spawn(async move {
        let signal = next_signal().await;
        sender.send_replace(Some(signal));
    });
}

/// The first signal the process received, when one was.
pub fn received() -> Option<&'static str> {
    *channel().borrow()
}

/// Resolves with the signal's name once the process is asked to stop (at once if it already was).
pub async fn interrupted() -> &'static str {
    let mut receiver = channel().subscribe();
    match receiver.wait_for(Option::is_some).await {
        Ok(signal) => signal.unwrap_or("SIGTERM"),
        // The sender is static: it is never dropped.
        Err(_) => std::future::pending().await,
    }
}

/// The exit code of a run stopped by `signal`: 143 for SIGTERM, 130 for SIGINT (and Ctrl-C).
pub fn exit_code(signal: &str) -> u8 {
    match signal {
        "SIGTERM" => crate::exit::TERMINATED,
        _ => crate::exit::INTERRUPTED,
    }
}

/// The failure of a run stopped by `signal` before it wrote anything: exit 130 or 143.
pub fn stopped_by(signal: &str) -> crate::exit::Failure {
    let message = anyhow::anyhow!("interrupted by {signal}; no output was written");
    crate::exit::Failure::new(exit_code(signal), message)
}

/// Whether the run was asked to stop: the extract's stages and the derived tables' reads check it
/// between pages and batches.
pub fn stop_requested() -> bool {
    received().is_some()
}

/// The next SIGINT or SIGTERM (Ctrl-C elsewhere).
async fn next_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
