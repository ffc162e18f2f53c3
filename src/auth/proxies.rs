//! Which proxies' `X-Forwarded-For` to believe (`NEWSDESK_TRUST_PROXY`).
//! The client's address is the peer's, unless the peer is a trusted proxy:
//! then it is the right-most address in `X-Forwarded-For` that is not a
//! trusted proxy, so a client cannot choose its address by sending the
//! header itself.

use std::net::IpAddr;

/// Trusted proxy addresses and networks.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    any: bool,
    networks: Vec<(IpAddr, u8)>,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn within(ip: IpAddr, (net, prefix): (IpAddr, u8)) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let ((a, width), (b, net_width)) = (bits(ip), bits(net));
    if width != net_width {
        return false;
    }
    let shift = u32::from(width - prefix.min(width));
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

impl TrustedProxies {
    /// Parses `false`/empty (none), `true` (any: only when nothing but the
    /// proxy can reach the server), or addresses and networks
    /// (`10.0.0.0/8, 192.0.2.7, ::1`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        match text {
            "" | "false" => return Ok(Self::default()),
            "true" => {
                return Ok(Self {
                    any: true,
                    networks: Vec::new(),
                })
            }
            _ => {}
        }
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| {
                anyhow::anyhow!("`{item}` in NEWSDESK_TRUST_PROXY is not an address")
            })?;
            let width = bits(ip).1;
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= width)
                    .ok_or_else(|| anyhow::anyhow!("`{item}` has a bad prefix length"))?,
                None => width,
            };
            networks.push((ip, prefix));
        }
        Ok(Self {
            any: false,
            networks,
        })
    }

    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.any || self.networks.iter().any(|n| within(ip, *n))
    }

    /// The client's address, from the peer and its `X-Forwarded-For`.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = forwarded_for
            .unwrap_or("")
            .split(',')
            .filter_map(|h| {
                let h = h.trim();
                h.parse::<IpAddr>()
                    .ok()
                    .or_else(|| h.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
            })
            .collect();
        if self.any {
            return hops.first().copied().unwrap_or(peer);
        }
        hops.iter()
            .rev()
            .copied()
            .find(|ip| !self.trusts(*ip))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn only_trusted_proxies_forward() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").expect("parses");
        // A client sending the header itself is not believed.
        assert_eq!(
            proxies.client(ip("203.0.113.5"), Some("1.2.3.4")),
            ip("203.0.113.5")
        );
        // Through the proxy: the right-most untrusted hop, so a spoofed
        // left-most entry is ignored.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), Some("6.6.6.6, 198.51.100.4, 192.0.2.7")),
            ip("198.51.100.4")
        );
        assert_eq!(proxies.client(ip("10.1.2.3"), None), ip("10.1.2.3"));
        assert!(proxies.trusts(ip("::ffff:10.9.9.9")));
        assert!(!proxies.trusts(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert!(!TrustedProxies::parse("false")
            .expect("none")
            .trusts(ip("127.0.0.1")));
        let any = TrustedProxies::parse("true").expect("any");
        assert_eq!(
            any.client(ip("127.0.0.1"), Some("6.6.6.6, 7.7.7.7")),
            ip("6.6.6.6")
        );
    }
}
