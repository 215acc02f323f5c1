//! Who the client is behind a proxy: `Forwarded` (RFC 7239) and `X-Forwarded-For` /
//! `X-Forwarded-Proto`, believed only when the peer is one of the app's trusted proxies.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies {
    nets: Vec<IpNet>,
}

/// The client as the app sees it: its address and the scheme it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientView {
    pub(crate) addr: SocketAddr,
    pub(crate) https: bool,
}

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `::1/128` or a bare address (one host); the first entry that
    /// is neither is the error.
    pub(crate) fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let nets = entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "trusted_proxies: `{entry}` is not an address or a network \
                             (write `10.0.0.0/8`, `127.0.0.1/32` or `::1`)"
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the peer itself unless it is trusted; then the nearest
    /// address the proxies report that is not itself a trusted proxy (walking from the
    /// right, as each proxy appends the address it saw), and the scheme the first proxy
    /// saw (else the connection's own). Headers that do not parse are ignored: the peer is
    /// the client.
    pub(crate) fn client(
        &self,
        peer: SocketAddr,
        over_tls: bool,
        headers: &HeaderMap,
    ) -> ClientView {
        let direct = ClientView {
            addr: peer,
            https: over_tls,
        };
        if self.nets.is_empty() || !self.trusts(peer.ip()) {
            return direct;
        }
        let (chain, proto) = match forwarded(headers) {
            Some(found) => found,
            None => (x_forwarded_for(headers), x_forwarded_proto(headers)),
        };
        let client = chain
            .iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or(chain.first());
        ClientView {
            addr: client.map_or(peer, |ip| SocketAddr::new(*ip, 0)),
            https: proto.map_or(over_tls, |p| p.eq_ignore_ascii_case("https")),
        }
    }
}

/// `::ffff:1.2.3.4` is `1.2.3.4`, so that an IPv4 network matches a mapped peer.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Every `for=` of `Forwarded` headers in order, and the first `proto=`; `None` if there is
/// no such header. An element that is not an address (`unknown`, an obfuscated name) ends
/// the chain there: nothing left of it can be believed.
fn forwarded(headers: &HeaderMap) -> Option<(Vec<IpAddr>, Option<String>)> {
    let mut values = headers.get_all("forwarded").iter().peekable();
    values.peek()?;
    let mut chain = Vec::new();
    let mut proto = None;
    for element in values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        for pair in element.split(';') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "for" => match parse_node(value) {
                    Some(ip) => chain.push(ip),
                    None => chain.clear(),
                },
                "proto" if proto.is_none() => proto = Some(value.to_owned()),
                _ => {}
            }
        }
    }
    Some((chain, proto))
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse()
        .ok()
        .or_else(|| node.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| parse_node(ip.trim()))
        .collect()
}

fn x_forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-forwarded-proto")?.to_str().ok()?;
    Some(value.split(',').next()?.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 5555)
    }

    #[test]
    fn only_trusted_peers_are_believed() {
        let trusted = TrustedProxies::parse(&["127.0.0.1/32", "10.0.0.0/8"]).unwrap();
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let view = trusted.client(peer("127.0.0.1"), false, &h);
        assert_eq!(view.addr, "203.0.113.7:0".parse().unwrap());
        assert!(view.https);
        // An untrusted peer sending the same headers is itself the client.
        let view = trusted.client(peer("198.51.100.9"), false, &h);
        assert_eq!(view.addr, peer("198.51.100.9"));
        assert!(!view.https);
        // No proxies configured: headers are never read.
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(peer("127.0.0.1"), false, &h).addr,
            peer("127.0.0.1")
        );
    }

    #[test]
    fn a_spoofed_left_end_of_the_chain_is_skipped() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1"]).unwrap();
        // The client claimed 1.1.1.1; the edge proxy 10.0.0.2 appended the real address.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.0.0.2")]);
        assert_eq!(
            trusted.client(peer("127.0.0.1"), false, &h).addr.ip(),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_and_parses_ports_and_ipv6() {
        let trusted = TrustedProxies::parse(&["::1/128", "127.0.0.0/8"]).unwrap();
        let h = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::7]:4711";proto=https, for=127.0.0.5"#,
            ),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        let view = trusted.client(peer("::1"), false, &h);
        assert_eq!(view.addr.ip(), "2001:db8::7".parse::<IpAddr>().unwrap());
        assert!(view.https);
        let h = headers(&[("forwarded", "for=unknown, for=192.0.2.60:8080")]);
        assert_eq!(
            trusted.client(peer("127.0.0.1"), false, &h).addr.ip(),
            "192.0.2.60".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn garbage_leaves_the_peer_as_the_client() {
        let trusted = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        let h = headers(&[("x-forwarded-for", "not an address, ;;")]);
        assert_eq!(
            trusted.client(peer("127.0.0.1"), false, &h).addr,
            peer("127.0.0.1")
        );
        let mapped = SocketAddr::new("::ffff:127.0.0.1".parse().unwrap(), 1);
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            trusted.client(mapped, false, &h).addr.ip(),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["localhost"])
            .unwrap_err()
            .contains("`localhost`"));
    }
}
