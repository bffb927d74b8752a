//! What every vault test starts from: a fresh data directory with a set-up workspace (the
//! one [`Fixture`]), and the one way to assert a refusal ([`assert_refused`]).

use std::path::Path;

use tempfile::TempDir;
use vault::{
    Actor, Conflict, KeyKind, NewDraft, NewMember, PageRequest, Role, SetUp, SettingsPatch, Storage, Vault,
    VaultError, VersionNumber,
};

pub const PROMPT: &str = "support/triage";

/// Where the tests' sign-ins, joins and password changes come from.
pub const HERE: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// A vault on a new data directory, set up as workspace "Acme" with owner `owner_name`
/// (ada@example.com, password "correct horse").
pub async fn workspace(owner_name: &str) -> (Vault, Actor, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = Vault::open(&storage(dir.path()).await).await.expect("open vault");
    let setup = SetUp {
        workspace: "Acme".into(),
        email: "ada@example.com".into(),
        password: "correct horse".into(),
        name: owner_name.into(),
    };
    let (owner, _token) = vault.set_up(setup).await.expect("set up");
    (vault, owner, dir)
}

/// A test's vault, its workspace's owner, its data directory (removed when the test ends),
/// and, once [`Fixture::with_keys`] made them, a live and a test key's tokens.
pub struct Fixture {
    pub vault: Vault,
    pub owner: Actor,
    pub dir: TempDir,
    pub live: String,
    pub test: String,
}

impl Fixture {
    /// A new workspace whose owner is called `owner_name`.
    pub async fn new(owner_name: &str) -> Fixture {
        let (vault, owner, dir) = workspace(owner_name).await;
        Fixture::of(vault, owner, dir)
    }

    pub fn of(vault: Vault, owner: Actor, dir: TempDir) -> Fixture {
        Fixture { vault, owner, dir, live: String::new(), test: String::new() }
    }

    /// Makes a live key and a test key.
    pub async fn with_keys(mut self) -> Fixture {
        let live = self.vault.create_api_key(&self.owner, KeyKind::Live, "prod").await.expect("live key");
        let test = self.vault.create_api_key(&self.owner, KeyKind::Test, "preview").await.expect("test key");
        (self.live, self.test) = (live.token, test.token);
        self
    }

    /// Turns staging on or off.
    pub async fn staging(&self, on: bool) {
        let patch = SettingsPatch { staging_enabled: Some(on), ..Default::default() };
        self.vault.update_settings(&self.owner, patch).await.expect("settings");
    }

    /// A member of the workspace with `role`, added by the owner (`{role}@example.com`).
    pub async fn member(&self, role: Role) -> Actor {
        let email = format!("{}@example.com", role.as_str());
        let input = NewMember { email, password: "long enough".into(), name: role.as_str().into(), role };
        self.vault.add_member(&self.owner, input).await.expect("add member")
    }
}

impl Fixture {
    /// Prompt [`PROMPT`] with drafts v1…v`count` (sources `source {i}`).
    pub async fn prompt_with_drafts(&self, count: usize) {
        self.vault.create_prompt(&self.owner, PROMPT).await.expect("create prompt");
        for i in 1..=count {
            self.vault.save_draft(&self.owner, PROMPT, draft(&format!("source {i}"))).await.expect("save");
        }
    }

    /// [`PROMPT`]'s versions as `v{n}:{status}`, newest first.
    pub async fn labels(&self) -> Vec<String> {
        let page = PageRequest { limit: Some(200), ..Default::default() };
        let page = self.vault.versions(&self.owner, PROMPT, page).await.expect("versions");
        page.items.iter().map(|v| format!("{}:{}", v.number, v.status.as_str())).collect()
    }
}

/// A text draft of `source`, with the message `msg {source}`.
pub fn draft(source: &str) -> NewDraft {
    NewDraft::text(source, format!("msg {source}"))
}

/// A refusal by a rule: 409 with the reason callers act on, and a message that says it in
/// words.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, VaultError>, expected: Conflict, needle: &str) {
    let error = assert_refused(result, 409, needle);
    assert_eq!(error.code(), expected.code(), "{error:?}");
}

/// The one way a test asserts a refusal: `result` is an error with `status`, and `what` is
/// its code (`forbidden`, `review_required`, …) or words of its message. Returns the error
/// for a test that looks further.
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, VaultError>,
    status: u16,
    what: &str,
) -> VaultError {
    match result {
        Err(error) => {
            assert_eq!(error.status(), status, "{error:?}");
            let said = error.code() == what || error.to_string().contains(what);
            assert!(said, "{error:?} should be {what:?} or say it");
            error
        }
        Ok(value) => panic!("expected a {status} refusal ({what}), got {value:?}"),
    }
}

pub fn v(n: i64) -> VersionNumber {
    VersionNumber::new(n).expect("valid number")
}

/// The vault on data directory `dir` opened again (as a restart or a second instance would).
pub async fn open(dir: &Path) -> Vault {
    Vault::open(&storage(dir).await).await.expect("open the vault")
}

/// Where the test with data directory `dir` keeps its data (see `Storage::for_tests`).
pub async fn storage(dir: &Path) -> Storage {
    Storage::for_tests(dir).await.expect("test database")
}

/// Runs one statement on the test's database directly, behind the vault's back.
pub async fn sql(dir: &Path, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = storage(dir).await.database_url;
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut conn).await.map(|_| ())
}
