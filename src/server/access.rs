//! Who may use the server: the bearer token (compared in constant time; in the query string only when allowed),
//! the `Host` header (against the bound address and the public URL, so a DNS-rebinding page cannot reach a loopback
//! server through a name of its own), and the one origin allowed to read across sites (`--cors`).

use super::context::ServerConfig;
use super::error::AppError;
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// Problems with the access settings, found before serving.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessError {
    /// The token is empty or white space only.
    #[error("token: the token is empty or only spaces; choose a long random one (e.g. `openssl rand -hex 32`)")]
    EmptyToken,
    /// The token has leading or trailing white space.
    #[error("token: the token starts or ends with spaces, which a header would lose; remove them")]
    SpacedToken,
    /// The CORS origin is not `scheme://host[:port]`.
    #[error("cors_origin: '{0}' is not an origin like https://maps.example.org (scheme, host and optional port)")]
    BadOrigin(String),
    /// The public URL is not `scheme://host[:port][/path]`.
    #[error("public_url: '{0}' is not a URL like https://maps.example.org (scheme, host, optional port and path)")]
    BadPublicUrl(String),
    /// Tokens in the query string were allowed but no token is set.
    #[error("allow_query_token: there is no token to allow in the query string")]
    QueryTokenWithoutToken,
}

/// Check the access settings of a configuration.
pub fn check_config(c: &ServerConfig) -> Result<(), AccessError> {
    if let Some(t) = &c.token {
        if t.trim().is_empty() {
            return Err(AccessError::EmptyToken);
        }
        if t.trim() != t {
            return Err(AccessError::SpacedToken);
        }
    } else if c.allow_query_token {
        return Err(AccessError::QueryTokenWithoutToken);
    }
    if let Some(o) = &c.cors_origin
        && (origin_host(o).is_none() || o.trim_end_matches('/') != o || HeaderValue::from_str(o).is_err())
    {
        return Err(AccessError::BadOrigin(o.clone()));
    }
    if let Some(u) = &c.public_url
        && origin_host(u).is_none()
    {
        return Err(AccessError::BadPublicUrl(u.clone()));
    }
    Ok(())
}

/// The host name of `scheme://host[:port][/path]`, lower-case, or `None` if it is not one.
fn origin_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split('/').next()?;
    let host = host_name(authority)?;
    (!host.is_empty() && !authority.contains('@') && !authority.contains(char::is_whitespace)).then_some(host)
}

/// The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-case, without the port.
fn host_name(authority: &str) -> Option<String> {
    let h = if let Some(v6) = authority.strip_prefix('[') {
        let (inner, rest) = v6.split_once(']')?;
        if !(rest.is_empty() || rest.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok())) {
            return None;
        }
        inner.parse::<std::net::Ipv6Addr>().ok()?;
        inner.to_owned()
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => {
                p.parse::<u16>().ok()?;
                h.to_owned()
            }
            None => authority.to_owned(),
        }
    };
    Some(h.trim_end_matches('.').to_ascii_lowercase())
}

/// Whether a request's `Host` may reach this server: the bound address (and `localhost` on loopback; any address
/// of the machine when bound to all of them), or the host of `public_url`. A name that resolves here but is not
/// one of these is a DNS-rebinding page, or a proxy needing `--public-url`.
pub fn host_allowed(c: &ServerConfig, host_header: &str) -> bool {
    let Some(host) = host_name(host_header) else { return false };
    if c.public_url.as_deref().and_then(origin_host).is_some_and(|p| p == host) {
        return true;
    }
    let ip = host.parse::<IpAddr>().ok();
    let bound = c.addr.ip();
    if bound.is_unspecified() {
        // Bound to every address (a token is required there): any address literal, or localhost.
        return ip.is_some() || host == "localhost";
    }
    if bound.is_loopback() && (host == "localhost" || ip.is_some_and(|i| i.is_loopback())) {
        return true;
    }
    ip == Some(bound)
}

/// Middleware: refuse a request whose `Host` is not this server's (403); requests without one (HTTP/1.0, tests)
/// pass, as a browser always sends it.
pub async fn check_host(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or("\u{0}").to_owned());
    match host {
        Some(h) if !host_allowed(&state.config, &h) => AppError::Forbidden(format!(
            "this server does not answer for the host '{}': use its address ({}){}",
            h.escape_debug(),
            state.config.addr,
            if state.config.public_url.is_some() { " or its public URL" } else { ", or start it with --public-url" }
        ))
        .into_response(),
        _ => next.run(req).await,
    }
}

/// Middleware: with a token set, every data request must carry it: `Authorization: Bearer`, or `?token=` when
/// the server allows it (a token in a URL ends up in logs and histories).
pub async fn auth(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(token) = state.config.token.as_deref().filter(|t| !t.trim().is_empty()) else {
        return next.run(req).await;
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
    let query = state.config.allow_query_token
        && req.uri().query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes())
                .any(|(k, v)| k == "token" && constant_time_eq(v.as_bytes(), token.as_bytes()))
        });
    if bearer || query {
        let mut resp = next.run(req).await;
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
        resp
    } else {
        AppError::Unauthorized.into_response()
    }
}

/// Equal bytes, in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(addr: &str) -> ServerConfig {
        ServerConfig::new(addr.parse().unwrap(), "assets".into())
    }

    #[test]
    fn hosts_of_a_loopback_server() {
        let c = config("127.0.0.1:8080");
        for ok in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.1", "localhost.:8080"] {
            assert!(host_allowed(&c, ok), "{ok}");
        }
        for bad in ["evil.example:8080", "10.0.0.1:8080", "", "localhost:notaport", "127.0.0.1:8080@evil", "[::1"] {
            assert!(!host_allowed(&c, bad), "{bad}");
        }
    }

    #[test]
    fn hosts_with_a_public_url_and_on_every_address() {
        let mut c = config("0.0.0.0:8080");
        assert!(host_allowed(&c, "192.168.1.4:8080") && host_allowed(&c, "localhost:8080"));
        assert!(!host_allowed(&c, "maps.example.org"));
        c.public_url = Some("https://Maps.Example.org/hotspots".into());
        assert!(host_allowed(&c, "maps.example.org") && host_allowed(&c, "maps.example.org:443"));
        assert!(!host_allowed(&c, "example.org"));
        let c = config("10.1.2.3:80");
        assert!(host_allowed(&c, "10.1.2.3") && !host_allowed(&c, "localhost"));
    }

    #[test]
    fn access_settings_are_checked() {
        let mut c = config("127.0.0.1:8080");
        for (token, err) in
            [("", AccessError::EmptyToken), ("   ", AccessError::EmptyToken), (" ab", AccessError::SpacedToken)]
        {
            c.token = Some(token.into());
            assert_eq!(check_config(&c), Err(err));
        }
        c.token = None;
        c.allow_query_token = true;
        assert_eq!(check_config(&c), Err(AccessError::QueryTokenWithoutToken));
        c.allow_query_token = false;
        for bad in ["*", "example.org", "https://", "https://a b", "https://x.org/"] {
            c.cors_origin = Some(bad.into());
            assert!(matches!(check_config(&c), Err(AccessError::BadOrigin(_))), "{bad}");
        }
        c.cors_origin = Some("https://analysts.example.org:8443".into());
        c.public_url = Some("https://maps.example.org/x".into());
        assert_eq!(check_config(&c), Ok(()));
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"abc", b"ab") && !constant_time_eq(b"", b"a"));
    }
}
