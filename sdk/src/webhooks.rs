//! Verifying PromptVault's webhook deliveries in a receiver.
//!
//! ```
//! # fn handle(secret: &str, signature_header: &str, raw_body: &[u8]) -> Result<(), promptvault::webhooks::SignatureError> {
//! // `signature_header` is the `PromptVault-Signature` header; `raw_body` the body as received,
//! // before any JSON parsing.
//! promptvault::webhooks::verify_signature(secret, signature_header, raw_body)?;
//! // Then dedupe on the `PromptVault-Delivery` header (the event id): a delivery may repeat.
//! # Ok(()) }
//! ```
//!
//! The body, once verified, is an [`Event`] (`serde_json::from_slice::<Event>(raw_body)`):
//! the shape the server writes, from the same definition.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use types::{EventJson as Event, EventKind, EventRequestJson as EventRequest, PersonJson as Person};

/// How old a signed timestamp may be (either way) before a delivery is refused as a replay.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not `t=<unix seconds>,v1=<hex>`")]
    Malformed,
    #[error("the signature does not match the body and the secret")]
    Mismatch,
    #[error("the signature's timestamp is outside the {}-second replay window", REPLAY_WINDOW.as_secs())]
    Expired,
}

/// Checks a delivery's `PromptVault-Signature` header against its raw body, now, with the
/// five-minute replay window.
pub fn verify_signature(secret: &str, header: &str, body: &[u8]) -> Result<(), SignatureError> {
    verify_signature_at(secret, header, body, SystemTime::now(), REPLAY_WINDOW)
}

/// [`verify_signature`] at a given time and window (for tests, and clocks you trust less).
pub fn verify_signature_at(
    secret: &str,
    header: &str,
    body: &[u8],
    now: SystemTime,
    window: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<u64>().ok(),
            Some(("v1", value)) => {
                signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    if now.abs_diff(timestamp) > window.as_secs() {
        return Err(SignatureError::Expired);
    }
    let signed = |signature: &Vec<u8>| types::signature::matches(secret, timestamp, body, signature);
    if signatures.iter().any(signed) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"a":1}"#;
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    const HEADER: &str = "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn a_good_signature_verifies_within_the_window_only() {
        assert_eq!(verify_signature_at("whsec_test", HEADER, BODY, at(1_700_000_100), REPLAY_WINDOW), Ok(()));
        assert_eq!(
            verify_signature_at("whsec_test", HEADER, BODY, at(1_700_000_301), REPLAY_WINDOW),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn anything_else_is_refused() {
        let now = at(1_700_000_000);
        let check = |secret: &str, header: &str, body: &[u8]| {
            verify_signature_at(secret, header, body, now, REPLAY_WINDOW)
        };
        assert_eq!(check("whsec_other", HEADER, BODY), Err(SignatureError::Mismatch));
        assert_eq!(check("whsec_test", HEADER, br#"{"a":2}"#), Err(SignatureError::Mismatch));
        for bad in ["", "t=1700000000", "v1=00", "t=x,v1=00", "t=1700000000,v1=zz"] {
            assert_eq!(check("whsec_test", bad, BODY), Err(SignatureError::Malformed), "{bad}");
        }
    }
}
