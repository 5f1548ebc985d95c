//! Reading a record's member leniently whatever its JSON type, so an odd value (a number where text
//! was expected, a count as text) never loses the record; and a record only when it is an object.

use serde::Deserialize;

/// Whether a record's JSON text is an object (serde would read an array positionally into a
/// struct's members: `["a@example.com", 3]` as an email and a count).
pub fn is_object(raw: &str) -> bool {
    raw.trim_start().starts_with('{')
}

/// A record read into `T`, when it is a JSON object of that shape.
pub fn object<'a, T: Deserialize<'a>>(raw: &'a str) -> Option<T> {
    is_object(raw).then(|| serde_json::from_str(raw).ok())?
}

/// A member as text: a string as it is, `null` as none, anything else as its JSON.
pub fn any_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}

/// A member as a whole number: a number, or text holding one; anything else as none.
pub fn any_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}
