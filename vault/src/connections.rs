//! Shares of the server's connections. The server holds at most `max` connections at once
//! (each is a file descriptor and a task); without shares, one address that opens them all
//! — idle HTTP/2 connections cost it nothing — locks everyone else out. So:
//!
//! - one client address (an IPv6 one by its /64, as the attempt limits count) holds at most
//!   `per_address` connections;
//! - the last tenth of the slots is kept for addresses holding fewer than [`FEW`]: when the
//!   server is nearly full, a newcomer (a health check, a person's browser, an application
//!   with a connection or two) still gets in, and the heavy holders wait;
//! - the reverse proxies the server trusts stand for many clients and are held to `max`
//!   alone.
//!
//! The count is a map under a mutex touched only to add or remove one entry: nothing slow
//! is done under it, and it holds no more entries than there are connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::limits::client_of;

/// Connections open at once unless configured; well under the process's file limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Connections one client address may hold unless configured.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 1_000;
/// An address holding fewer connections than this may use the kept slots.
pub const FEW: usize = 8;

/// How the connections are shared.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max: usize,
    pub per_address: usize,
    /// Reverse proxies: many clients behind one address, held to `max` only.
    pub proxies: Vec<IpAddr>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max: DEFAULT_MAX_CONNECTIONS,
            per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            proxies: Vec::new(),
        }
    }
}

impl ConnectionLimits {
    /// Slots only addresses holding fewer than [`FEW`] connections may take.
    pub fn kept(&self) -> usize {
        self.max / 10
    }
}

/// Why a connection was refused (it is closed at once, before it costs a task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionRefused {
    /// Every slot is taken.
    Full,
    /// This address holds its share.
    AddressShare,
    /// Only the kept slots are left, and this address already holds several.
    KeptForOthers,
}

/// The open connections, counted per client address.
pub struct ConnectionShares {
    limits: ConnectionLimits,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// One open connection, counted until dropped.
pub struct ConnectionSlot {
    shares: Arc<ConnectionShares>,
    client: IpAddr,
}

impl ConnectionShares {
    pub fn new(limits: ConnectionLimits) -> Arc<ConnectionShares> {
        Arc::new(ConnectionShares { limits, open: Mutex::default() })
    }

    /// A slot for a connection from `peer`, or why there is none.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Result<ConnectionSlot, ConnectionRefused> {
        let client = client_of(peer);
        let proxy = self.limits.proxies.iter().any(|p| client_of(*p) == client);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let held = open.by_client.get(&client).copied().unwrap_or(0);
        if open.total >= self.limits.max {
            return Err(ConnectionRefused::Full);
        }
        if !proxy && held >= self.limits.per_address {
            return Err(ConnectionRefused::AddressShare);
        }
        if !proxy && held >= FEW && open.total >= self.limits.max - self.limits.kept() {
            return Err(ConnectionRefused::KeptForOthers);
        }
        open.total += 1;
        *open.by_client.entry(client).or_default() += 1;
        Ok(ConnectionSlot { shares: self.clone(), client })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.shares.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.total -= 1;
        if let Some(held) = open.by_client.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn shares(max: usize, per_address: usize) -> Arc<ConnectionShares> {
        ConnectionShares::new(ConnectionLimits { max, per_address, proxies: vec![ip("10.0.0.1")] })
    }

    #[test]
    fn one_address_holds_its_share_and_no_more() {
        let shares = shares(1_000, 50);
        let held: Vec<_> = (0..50).map(|_| shares.take(ip("192.0.2.1")).expect("within the share")).collect();
        assert_eq!(shares.take(ip("192.0.2.1")).err(), Some(ConnectionRefused::AddressShare));
        // Its whole /64 is one client for IPv6.
        let v6: Vec<_> =
            (0..50).map(|i| shares.take(ip(&format!("2001:db8::{i:x}"))).expect("share")).collect();
        assert_eq!(shares.take(ip("2001:db8::ffff")).err(), Some(ConnectionRefused::AddressShare));
        assert!(shares.take(ip("192.0.2.2")).is_ok(), "another address gets in");
        drop(held);
        assert!(shares.take(ip("192.0.2.1")).is_ok(), "a closed connection gives its slot back");
        drop(v6);
        assert_eq!(shares.open(), 0, "every slot is given back");
    }

    #[test]
    fn the_last_slots_are_kept_for_addresses_holding_few() {
        // 100 slots, 10 kept: nine heavy addresses take 90 between them.
        let shares = shares(100, 20);
        let mut held = Vec::new();
        for address in 1..=9 {
            for _ in 0..10 {
                held.push(shares.take(ip(&format!("192.0.2.{address}"))).expect("before the kept slots"));
            }
        }
        assert_eq!(shares.take(ip("192.0.2.1")).err(), Some(ConnectionRefused::KeptForOthers));
        for _ in 0..FEW {
            held.push(shares.take(ip("198.51.100.1")).expect("a newcomer uses the kept slots"));
        }
        assert_eq!(shares.take(ip("198.51.100.1")).err(), Some(ConnectionRefused::KeptForOthers));
        held.push(shares.take(ip("198.51.100.2")).expect("another newcomer too"));
        held.push(shares.take(ip("198.51.100.3")).expect("and another"));
        assert_eq!(shares.open(), 100);
        assert_eq!(shares.take(ip("198.51.100.4")).err(), Some(ConnectionRefused::Full));
    }

    #[test]
    fn a_trusted_proxy_is_held_to_the_total_only() {
        let shares = shares(100, 5);
        let held: Vec<_> = (0..100).map(|_| shares.take(ip("10.0.0.1")).expect("a proxy")).collect();
        assert_eq!(shares.take(ip("10.0.0.1")).err(), Some(ConnectionRefused::Full));
        drop(held);
    }
}
