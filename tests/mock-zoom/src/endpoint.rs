//! What every API endpoint shares: the token and scope check, and paging by `next_page_token`.

use serde_json::{Value, json};

use crate::http::Request;
use crate::server::State;

/// Zoom's answer to a request without a valid token (401, code 124) or without any of `scopes`
/// (400, code 4711, naming the first, the granular one).
pub(crate) fn admit(request: &Request, state: &State, scopes: &[&str]) -> Result<(), (u16, Value)> {
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|t| state.valid_tokens.contains(t)) {
        return Err((
            401,
            json!({"code": 124, "message": "Invalid access token."}),
        ));
    }
    if !state
        .account
        .scopes
        .split_whitespace()
        .any(|s| scopes.contains(&s))
    {
        let message = format!(
            "Invalid access token, does not contain scopes:[{}].",
            scopes.first().copied().unwrap_or_default()
        );
        return Err((400, json!({"code": 4711, "message": message})));
    }
    Ok(())
}

/// The request's `page_size`: 30 when not given, at most 300 (Zoom's lists and reports).
pub(crate) fn page_size(request: &Request) -> usize {
    request
        .query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 300)
}

/// `items` from the request's `next_page_token` (`{prefix}-{offset}`), `page_size` (default 30, at
/// most 300) at a time: the page, the next token (`""` after the last), or a 400 for a bad token.
pub(crate) fn page_of<'a>(
    request: &Request,
    items: &'a [Value],
    prefix: &str,
) -> Result<(&'a [Value], String), (u16, Value)> {
    let size = page_size(request);
    let offset = match request.query.get("next_page_token") {
        None => 0,
        Some(token) => match token
            .strip_prefix(prefix)
            .and_then(|t| t.strip_prefix('-'))
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n <= items.len() => n,
            _ => {
                return Err((
                    400,
                    json!({"code": 300, "message": "Invalid next_page_token."}),
                ));
            }
        },
    };
    let page = &items[offset..(offset + size).min(items.len())];
    let next = offset + page.len();
    let token = match next < items.len() {
        true => format!("{prefix}-{next}"),
        false => String::new(),
    };
    Ok((page, token))
}
