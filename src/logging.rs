//! Logging to stderr, always: stdout may carry data. Every line, text or JSON, is redacted of known
//! secret values, whichever field or message carried them (a server's echo, a library's error).
//! JSON logs are tracing-subscriber's flattened JSON, one object per line; it writes a field only
//! as a string or a number, so the counts logged as JSON text ([`JSON_FIELDS`]) are rewritten as
//! JSON objects that a log pipeline can query.

use std::borrow::Cow;
use std::io::{self, Write};

use extractor::auth::secret::redact;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogArgs, LogFormat};

/// Fields logged as JSON text (`%serde_json::to_string(..)`) and written as JSON in JSON logs.
const JSON_FIELDS: &[&str] = &["by_plan", "rejects"];

/// Installs the global subscriber; `RUST_LOG` overrides the level chosen by `-v`/`-q`.
pub fn init(args: &LogArgs) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,zoom_licenses={level},extractor={level},transform={level},sinks={level}"
        ))
    });
    let json = args.log_format == LogFormat::Json;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || Redacting { json })
        // Its own report of a failed write is an `eprintln!`, which panics when stderr is gone.
        .log_internal_errors(false);
    let result = match args.log_format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    if let Err(e) = result {
        note!("zoom-licenses: logging is not available: {e}");
    }
}

/// The log writer ([`crate::progress::LogWriter`]), redacting known secret values from what it is
/// given. tracing-subscriber formats each event into one buffer and writes it with one
/// `write_all`, so a line is redacted whole.
struct Redacting {
    /// Whether lines are JSON objects, whose [`JSON_FIELDS`] are written as JSON.
    json: bool,
}

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let line = match self.json {
            true => with_json_fields(&text),
            false => text,
        };
        crate::progress::LogWriter.write_all(redact(&line).as_bytes())?;
        // All of `buf` is consumed, so `write_all` never hands over the rest of a line apart.
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        crate::progress::LogWriter.flush()
    }
}

/// One JSON log line with the [`JSON_FIELDS`] it carries as JSON text written as JSON instead;
/// the line as it is when it carries none.
fn with_json_fields(line: &str) -> Cow<'_, str> {
    // Cheap first: only a line naming one of them is parsed (and then checked by its keys).
    if !JSON_FIELDS.iter().any(|name| line.contains(name)) {
        return Cow::Borrowed(line);
    }
    let Ok(Value::Object(mut event)) = serde_json::from_str(line) else {
        return Cow::Borrowed(line);
    };
    for name in JSON_FIELDS {
        if let Some(Value::String(text)) = event.get(*name)
            && let Ok(value) = serde_json::from_str::<Value>(text)
        {
            event.insert(name.to_string(), value);
        }
    }
    Cow::Owned(format!("{}\n", Value::Object(event)))
}
