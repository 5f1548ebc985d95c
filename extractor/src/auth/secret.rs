//! A string that must never be shown ([`Secret`]), and the registry of the secret values this
//! process knows, which [`redact`] removes from any text it prints or keeps. Text the code does not
//! write (a server's body, a parser's message) may hold a value in any shape, so each channel that
//! prints (logs, the final error, `check`, recorded pages, the accounts manifest) goes through
//! [`redact`]: `secrecy` and `redactable` wrap values in types but do not scrub foreign text.

use std::borrow::Cow;
use std::fmt;
use std::sync::{PoisonError, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Shorter values are not registered: they also occur in ordinary words, whose replacement would
/// garble every line and, by where the `***` fall, show the value anyway (Zoom's are 32 and more).
pub const SHORTEST_REDACTED: usize = 8;

/// What a known secret value is replaced with.
const REDACTED: &str = "***";

/// Every secret value known, in each form a line may show it, and one leftmost-longest matcher of
/// them all (a value that contains another is replaced whole).
struct Known {
    values: Vec<String>,
    matcher: Option<AhoCorasick>,
}

static KNOWN: RwLock<Known> = RwLock::new(Known {
    values: Vec::new(),
    matcher: None,
});

/// Registers a secret value (and its escaped forms in `Debug` and JSON text and in a URL), so
/// [`redact`] removes it from any text; values under [`SHORTEST_REDACTED`] characters are ignored.
pub fn register(value: &str) {
    if value.chars().count() < SHORTEST_REDACTED {
        return;
    }
    // A `?field` of a text log escapes quotes and backslashes, a JSON log escapes them its way,
    // and a server may echo a form or query string as it came.
    let json = serde_json::to_string(value).unwrap_or_default();
    let quoted = [format!("{value:?}"), json];
    let escaped = quoted
        .iter()
        .filter_map(|q| q.strip_prefix('"')?.strip_suffix('"'));
    let form: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let mut known = KNOWN.write().unwrap_or_else(PoisonError::into_inner);
    let before = known.values.len();
    for form in [value, form.as_str()].into_iter().chain(escaped) {
        if !known.values.iter().any(|k| k == form) {
            known.values.push(form.to_owned());
        }
    }
    if known.values.len() > before {
        // Values are a few dozen at most: building anew on each new one is cheap.
        known.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&known.values)
            .ok();
    }
}

/// Registers the HTTP Basic values of `client_id` and `client_secret`: base64 of `id:secret` as
/// reqwest sends it and form-encoded first as oauth2 does, in every alphabet an echo may re-encode.
pub fn register_basic(client_id: &str, client_secret: &Secret) {
    let form = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pairs = [
        format!("{client_id}:{}", client_secret.expose()),
        format!("{}:{}", form(client_id), form(client_secret.expose())),
    ];
    for pair in &pairs {
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            register(&engine.encode(pair));
        }
    }
}

/// `text` with every registered secret value replaced by `***`; borrowed when there was none.
pub fn redact(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(PoisonError::into_inner);
    match &known.matcher {
        Some(matcher) if matcher.is_match(text) => {
            let mut out = String::with_capacity(text.len());
            matcher.replace_all_with(text, &mut out, |_, _, out| {
                out.push_str(REDACTED);
                true
            });
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text),
    }
}

/// A secret value; `Debug` and `Display` print `***`, so it cannot leak through logs or errors.
/// Serialized as the plain value: only the token file, written with mode 0600, stores secrets.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "String")]
pub struct Secret(String);

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl Secret {
    /// Wraps a secret value, and registers it for [`redact`].
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `text` (a parser's message about a file that may hold secrets) with no text of the file left:
/// the name after `unknown field`/`unknown variant` (a secret pasted as a key) and every quoted
/// value replaced by `…`; the position and the names expected are kept.
pub fn without_file_text(text: &str) -> String {
    without_quoted_values(&without_unknown_names(text))
}

/// `text` with the name serde writes after `unknown field` or `unknown variant` replaced by `…`.
fn without_unknown_names(text: &str) -> String {
    const LEADS: [&str; 2] = ["unknown field `", "unknown variant `"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, lead)) = LEADS
        .iter()
        .filter_map(|lead| rest.find(lead).map(|at| (at, *lead)))
        .min()
    {
        let name_start = at + lead.len();
        out.push_str(&rest[..name_start]);
        out.push_str("…`");
        let after = &rest[name_start..];
        // serde closes the name before `, expected …` or `, there are no …`; the name itself may
        // hold a backtick, so the first backtick is only the fallback.
        let name_end = ["`, expected", "`, there are no"]
            .iter()
            .filter_map(|end| after.find(end))
            .min()
            .or_else(|| after.find('`'));
        rest = match name_end {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// `text` with every double-quoted value replaced by `"…"` (an unclosed one runs to the end).
fn without_quoted_values(text: &str) -> String {
    let outside: Vec<&str> = text.split('"').step_by(2).collect();
    let unclosed = text.matches('"').count() % 2 == 1;
    outside.join("\"…\"") + if unclosed { "\"…\"" } else { "" }
}

/// Text a server sent, made safe to show: [`redact`]ed, without control characters (a body must not
/// forge log lines), anything after `Bearer`/`Basic` and any JSON Web Token replaced by `***` (a
/// proxy may echo credentials this process never held); at most 200 characters.
pub fn remote_text(text: &str) -> String {
    // Redacted after the control characters go (removing a newline may join a secret split by
    // it) and before the cut (so no cut-off prefix of a secret is shown).
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .collect();
    let clean: String = redact(&clean).chars().take(200).collect();
    let mut previous = "";
    let words: Vec<&str> = clean
        .split(' ')
        .map(|word| {
            let credential = ["bearer", "basic"]
                .iter()
                .any(|s| previous.eq_ignore_ascii_case(s))
                || word.trim_start_matches(['"', '\'']).starts_with("eyJ");
            previous = word;
            if credential { "***" } else { word }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_left_out_and_the_position_and_expected_names_kept() {
        assert_eq!(
            without_file_text(
                "unknown field `s3cr3t-Qz81`, expected one of `version`, `client_id` at line 1 \
                 column 27"
            ),
            "unknown field `…`, expected one of `version`, `client_id` at line 1 column 27"
        );
        assert_eq!(
            without_file_text("unknown field `a`b\"c`, there are no fields"),
            "unknown field `…`, there are no fields"
        );
        assert_eq!(
            without_file_text("unknown variant `s3cr3t`, expected `text` or `json`"),
            "unknown variant `…`, expected `text` or `json`"
        );
        assert_eq!(
            without_file_text("unknown field `s3cr3t"),
            "unknown field `…`"
        );
        assert_eq!(
            without_file_text("missing field `client_id`"),
            "missing field `client_id`"
        );
    }

    #[test]
    fn quoted_values_and_echoed_credentials_are_left_out() {
        assert_eq!(
            without_file_text(r#"invalid type: string "hunter2", expected `bool`"#),
            r#"invalid type: string "…", expected `bool`"#
        );
        let echoed = "Unauthorized: Authorization: Bearer eyJhbGciOi.x.y and Basic bW9jaw== \u{1b}[31m\nFAKE LOG";
        let shown = remote_text(echoed);
        assert!(
            !shown.contains("eyJhbGciOi") && !shown.contains("bW9jaw=="),
            "{shown}"
        );
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\n'),
            "{shown}"
        );
        assert!(
            shown.starts_with("Unauthorized: Authorization: Bearer ***"),
            "{shown}"
        );
    }

    #[test]
    fn a_registered_value_is_redacted_in_any_shape() {
        // Each test registers values of its own: the registry is shared by the whole process.
        let token = "unit-token-Wq83Lm";
        let _ = Secret::new(token);
        for shape in [
            format!(r#"{{"authorization": "Bearer {token}"}}"#),
            format!("Bearer\t{token}"),
            format!("Bearer\n{token}"),
            format!("Bearer  {token}"),
            format!("Bearer:{token}"),
            token.to_string(),
            format!("x{token}y"),
        ] {
            let shown = redact(&shape);
            assert!(!shown.contains(token), "{shown}");
            assert_eq!(shown, shape.replace(token, "***"));
        }
        assert!(matches!(redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_values_are_not_registered() {
        let _ = Secret::new("7chars!");
        assert_eq!(redact("7chars! stays"), "7chars! stays");
    }

    #[test]
    fn a_value_is_redacted_whole_even_when_it_contains_another() {
        let _ = Secret::new("unit-inner-Kd02");
        let _ = Secret::new("unit-outer-unit-inner-Kd02-tail");
        assert_eq!(redact("[unit-outer-unit-inner-Kd02-tail]"), "[***]");
    }

    #[test]
    fn escaped_forms_are_redacted_and_deserialized_values_registered() {
        let secret: Secret = serde_json::from_str(r#""unit-\"quoted\\-Yv5""#).unwrap();
        assert_eq!(secret.expose(), r#"unit-"quoted\-Yv5"#);
        let as_json = serde_json::json!({ "error": secret.expose() }).to_string();
        assert_eq!(redact(&as_json), r#"{"error":"***"}"#);
        let as_debug = format!("{:?}", secret.expose());
        assert_eq!(redact(&as_debug), r#""***""#);
        // Encoded by hand: `"` is %22, `\` is %5C.
        assert_eq!(redact("token=unit-%22quoted%5C-Yv5&"), "token=***&");
    }

    #[test]
    fn every_basic_header_value_is_registered() {
        register_basic("unit-client-id", &Secret::new("unit-s3cret~10?>"));
        // Computed apart with Python's base64; the form-encoded pair by hand from the WHATWG
        // rules (only alphanumerics and `*-._` kept): `unit-s3cret%7E10%3F%3E`.
        for encoded in [
            "dW5pdC1jbGllbnQtaWQ6dW5pdC1zM2NyZXR+MTA/Pg==",
            "dW5pdC1jbGllbnQtaWQ6dW5pdC1zM2NyZXR+MTA/Pg",
            "dW5pdC1jbGllbnQtaWQ6dW5pdC1zM2NyZXR-MTA_Pg==",
            "dW5pdC1jbGllbnQtaWQ6dW5pdC1zM2NyZXR-MTA_Pg",
            "dW5pdC1jbGllbnQtaWQ6dW5pdC1zM2NyZXQlN0UxMCUzRiUzRQ==",
        ] {
            assert_eq!(redact(&format!("<{encoded}>")), "<***>", "{encoded}");
        }
    }

    #[test]
    fn remote_text_redacts_known_values_after_cleaning_and_before_cutting() {
        let _ = Secret::new("unit-remote-Hx41");
        let long = format!("{}unit-remote-Hx41", "a".repeat(190));
        assert!(!remote_text(&long).contains("unit-rem"), "a cut-off prefix");
        let split = "unit-remo\nte-Hx41 at the end";
        assert_eq!(remote_text(split), "*** at the end");
        assert_eq!(
            remote_text("{\"authorization\":\"Basic\tunit-remote-Hx41\"}"),
            r#"{"authorization":"Basic***"}"#
        );
    }

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "Secret(***) ***");
        assert_eq!(secret.expose(), "hunter2");
    }
}
