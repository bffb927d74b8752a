//! The webhook signature, written once: the server signs each delivery with it and the SDK
//! verifies with it. The `PromptVault-Signature` header is `t=<unix seconds>,v1=<hex>`,
//! where the hex is the HMAC-SHA256, keyed with the webhook's secret, of
//! `"<timestamp>.<body>"`. Behind the `signatures` feature, so the browser bundle leaves it
//! out.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The hex signature of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The whole header value for `body` sent at `timestamp`.
pub fn header(secret: &str, timestamp: u64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Whether `signature` (raw bytes, decoded from the header's hex) is the one of `body` sent
/// at `timestamp`; compared in constant time.
pub fn matches(secret: &str, timestamp: u64, body: &[u8], signature: &[u8]) -> bool {
    mac(secret, timestamp, body).verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let signed = sign("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(signed, "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
        let raw = hex::decode(&signed).expect("hex");
        assert!(matches("whsec_test", 1_700_000_000, br#"{"a":1}"#, &raw));
        assert!(!matches("whsec_other", 1_700_000_000, br#"{"a":1}"#, &raw));
        assert!(!matches("whsec_test", 1_700_000_001, br#"{"a":1}"#, &raw));
        assert_eq!(header("whsec_test", 1_700_000_000, br#"{"a":1}"#), format!("t=1700000000,v1={signed}"));
    }
}
