//! Network failures in plain words: reqwest says only "error sending request"; the cause a user
//! can act on (refused, DNS, TLS) is in the error's sources.

use std::error::Error;

/// `cannot connect to api.zoom.us:443: tcp connect error: Connection refused (os error 111)`;
/// host and port only, as the full URL may hold a page token.
pub fn describe(e: &reqwest::Error) -> String {
    let place = e
        .url()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| "Zoom".into());
    let mut causes: Vec<String> = Vec::new();
    let mut tls = false;
    let mut source = e.source();
    while let Some(cause) = source {
        tls |= is_tls(cause);
        let text = cause.to_string();
        // Wrappers often repeat their source's text; keep each piece once.
        if !text.is_empty() && !causes.iter().any(|c| c.contains(&text) || text.contains(c)) {
            causes.push(text);
        }
        source = cause.source();
    }
    let what = if tls {
        format!(
            "the TLS handshake with {place} failed (is it an HTTPS server with a valid certificate?)"
        )
    } else if e.is_connect() {
        format!("cannot connect to {place}")
    } else if e.is_timeout() {
        format!("no answer from {place} in time")
    } else {
        format!("the request to {place} failed")
    };
    match causes.is_empty() {
        true => what,
        false => format!("{what}: {}", causes.join(": ")),
    }
}

/// Whether `e` is a rustls error, perhaps inside io::Errors (which hide it from `source()`).
fn is_tls(e: &(dyn Error + 'static)) -> bool {
    match e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => is_tls(inner),
        None => e.is::<rustls::Error>(),
    }
}
