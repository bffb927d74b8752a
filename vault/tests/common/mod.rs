//! What every vault test starts from: a fresh data directory with a set-up workspace.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;

use tempfile::TempDir;
use vault::{Actor, SetUp, Storage, Vault, VersionNumber};

pub const PROMPT: &str = "support/triage";

/// Where the tests' sign-ins, joins and password changes come from.
#[allow(dead_code)]
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

pub fn v(n: i64) -> VersionNumber {
    VersionNumber::new(n).expect("valid number")
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
