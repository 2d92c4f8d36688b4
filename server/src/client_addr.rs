//! The client's address of a request, for the limits kept per address: the peer of the
//! connection, as [`crate::serve`] hands it to handlers (`ConnectInfo<SocketAddr>`).
//!
//! The one place it is computed, so that every per-address limit counts the same address (and
//! so that naming the client behind a trusted reverse proxy, when it comes, changes one
//! function).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// The address of the client that sent the request, when the server provides it (a host that
/// serves the router without `into_make_service_with_connect_info` gets `None`, and no
/// per-address limit).
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_the_connections_peer_when_the_server_gives_it() {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        assert_eq!(client_address(&parts), None);
        let peer: SocketAddr = "203.0.113.7:5555".parse().unwrap();
        parts.extensions.insert(ConnectInfo(peer));
        assert_eq!(client_address(&parts), Some(peer.ip()));
    }
}
