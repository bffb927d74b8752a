//! Secrets: random tokens, their stored hashes, password hashing (argon2id), and the
//! signature that makes a session cookie tamper-evident.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// How long a password check waits for its turn before it is refused as busy.
const WAIT_FOR_A_TURN: Duration = Duration::from_secs(2);

/// Password hashing (argon2id), with a bound on how many hashes run at once. Each costs
/// about 19 MiB of memory and tens of milliseconds of CPU by design, so without a bound a
/// few hundred parallel sign-ins exhaust the machine. A check that finds every turn taken
/// waits briefly, then is refused with [`VaultError::Busy`].
///
/// The hashes run on threads of their own, as many as there are turns, each reusing one
/// buffer for argon2's memory: allocating and freeing 19 MiB per hash makes the allocator
/// raise its threshold for returning memory to the system, and a flood of sign-ins then
/// leaves hundreds of megabytes held (measured: 740 MB after 300 sign-ins; 75 MB reused).
#[derive(Clone)]
pub(crate) struct PasswordChecks {
    turns: Arc<Semaphore>,
    hashers: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

impl PasswordChecks {
    /// At most `at_once` hashes at a time (at least one). The threads end with the last
    /// clone of this handle.
    pub fn new(at_once: usize) -> PasswordChecks {
        let at_once = at_once.max(1);
        let (hashers, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..at_once {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new().name("password-check".into()).spawn(move || {
                loop {
                    let job = jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    match job {
                        Ok(job) => job(),
                        Err(mpsc::RecvError) => break,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password-check thread");
            }
        }
        PasswordChecks { turns: Arc::new(Semaphore::new(at_once)), hashers }
    }

    /// Runs `work` on a hashing thread once a turn is free.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _turn = self.turn().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.hashers
            .send(job)
            .map_err(|_| VaultError::Internal("the password-check threads stopped".into()))?;
        result.await.map_err(|_| VaultError::Internal("a password check was dropped".into()))
    }

    async fn turn(&self) -> Result<OwnedSemaphorePermit> {
        match tokio::time::timeout(WAIT_FOR_A_TURN, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(VaultError::Internal(Box::new(closed))),
            Err(_) => Err(VaultError::Busy { retry_after: Duration::from_secs(1) }),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || with_memory(|memory| hash_password(memory, password.as_bytes()))).await?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown email) it still
    /// spends the time of a check, so timing does not reveal which emails are members.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        self.run(move || {
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            with_memory(|memory| verify_password(memory, password.as_bytes(), &stored))
                && stored != DUMMY_HASH
        })
        .await
    }
}

thread_local! {
    /// argon2's working memory, kept by each hashing thread from one hash to the next.
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest working memory a stored hash may ask for: 64 MiB (ours ask for 19 MiB).
const MAX_BLOCKS: usize = 64 * 1024;

fn with_memory<T>(work: impl FnOnce(&mut Vec<Block>) -> T) -> T {
    MEMORY.with(|memory| work(&mut memory.borrow_mut()))
}

/// The first `params.block_count()` blocks of `memory`, grown to that size if needed.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let count = params.block_count();
    if memory.len() < count {
        memory.resize(count, Block::default());
    }
    &mut memory[..count]
}

/// A new argon2id hash of `password` with the default parameters, as a PHC string.
fn hash_password(memory: &mut Vec<Block>, password: &[u8]) -> Result<String> {
    let fault = |e: &dyn std::fmt::Display| VaultError::Internal(e.to_string().into());
    let argon = Argon2::default();
    let params = argon.params().clone();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| fault(&e))?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(length, |out| {
        argon
            .hash_password_into_with_memory(password, salt_bytes, out, blocks(memory, &params))
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| fault(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| fault(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (compared in constant time).
fn verify_password(memory: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm), Params::try_from(&hash)) else {
        return false;
    };
    let version = hash.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(version), Some(salt), Some(expected)) = (version, hash.salt, hash.hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
    if params.block_count() > MAX_BLOCKS {
        return false;
    }
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon.hash_password_into_with_memory(password, salt_bytes, &mut out, blocks(memory, &params)).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
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
        let checks = PasswordChecks::new(2);
        let hash = checks.hash("correct horse".into()).await.ok();
        assert!(hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")));
        assert!(checks.verify("correct horse".into(), hash.clone()).await.unwrap_or(false));
        assert!(!checks.verify("wrong horse".into(), hash).await.unwrap_or(true));
        assert!(!checks.verify("anything".into(), None).await.unwrap_or(true));
    }

    #[test]
    fn hashes_are_the_standard_argon2id_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut memory = Vec::new();
        // A hash stored by an earlier release (the crate's own hasher) still verifies …
        let salt = SaltString::generate(&mut OsRng);
        let earlier = Argon2::default().hash_password(b"correct horse", &salt).map(|h| h.to_string());
        let earlier = earlier.unwrap_or_default();
        assert!(verify_password(&mut memory, b"correct horse", &earlier));
        assert!(!verify_password(&mut memory, b"wrong horse", &earlier));
        // … and ours verifies with the crate's verifier.
        let ours = hash_password(&mut memory, b"correct horse").unwrap_or_default();
        let parsed = PasswordHash::new(&ours);
        assert!(
            parsed.is_ok_and(|h| Argon2::default().verify_password(b"correct horse", &h).is_ok()),
            "{ours}"
        );
        assert!(!verify_password(&mut memory, b"x", "not a hash"));
    }

    #[tokio::test]
    async fn a_check_that_waits_too_long_for_its_turn_is_refused_as_busy() {
        let checks = PasswordChecks::new(1);
        let held = checks.turn().await.ok();
        assert!(held.is_some());
        let refused = checks.hash("correct horse".into()).await;
        assert!(matches!(refused, Err(VaultError::Busy { .. })), "{refused:?}");
        drop(held);
        assert!(checks.hash("correct horse".into()).await.is_ok(), "a free turn is taken");
    }
}
