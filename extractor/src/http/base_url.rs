//! Base URLs of the Zoom API and OAuth server, checked once.

use reqwest::Url;

/// Zoom's API base URL.
pub const DEFAULT_API_URL: &str = "https://api.zoom.us/v2";
/// Zoom's OAuth base URL.
pub const DEFAULT_OAUTH_URL: &str = "https://zoom.us";

/// Parses a base URL; plain `http://` is accepted only for loopback hosts (tests, local proxies).
pub fn parse_base_url(flag: &str, text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text).map_err(|e| format!("{flag} \"{text}\" is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{flag} \"{text}\" uses plain http to a non-loopback host; credentials would cross \
                 the network unencrypted: use https"
            ));
        }
        other => return Err(format!("{flag} \"{text}\": unsupported scheme `{other}`")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        // It would reach error messages and logs, which print the base URL.
        return Err(format!(
            "{flag} must not carry a user name or password; credentials go in their own settings"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{flag} \"{text}\" must not have a query or fragment"
        ));
    }
    // A trailing slash lets `join` append path segments instead of replacing the last one.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether the URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_for_loopback() {
        assert!(parse_base_url("--api-url", "http://127.0.0.1:8080/v2").is_ok());
        assert!(parse_base_url("--api-url", "http://localhost:1").is_ok());
        assert!(parse_base_url("--api-url", "http://[::1]:1").is_ok());
        let err = parse_base_url("--api-url", "http://api.zoom.us/v2").unwrap_err();
        assert!(err.contains("use https"), "{err}");
        assert!(parse_base_url("--api-url", "ftp://x").is_err());
    }

    #[test]
    fn no_user_or_password_in_a_base_url() {
        let err = parse_base_url("--oauth-url", "https://me:s3cret@zoom.us").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(parse_base_url("--api-url", "https://me@api.zoom.us/v2").is_err());
    }

    #[test]
    fn paths_are_joined_not_replaced() {
        let url = parse_base_url("--api-url", "https://api.zoom.us/v2").unwrap();
        assert_eq!(
            url.join("users").unwrap().as_str(),
            "https://api.zoom.us/v2/users"
        );
    }
}
