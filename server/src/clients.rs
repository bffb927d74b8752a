//! Who a request comes from, as far as the server may believe it: the client's address
//! (which the vault's attempt limits count: sign-in, setup and join, through the API or the
//! dashboard) and whether the browser reached us over HTTPS (which makes the session cookie
//! `Secure`). Behind a configured reverse proxy, the proxy says both (the last entry of
//! `X-Forwarded-For`, and `X-Forwarded-Proto`); from anywhere else, those headers are
//! ignored, so that a client cannot claim another address or scheme by sending them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::ServerFn;
use vault::Vault;

use crate::api::ApiError;

#[derive(Clone)]
pub(crate) struct Clients {
    pub vault: Vault,
    pub trusted_proxies: Arc<Vec<IpAddr>>,
    /// `--secure-cookies`, or a public URL that is `https://…`.
    pub always_https: bool,
    /// `--public-url`'s origin.
    pub public_origin: Option<Arc<str>>,
}

/// The requests that check a password or make an account.
fn is_attempt(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && ["/v1/setup", "/v1/join", app::api::SignIn::PATH, app::api::SetUp::PATH, app::api::Join::PATH]
            .contains(&path)
}

/// Counts attempts against the client's address, and tells the dashboard whether the
/// browser came over HTTPS.
pub(crate) async fn identify(State(clients): State<Clients>, mut request: Request, next: Next) -> Response {
    let client = client_address(&request, &clients.trusted_proxies);
    if is_attempt(&request)
        && let Some(address) = client
        && let Err(limited) = clients.vault.attempt_from(address)
    {
        return ApiError::from(limited).into_response();
    }
    let https = clients.always_https || forwarded_https(&request, &clients.trusted_proxies);
    let public_origin = clients.public_origin.clone();
    request.extensions_mut().insert(app::Reached { https, public_origin, client });
    next.run(request).await
}

/// Whether a trusted proxy says the browser reached it over HTTPS.
fn forwarded_https(request: &Request, trusted_proxies: &[IpAddr]) -> bool {
    let Some(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return false;
    };
    trusted_proxies.contains(&peer)
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The client's address: the connection's, or what a trusted proxy says it is.
fn client_address(request: &Request, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    // Only the last entry is the proxy's own; earlier ones are whatever the client sent.
    let last = request.headers().get_all("x-forwarded-for").iter().next_back();
    let named = last.and_then(|v| v.to_str().ok()).and_then(|v| v.rsplit(',').next()?.trim().parse().ok());
    Some(named.unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/v1/setup");
        if let Some(forwarded) = forwarded {
            builder = builder.header("x-forwarded-for", forwarded);
        }
        let mut request = builder.body(axum::body::Body::empty()).expect("request");
        request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().expect("peer")));
        request
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let client =
            |peer, forwarded| client_address(&request(peer, forwarded), &[proxy]).map(|a| a.to_string());
        assert_eq!(
            client("203.0.113.9:5000", Some("198.51.100.1")).as_deref(),
            Some("203.0.113.9"),
            "not a proxy"
        );
        assert_eq!(client("10.0.0.2:5000", Some("1.2.3.4, 198.51.100.1")).as_deref(), Some("198.51.100.1"));
        assert_eq!(client("10.0.0.2:5000", None).as_deref(), Some("10.0.0.2"));
        assert!(is_attempt(&request("10.0.0.2:1", None)));
    }

    #[test]
    fn only_a_trusted_proxy_says_the_browser_came_over_https() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let https = |peer: &str| {
            let mut request = request(peer, None);
            request.headers_mut().insert("x-forwarded-proto", "https".parse().expect("header"));
            forwarded_https(&request, &[proxy])
        };
        assert!(https("10.0.0.2:4000"));
        assert!(!https("203.0.113.9:4000"), "a client cannot say it itself");
    }
}
