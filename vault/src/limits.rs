//! Limits on attempts to prove who one is: signing in, setting up, joining. Each runs a
//! password hash, and each is a guess an attacker would like to repeat. About ten a minute
//! per address, and ten a minute at one account from one address; more is refused (429
//! `rate_limited`, with `Retry-After`) before any hash runs.
//!
//! The count at an account is kept per address on purpose: a count shared by every address
//! would let anyone lock the owner out by guessing wrong at their email. Guesses from one
//! address slow down to one every few seconds, and the owner signing in from another
//! address is not affected.
//!
//! The counting is governor's (a generic cell rate algorithm per key, in memory): a limit
//! holds per instance, which is what it is for — a flood from one address or at one account
//! is cut down to a trickle wherever it lands.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{Result, Vault, VaultError};

/// Attempts per minute, per address and per account, unless configured.
pub const DEFAULT_ATTEMPTS_PER_MINUTE: u32 = 10;

#[derive(Clone)]
pub(crate) struct AttemptLimits {
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: Arc<DefaultKeyedRateLimiter<(String, IpAddr)>>,
}

impl AttemptLimits {
    pub fn new(per_minute: u32) -> AttemptLimits {
        // A minute's allowance may be used at once; it comes back one attempt at a time.
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        AttemptLimits {
            per_address: Arc::new(RateLimiter::keyed(quota)),
            per_account: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// Counts an attempt on account `email` (as typed, compared without case) from `from`.
    pub fn account(&self, email: &str, from: IpAddr) -> Result<()> {
        check(
            &self.per_account,
            (email.trim().to_lowercase(), client_of(from)),
            "too many sign-in attempts at this account from this address",
        )
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: K,
    what: &'static str,
) -> Result<()> {
    limiter.check_key(&key).map_err(|not_until| {
        let retry_after = wait_for(not_until.wait_time_from(DefaultClock::default().now()));
        tracing::info!(what, "refused for {} s", retry_after.as_secs());
        VaultError::Limited { what, retry_after }
    })
}

/// Whom an address stands for, as the attempt limits count: an IPv4 address (or one mapped
/// into IPv6) itself; an IPv6 address by its /64, since one subscriber, host or cloud
/// instance is routinely given a whole /64 and could otherwise guess from 2^64 addresses.
pub(crate) fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// A wait in whole seconds (what `Retry-After` says), at least one.
pub(crate) fn wait_for(wait: Duration) -> Duration {
    Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(Duration::from_secs(1))
}

impl Vault {
    /// At most `per_minute` sign-in, setup and join attempts a minute per address and per
    /// account (the tests raise it; the default is [`DEFAULT_ATTEMPTS_PER_MINUTE`]).
    pub fn limit_attempts(mut self, per_minute: u32) -> Vault {
        self.parts_mut().attempts = AttemptLimits::new(per_minute);
        self
    }

    /// Counts a sign-in, setup or join attempt from `address`; refused as busy (429, with
    /// how long to wait) past the limit. The server calls this before the operation.
    pub fn attempt_from(&self, address: IpAddr) -> Result<()> {
        check(
            &self.attempts.per_address,
            client_of(address),
            "too many sign-in, setup or join attempts from this address",
        )
    }

    /// At most `per_second` SDK reads a second per API key (a burst of one second's worth
    /// at once); past it, reads answer 429 with `Retry-After`. Off unless called.
    pub fn limit_reads_per_key(mut self, per_second: u32) -> Vault {
        self.parts_mut().serving.read_limit =
            NonZeroU32::new(per_second).map(|rate| Arc::new(RateLimiter::keyed(Quota::per_second(rate))));
        self
    }

    /// Forgets addresses and accounts whose allowance is whole again, so that the counts
    /// take memory only for those still being limited. The server calls this every few
    /// seconds.
    pub fn forget_old_attempts(&self) {
        self.attempts.per_address.retain_recent();
        self.attempts.per_account.retain_recent();
        self.manual_sends.forget_old();
        if let Some(reads) = &self.serving.read_limit {
            reads.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_an_ipv4_one_its_address() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("ip");
        assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(client_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), ip("2001:db8:1:2::"));
        assert_ne!(client_of(ip("2001:db8:1:3::1")), client_of(ip("2001:db8:1:2::1")));
        assert_eq!(client_of(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }
}
