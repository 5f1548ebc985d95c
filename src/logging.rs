//! Logging to stderr, always: stdout may carry data.
//!
//! Every line, text or JSON, goes through [`extractor::auth::secret::redact`] on its way out, so
//! a secret value reaches no log line whichever field or message carried it (a server's echo, a
//! library's error).
//!
//! JSON logs are one object per line: `timestamp`, `level`, `message`, the event's fields, `target`.
//! Written here rather than by tracing-subscriber's JSON format, which can only write a field as a
//! string or a number: counts by plan or by reason (the fields in [`JSON_FIELDS`], logged as JSON
//! text) are written as JSON objects, so a log pipeline can query them.

use std::fmt;
use std::io::{self, Write};

use extractor::auth::secret::redact;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Redacting(crate::progress::LogWriter))
        // Its own report of a failed write is an `eprintln!`, which panics when stderr is gone.
        .log_internal_errors(false);
    let result = match args.log_format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.event_format(JsonLines).try_init(),
    };
    if let Err(e) = result {
        note!("zoom-licenses: logging is not available: {e}");
    }
}

/// A writer that redacts known secret values from what it is given. tracing-subscriber formats
/// each event into one buffer and writes it with one `write_all`, so a line is redacted whole.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        // All of `buf` is consumed, so `write_all` never hands over the rest of a line apart.
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// One JSON object per event.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut object = Map::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        object.insert("timestamp".into(), now.into());
        object.insert("level".into(), meta.level().as_str().into());
        event.record(&mut Fields(&mut object));
        object.insert("target".into(), meta.target().into());
        writeln!(writer, "{}", Value::Object(object))
    }
}

/// Collects an event's fields as JSON values.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn text(&mut self, field: &Field, text: String) {
        let value = match JSON_FIELDS.contains(&field.name()) {
            true => serde_json::from_str(&text).unwrap_or(Value::String(text)),
            false => Value::String(text),
        };
        self.0.insert(field.name().into(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` (Display) and the message arrive here too.
        self.text(field, format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}
