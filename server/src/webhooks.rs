//! Webhook delivery: claims due deliveries from the vault, signs and sends them, and records
//! each attempt. What is due, and what an outcome means (retry when, give up, disable), is
//! the vault's; this module is the network side: signatures, timeouts, address checks.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::CONTENT_TYPE;
use tokio::task::JoinSet;
use vault::{DueDelivery, Outcome, Vault};

/// Deliveries this instance sends at the same time (a workspace gets at most
/// [`vault::IN_FLIGHT_PER_WORKSPACE`] of them, over all instances).
const IN_FLIGHT: usize = 16;
/// Longest sleep between looks at the outbox when nothing wakes the worker.
const IDLE: Duration = Duration::from_secs(5);

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub allow_private: bool,
    pub timeout: Duration,
    pub retry_base: Duration,
}

#[derive(Clone)]
struct Deliverer {
    vault: Vault,
    client: reqwest::Client,
    settings: DeliverySettings,
}

/// Runs until the task is dropped: claims what is due, sends it, records the outcome.
pub(crate) async fn deliver_forever(vault: Vault, settings: DeliverySettings, client: reqwest::Client) {
    let deliverer = Deliverer { client, vault, settings };
    // A claim outlasts the longest send, so no other worker takes a delivery being sent.
    let hold = deliverer.settings.timeout + Duration::from_secs(5);
    let mut in_flight = JoinSet::new();
    loop {
        let room = IN_FLIGHT - in_flight.len();
        let mut claimed = 0;
        if room > 0 {
            match deliverer.vault.claim_due_deliveries(room as i64, hold).await {
                Ok(due) => {
                    claimed = due.len();
                    for delivery in due {
                        in_flight.spawn(deliverer.clone().deliver(delivery));
                    }
                }
                Err(error) => tracing::warn!(%error, "could not read the webhook outbox"),
            }
        }
        let wait = if in_flight.len() == IN_FLIGHT {
            // Every slot is busy: only a finished send (or the idle tick) wakes the loop.
            IDLE
        } else if claimed > 0 {
            // Perhaps more are due than one claim took.
            Duration::ZERO
        } else {
            // Nothing claimable: wait for the next due time; when something is due but its
            // workspace is at its share, for a finished send, a new event or the idle tick.
            Some(deliverer.until_next_due().await).filter(|wait| !wait.is_zero()).unwrap_or(IDLE)
        };
        tokio::select! {
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            () = deliverer.vault.deliveries_waiting(), if in_flight.len() < IN_FLIGHT => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

impl Deliverer {
    async fn deliver(self, delivery: DueDelivery) {
        let outcome = self.send(&delivery).await;
        if let Some(error) = &outcome.error {
            let url = vault::url_for_logs(&delivery.url);
            tracing::info!(event = %delivery.event_id, %url, attempt = delivery.attempt, %error, "webhook delivery failed");
        }
        if let Err(error) = self.vault.record_attempt(&delivery, &outcome, self.settings.retry_base).await {
            // The claim runs out and the delivery is sent again: repeated, never lost.
            tracing::warn!(%error, event = %delivery.event_id, "could not record a webhook delivery");
        }
    }

    async fn send(&self, delivery: &DueDelivery) -> Outcome {
        let started = Instant::now();
        let refused = if self.settings.allow_private { None } else { private_literal(&delivery.url) };
        if let Some(reason) = refused {
            return Outcome { status_code: None, duration: started.elapsed(), error: Some(reason) };
        }
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let request = self
            .client
            .post(&delivery.url)
            .header(CONTENT_TYPE, "application/json")
            .header("PromptVault-Event", &delivery.event_type)
            .header("PromptVault-Delivery", &delivery.event_id)
            .header(
                "PromptVault-Signature",
                types::signature::header(&delivery.secret, timestamp, delivery.body.as_bytes()),
            )
            .body(delivery.body.clone());
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                Outcome {
                    status_code: Some(status.as_u16()),
                    duration: started.elapsed(),
                    error: (!status.is_success()).then(|| {
                        let redirect =
                            if status.is_redirection() { " (redirects are not followed)" } else { "" };
                        format!("the receiver answered {status}{redirect}")
                    }),
                }
            }
            Err(error) => Outcome {
                status_code: None,
                duration: started.elapsed(),
                error: Some(explain(&error.without_url())),
            },
        }
    }

    /// How long until the next delivery falls due (at most `IDLE`).
    async fn until_next_due(&self) -> Duration {
        match self.vault.next_delivery_due().await {
            Ok(Some(at)) => {
                let now = vault::Timestamp::now();
                Duration::from_millis(u64::try_from(at.0 - now.0).unwrap_or(0)).min(IDLE)
            }
            _ => IDLE,
        }
    }
}

/// The HTTP client of the deliveries: their timeout, no redirects, no proxy, and the
/// resolver that refuses private addresses. Built at start-up: a server that cannot build
/// it does not start, rather than deliver without its address checks.
///
/// Redirects are not followed: following one would POST the signed body again to wherever
/// the receiver points (webhook senders answer a 3xx as a failure, and so do we). The
/// environment's `HTTP_PROXY` is ignored: a proxy resolves the target itself, past the
/// address checks.
pub(crate) fn client(settings: &DeliverySettings) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .user_agent(concat!("PromptVault-Webhooks/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if !settings.allow_private {
        // Every host name resolves through this.
        builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
    }
    builder.build()
}

/// Resolves host names to their public addresses only; a name with none is refused.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let own = own_addresses();
            let public: Vec<SocketAddr> = all.filter(|a| !refused_ip(a.ip(), &own)).collect();
            if public.is_empty() {
                // Which internal address it named stays out: delivery errors are shown to the
                // workspace, and the server's network is not theirs to map.
                return Err(format!(
                    "{host} resolves to no public address (only loopback, private or link-local \
                     ones, or this server's own; the server setting --allow-private-webhooks \
                     allows these)"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why `url` is refused when its host is a non-public IP literal or one of this host's own
/// addresses (names are checked when resolved).
fn private_literal(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    refused_ip(ip, &own_addresses()).then(|| {
        format!(
            "{ip} is a loopback, private or link-local address, or this server's own \
             (the server setting --allow-private-webhooks allows these)"
        )
    })
}

/// Whether a webhook may not reach `ip`: not public, or one of `own` (this host's).
fn refused_ip(ip: IpAddr, own: &[IpAddr]) -> bool {
    !is_public(ip) || own.contains(&ip)
}

/// The addresses of this host's network interfaces, read at each check (they change): a
/// public one among them reaches this server and whatever else listens on the host.
fn own_addresses() -> Vec<IpAddr> {
    if_addrs::get_if_addrs().map(|all| all.into_iter().map(|i| i.ip()).collect()).unwrap_or_default()
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared,
/// documentation, benchmarking, reserved, multicast or unspecified — and, for an IPv6
/// address that carries an IPv4 one (mapped, compatible, NAT64, 6to4), neither is that one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                // IETF protocol assignments (192.0.0.0/24)
                || (a == 192 && b == 0 && c == 0)
                // benchmarking (198.18.0.0/15) and reserved (240.0.0.0/4)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = carried_ipv4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            let [first, second, ..] = segments;
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                // site-local (fec0::/10, deprecated but still routed inside some networks)
                || (first & 0xffc0) == 0xfec0
                // discard-only (100::/64)
                || segments[..4] == [0x100, 0, 0, 0]
                // Teredo (2001::/32) and local-use NAT64 (64:ff9b:1::/48) hide their target
                || (first == 0x2001 && second == 0)
                || (first == 0x64 && second == 0xff9b))
        }
    }
}

/// The IPv4 address an IPv6 one reaches: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated
/// (`::ffff:0:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn carried_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let from = |high: u16, low: u16| std::net::Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        [0, 0, 0, 0, 0, 0xffff, high, low]
        | [0, 0, 0, 0, 0xffff, 0, high, low]
        | [0, 0, 0, 0, 0, 0, high, low]
        | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Some(from(high, low)),
        [0x2002, high, low, ..] => Some(from(high, low)),
        _ => None,
    }
}

/// An error and its causes in one line: reqwest's own message rarely says what went wrong.
/// Given without its URL, which may carry a token and is the webhook's own anyway.
fn explain(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "the receiver did not answer in time".into();
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
            // IPv4 carried in IPv6: compatible, NAT64, 6to4; Teredo and local NAT64 hide theirs
            "::10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.1.2.3",
            "2002:7f00:1::",
            "2002:c0a8:0101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::1",
            // benchmarking and reserved IPv4
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.254",
            // IETF protocol assignments, site-local, IPv4-translated, discard-only
            "192.0.0.8",
            "192.0.0.170",
            "fec0::1",
            "feff::1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:127.0.0.1",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
            "198.20.0.1",
            "192.0.1.1",
            "::ffff:0:8.8.8.8",
            "100:0:0:1::1",
        ] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
        assert!(private_literal("http://127.0.0.1:9/x").is_some());
        assert!(private_literal("http://[::1]/x").is_some());
        assert!(private_literal("https://example.com/x").is_none());
        // This host's own addresses, whatever they are, are refused as literals too.
        for own in own_addresses() {
            let host = if own.is_ipv6() { format!("[{own}]") } else { own.to_string() };
            assert!(private_literal(&format!("http://{host}/x")).is_some(), "{own}");
        }
        assert!(!own_addresses().is_empty(), "the loopback interface at least");
        // A host with a public address of its own (this one may have none): that address
        // is refused although it is public.
        let own_public: IpAddr = "8.8.4.4".parse().expect("ip");
        assert!(is_public(own_public) && refused_ip(own_public, &[own_public]));
        assert!(!refused_ip(own_public, &[]), "another host's public address is allowed");
    }

    #[tokio::test]
    async fn a_refused_name_does_not_say_which_internal_address_it_resolves_to() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        let refused = PublicAddressesOnly.resolve(name).await.err().expect("refused").to_string();
        assert!(refused.contains("no public address"), "{refused}");
        assert!(!refused.contains("127.0.0.1") && !refused.contains("::1"), "{refused}");
    }
}
