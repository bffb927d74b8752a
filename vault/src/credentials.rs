//! Secrets: random tokens, their stored hashes, password hashing (argon2id), and the
//! signature that makes a session cookie tamper-evident.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::{Result, VaultError};

/// `bytes` of randomness from the operating system, URL-safe base64.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A new bearer token, `prefix` then 192 random bits, and its last four characters (what
/// lists show so a person can recognise it).
pub(crate) fn new_bearer_token(prefix: &str) -> (String, String) {
    let token = format!("{prefix}{}", random_token(24));
    let last_four = token[token.len() - 4..].to_owned();
    (token, last_four)
}

/// What the database stores instead of a token: tokens are long and random, so a fast
/// hash is enough, and lookups by hash leak nothing useful through timing.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| VaultError::Internal(e.to_string().into()))
    })
    .await?
}

/// Checks `password` against `stored`; with no stored hash (unknown email) it still spends
/// the time of a check, so timing does not reveal which emails are members.
pub(crate) async fn verify_password(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(hash) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &hash).is_ok() && stored != DUMMY_HASH
    })
    .await
    .map_err(VaultError::from)
}

/// An argon2id hash of a random password nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jx0P2l4kQ9FqvJmP0H7mY1nQ0cV7f2y3m3kW1sQe4tA";

/// The key that signs session cookies. Stored in the database so that every instance on
/// the same database accepts the same cookies.
/// Shared, so cloning the `Vault` handle (once per request) allocates nothing.
#[derive(Clone)]
pub(crate) struct CookieKey(std::sync::Arc<[u8]>);

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(<redacted>)")
    }
}

impl CookieKey {
    pub async fn load_or_create(db: &Db) -> Result<CookieKey> {
        // Racing instances each try to insert; the first wins and all read the winner.
        sqlx::query("insert into server_secrets (name, value) values ('cookie_key', $1) on conflict (name) do nothing")
            .bind(random_token(32))
            .execute(&db.write)
            .await?;
        let value: String = sqlx::query_scalar("select value from server_secrets where name = 'cookie_key'")
            .fetch_one(&db.write)
            .await?;
        Ok(CookieKey(value.into_bytes().into()))
    }

    fn mac(&self, token: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(token.as_bytes());
        mac
    }

    /// `token.signature`, the cookie's value.
    pub fn sign(&self, token: &str) -> String {
        format!("{token}.{}", hex::encode(self.mac(token).finalize().into_bytes()))
    }

    /// The token inside a signed cookie value, if the signature is right (constant time).
    pub fn verify<'a>(&self, cookie: &'a str) -> Option<&'a str> {
        let (token, signature) = cookie.rsplit_once('.')?;
        let signature = hex::decode(signature).ok()?;
        self.mac(token).verify_slice(&signature).ok().map(|()| token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_signatures_detect_tampering() {
        let key = CookieKey(b"k".as_slice().into());
        let signed = key.sign("abc");
        assert_eq!(key.verify(&signed), Some("abc"));
        assert_eq!(key.verify(&signed.replace("abc", "abd")), None);
        assert_eq!(key.verify("abc"), None);
        assert_eq!(CookieKey(b"other".as_slice().into()).verify(&signed), None);
    }

    #[tokio::test]
    async fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse".into()).await.ok();
        assert!(hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")));
        assert!(verify_password("correct horse".into(), hash.clone()).await.unwrap_or(false));
        assert!(!verify_password("wrong horse".into(), hash).await.unwrap_or(true));
        assert!(!verify_password("anything".into(), None).await.unwrap_or(true));
    }
}
