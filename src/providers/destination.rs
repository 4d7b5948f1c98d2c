//! Where a provider account sends its key. A base URL other than the provider's own must be `https://`, or
//! `http://` to this machine only (127.0.0.0/8, `::1`, `localhost`: a local proxy or a test's fake server),
//! and carries no user name, password, query or fragment. The rule is applied when an account is added or
//! changed and again before every poll, so a row edited in the database cannot send a key in the clear.
//!
//! Errors never quote the URL: it is the user's, but a pasted URL may hold a token.

use crate::error::{Error, Result};

/// The longest base URL accepted.
pub const MAX_BASE_URL_BYTES: usize = 2048;

fn refuse(why: &str) -> Error {
    Error::InvalidInput(format!("the base URL {why}"))
}

/// Whether `host` is this machine.
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks a base URL against the rule above and returns it normalised (lower-case scheme and host, no
/// trailing `/`).
pub fn check_base_url(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(refuse("is empty"));
    }
    if text.len() > MAX_BASE_URL_BYTES {
        return Err(refuse(&format!(
            "is longer than {MAX_BASE_URL_BYTES} bytes"
        )));
    }
    let url = url::Url::parse(text)
        .map_err(|_| refuse("is not a URL: use https://host[:port][/path]"))?;
    let host = url
        .host()
        .ok_or_else(|| refuse("has no host: use https://host[:port][/path]"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(refuse(
                "must use https:// (http:// only to this machine: 127.0.0.1, ::1 or localhost), \
                 or the key would cross the network in the clear",
            ))
        }
        _ => return Err(refuse("must start with https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must not hold a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("must not have a query (?...) or a fragment (#...)"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The host (and port) a base URL points at, for audit details and messages.
pub fn host_of(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match check_base_url(text) {
            Err(Error::InvalidInput(message)) => message,
            other => panic!("{text:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        assert_eq!(
            check_base_url(" https://Proxy.Example.com:8443/v1/ ").expect("https"),
            "https://proxy.example.com:8443/v1"
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000/",
            "http://localhost:3000/api",
            "http://LOCALHOST",
        ] {
            assert!(check_base_url(local).is_ok(), "{local} is loopback");
        }
        for remote in [
            "http://example.com",
            "http://10.0.0.1:8080",
            "http://[2001:db8::1]/",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(refused(remote).contains("https://"), "{remote}");
        }
    }

    #[test]
    fn other_schemes_credentials_queries_and_junk_are_refused() {
        assert!(refused("ftp://example.com").contains("https://"));
        assert!(refused("file:///etc/passwd").contains("https://"));
        assert!(refused("example.com").contains("not a URL"));
        assert!(refused("").contains("empty"));
        assert!(refused("https://user:pw@example.com").contains("user name"));
        assert!(refused("https://example.com/?key=1").contains("query"));
        assert!(refused("https://example.com/#x").contains("fragment"));
        let long = format!("https://example.com/{}", "a".repeat(MAX_BASE_URL_BYTES));
        assert!(refused(&long).contains("longer"));
    }

    #[test]
    fn errors_do_not_quote_the_url() {
        let message = refused("https://me:hunter2-TOKEN@example.com");
        assert!(!message.contains("hunter2"), "{message}");
        let message = refused("http://evil.example/?token=SECRET");
        assert!(!message.contains("SECRET"), "{message}");
    }

    #[test]
    fn host_of_names_host_and_port() {
        assert_eq!(host_of("https://example.com:8443/v1"), "example.com:8443");
        assert_eq!(host_of("https://example.com"), "example.com");
        assert_eq!(host_of("not a url"), "");
    }
}
