//! The server side of the RFC 6455 opening handshake: which requests are WebSocket
//! upgrades, and the headers of the answer.

use http::header::{HeaderMap, HeaderValue, CONNECTION, UPGRADE};
use http::{Method, Version};

use crate::error::HttpError;
use crate::response::{IntoResponse, Response};

pub(crate) const SEC_WEBSOCKET_KEY: &str = "sec-websocket-key";
pub(crate) const SEC_WEBSOCKET_VERSION: &str = "sec-websocket-version";
pub(crate) const SEC_WEBSOCKET_ACCEPT: &str = "sec-websocket-accept";
pub(crate) const SEC_WEBSOCKET_PROTOCOL: &str = "sec-websocket-protocol";

/// A request the handshake accepts: what the 101 answer needs.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    /// `Sec-WebSocket-Accept`, derived from the client's key.
    pub(crate) accept: String,
    /// The subprotocols the client offered, in its order of preference.
    pub(crate) offered: Vec<String>,
}

/// Why a request to a WebSocket route cannot be upgraded; each is a 426 telling the
/// client what to send instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not an upgrade request at all (a browser opening the URL, say).
    NotUpgrade,
    /// An upgrade to a protocol version other than 13.
    Version,
}

impl Refusal {
    pub(crate) fn into_response(self) -> Response {
        let (message, header, value) = match self {
            Refusal::NotUpgrade => (
                "this URL is a WebSocket endpoint: connect with a WebSocket client",
                UPGRADE.as_str(),
                "websocket",
            ),
            Refusal::Version => (
                "unsupported WebSocket version: use 13",
                SEC_WEBSOCKET_VERSION,
                "13",
            ),
        };
        let mut res = HttpError::new(426, message).into_response();
        res.headers_mut()
            .insert(header, HeaderValue::from_static(value));
        if self == Refusal::NotUpgrade {
            res.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("upgrade"));
        }
        res
    }
}

/// Checks a request against RFC 6455 section 4.2.1. A request that is no upgrade, or
/// of another version, is a [`Refusal`]; an upgrade with a missing or malformed key is
/// a 400.
pub(crate) fn check(
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> Result<Result<Accepted, Refusal>, HttpError> {
    let is_upgrade = method == Method::GET
        && version >= Version::HTTP_11
        && has_token(headers, UPGRADE.as_str(), "websocket")
        && has_token(headers, CONNECTION.as_str(), "upgrade");
    if !is_upgrade {
        return Ok(Err(Refusal::NotUpgrade));
    }
    if !matches!(headers.get(SEC_WEBSOCKET_VERSION), Some(v) if v.as_bytes() == b"13") {
        return Ok(Err(Refusal::Version));
    }
    let mut keys = headers.get_all(SEC_WEBSOCKET_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (Some(key), None) => key,
        (None, _) => return Err(HttpError::new(400, "missing Sec-WebSocket-Key")),
        (Some(_), Some(_)) => return Err(HttpError::new(400, "more than one Sec-WebSocket-Key")),
    };
    if !is_valid_key(key.as_bytes()) {
        return Err(HttpError::new(
            400,
            "malformed Sec-WebSocket-Key: it must be 16 bytes in base64",
        ));
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let offered = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Ok(Accepted { accept, offered }))
}

/// Whether a comma-separated header holds `token`, case-insensitively (`Connection:
/// keep-alive, Upgrade` is an upgrade).
fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// A base64 encoding of 16 bytes: 22 digits and `==`, the last digit carrying two bits.
fn is_valid_key(key: &[u8]) -> bool {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22].iter().all(|b| DIGITS.contains(b))
        && b"AQgw".contains(&key[21])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    const UPGRADE_HEADERS: [(&str, &str); 3] = [
        ("upgrade", "websocket"),
        ("connection", "keep-alive, Upgrade"),
        ("sec-websocket-version", "13"),
    ];

    #[test]
    fn accepts_the_rfc_example_key() {
        let mut h = headers(&UPGRADE_HEADERS);
        h.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        h.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chat, superchat"),
        );
        let accepted = check(&Method::GET, Version::HTTP_11, &h).unwrap().unwrap();
        assert_eq!(accepted.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(accepted.offered, ["chat", "superchat"]);
    }

    #[test]
    fn refuses_what_is_no_upgrade() {
        let h = headers(&[("connection", "keep-alive")]);
        assert_eq!(
            check(&Method::GET, Version::HTTP_11, &h)
                .unwrap()
                .unwrap_err(),
            Refusal::NotUpgrade
        );
        let h = headers(&UPGRADE_HEADERS);
        assert_eq!(
            check(&Method::POST, Version::HTTP_11, &h)
                .unwrap()
                .unwrap_err(),
            Refusal::NotUpgrade
        );
        assert_eq!(
            check(&Method::GET, Version::HTTP_10, &h)
                .unwrap()
                .unwrap_err(),
            Refusal::NotUpgrade
        );
    }

    #[test]
    fn another_version_is_refused() {
        let h = headers(&[
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
            ("sec-websocket-version", "8"),
        ]);
        assert_eq!(
            check(&Method::GET, Version::HTTP_11, &h)
                .unwrap()
                .unwrap_err(),
            Refusal::Version
        );
    }

    #[test]
    fn missing_or_malformed_keys_are_400() {
        let h = headers(&UPGRADE_HEADERS);
        assert_eq!(
            check(&Method::GET, Version::HTTP_11, &h)
                .unwrap_err()
                .status(),
            400
        );
        for bad in [
            "",
            "short==",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhlIHNhbXBsZSBub25j*Q==",
        ] {
            let mut h = headers(&UPGRADE_HEADERS);
            h.insert(SEC_WEBSOCKET_KEY, HeaderValue::from_str(bad).unwrap());
            assert_eq!(
                check(&Method::GET, Version::HTTP_11, &h)
                    .unwrap_err()
                    .status(),
                400,
                "{bad:?}"
            );
        }
    }
}
