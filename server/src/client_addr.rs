//! The client's address of a request, for the limits kept per address.
//!
//! Directly on the internet it is the connection's peer, as [`crate::serve`] hands it to
//! handlers (`ConnectInfo<SocketAddr>`). Behind a reverse proxy (webhooks must be https, so TLS
//! usually ends at one) every request comes from the proxy, and a limit per peer would put every
//! user of the site in one bucket: a stranger's 30 bad tokens would make everyone's expired
//! token a 429. So a peer listed in `DASHBOARD_TRUSTED_PROXIES` ([`TrustedProxies`]) may name
//! the client in `X-Forwarded-For` (or, without one, `Forwarded`, RFC 7239); the client is the
//! right-most hop that is not itself a trusted proxy, because every hop to the left of it was
//! written by someone we do not trust (the client can send any `X-Forwarded-For` it likes, and
//! the proxy appends to it). From any other peer those headers are ignored.
//!
//! The one place the address is computed ([`name_client`] puts it on the request, [`client_address`]
//! reads it), so that every per-address limit counts the same address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client's address as [`name_client`] worked it out, on the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// One entry of `DASHBOARD_TRUSTED_PROXIES`: an address (`10.0.0.7`, `::1`) or a network
/// (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet(IpNet);

impl FromStr for ProxyNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Self(net.trunc()));
        }
        text.parse::<IpAddr>()
            .map(|ip| Self(IpNet::from(ip)))
            .map_err(|_| format!("{text:?} is neither an address nor a network (10.0.0.0/8)"))
    }
}

/// The reverse proxies whose forwarding headers name the client (empty: none, and the peer is
/// the client).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[ProxyNet]>);

impl TrustedProxies {
    /// Trusts `nets`.
    pub fn new(nets: impl IntoIterator<Item = ProxyNet>) -> Self {
        Self(nets.into_iter().collect())
    }

    /// Whether `ip` is one of the trusted proxies (an IPv4-mapped IPv6 address counts as its
    /// IPv4 form, as a dual-stack listener reports it).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|ProxyNet(net)| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with `headers`: `peer` unless it is a
    /// trusted proxy, else the right-most forwarded hop that is not one (or the left-most hop
    /// when all of them are; the last good hop when one cannot be read).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_hops(headers).iter().rev() {
            let Some(hop) = hop else { break };
            client = hop.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// The hops a request names, left (the first client) to right (the last proxy before the
/// peer): `X-Forwarded-For` when there is one, else the `for=` of `Forwarded`. A hop that is
/// not an address (`unknown`, an obfuscated name, garbage) is `None`.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let xff = values("x-forwarded-for");
    if !xff.is_empty() {
        return xff
            .iter()
            .flat_map(|v| v.split(','))
            .map(|hop| address(hop.trim()))
            .collect();
    }
    values("forwarded")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| value.trim().trim_matches('"').to_owned())
                })
                .and_then(|value| address(&value))
        })
        .collect()
}

/// An address written as `1.2.3.4`, `1.2.3.4:80`, `::1` or `[::1]:80`.
fn address(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .and_then(|t| t.parse().ok())
}

/// Middleware that works out each request's client from its peer and the trusted proxies, for
/// [`client_address`]: `axum::middleware::from_fn_with_state(trusted, name_client)`. The
/// binary's router has it; a host that mounts [`crate::api::router`] behind its own proxy adds
/// it too.
pub async fn name_client(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = trusted.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

/// The address of the client that sent the request: the one [`name_client`] worked out, else the
/// connection's peer when the server provides it (a host that serves the router without
/// `into_make_service_with_connect_info` gets `None`, and no per-address limit).
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    if let Some(ClientAddr(client)) = parts.extensions.get::<ClientAddr>() {
        return Some(*client);
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| s.parse().unwrap()))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_address_is_the_connections_peer_when_the_server_gives_it() {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        assert_eq!(client_address(&parts), None);
        let peer: SocketAddr = "203.0.113.7:5555".parse().unwrap();
        parts.extensions.insert(ConnectInfo(peer));
        assert_eq!(client_address(&parts), Some(peer.ip()));
        parts.extensions.insert(ClientAddr(ip("198.51.100.1")));
        assert_eq!(client_address(&parts), Some(ip("198.51.100.1")));
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            proxies.client(ip("203.0.113.7"), &forged),
            ip("203.0.113.7")
        );
        let nobody = TrustedProxies::default();
        assert_eq!(nobody.client(ip("10.0.0.1"), &forged), ip("10.0.0.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_hop() {
        let proxies = trusted(&["10.0.0.0/8", "192.0.2.9"]);
        // The client forged its first hop; the proxies appended the rest.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.4, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &chain), ip("198.51.100.4"));
        // Several header lines are one list.
        let split = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.4, 192.0.2.9"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &split), ip("198.51.100.4"));
        // No header: the proxy itself.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
        // Garbage written where a trusted hop should be: the last readable hop.
        let garbage = headers(&[("x-forwarded-for", "198.51.100.4, nonsense, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &garbage), ip("10.1.1.1"));
    }

    #[test]
    fn the_forwarded_header_is_read_when_there_is_no_x_forwarded_for() {
        let proxies = trusted(&["::1", "127.0.0.1"]);
        let forwarded = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, For="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.1"#,
        )]);
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &forwarded),
            ip("2001:db8:cafe::17")
        );
    }

    #[test]
    fn proxy_lists_take_addresses_and_networks_and_refuse_the_rest() {
        assert!(trusted(&["10.0.0.7"]).trusts(ip("10.0.0.7")));
        assert!(!trusted(&["10.0.0.7"]).trusts(ip("10.0.0.8")));
        assert!(trusted(&["10.0.0.7/8"]).trusts(ip("10.200.0.1")));
        assert!(trusted(&["fd00::/8"]).trusts(ip("fd12::1")));
        assert!("10.0.0.0/33".parse::<ProxyNet>().is_err());
        assert!("proxy.internal".parse::<ProxyNet>().is_err());
    }
}
