//! Reading a record's member leniently whatever its JSON type, so an odd value (a number where text
//! was expected, a count as text) never loses the record.

use serde::Deserialize;

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
