//! A string that must never be shown: client secrets and access tokens.

use std::fmt;

/// A secret value; `Debug` and `Display` print `***`, so it cannot leak through logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
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

/// Serialized as the plain value: only the token file, written with mode 0600, stores secrets.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// `text` (a parser's error message) with every double-quoted value replaced by `"…"`: serde and
/// TOML quote the values they could not read, and such a value may be a secret. Names of fields,
/// which they quote with backticks, are kept.
pub fn without_quoted_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        match (c, quoted) {
            ('"', false) => {
                out.push_str("\"…\"");
                quoted = true;
            }
            ('"', true) => quoted = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

/// Text a server sent (an error message or body), made safe to show: control characters and ANSI
/// escapes removed (a body must not forge log lines), anything after `Bearer` or `Basic` and any
/// JSON Web Token replaced by `***` (a proxy may echo the request's credentials), at most 200
/// characters.
pub fn remote_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .take(200)
        .collect();
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
    fn quoted_values_and_echoed_credentials_are_left_out() {
        assert_eq!(
            without_quoted_values(r#"invalid type: string "hunter2", expected `bool`"#),
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
    fn never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "Secret(***) ***");
        assert_eq!(secret.expose(), "hunter2");
    }
}
