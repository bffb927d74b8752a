//! What every vault test starts from: a fresh data directory with a set-up workspace.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;

use tempfile::TempDir;
use vault::{Actor, SetUp, Storage, Vault, VersionNumber};

pub const PROMPT: &str = "support/triage";

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

/// Where the test with data directory `dir` keeps its data: SQLite in `dir`, or, when
/// `PROMPTVAULT_TEST_DATABASE_URL` names a PostgreSQL server (`postgres://user@host:port`), a
/// database made for it there, remembered in `dir` so that reopening finds the same one.
/// `scripts/test.sh` drops those databases (`pv_test_…`) when the run ends.
pub async fn storage(dir: &Path) -> Storage {
    let Ok(server) = std::env::var("PROMPTVAULT_TEST_DATABASE_URL") else {
        return Storage::in_dir(dir);
    };
    let remembered = dir.join("database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Storage { database_url: url, data_dir: dir.to_owned() };
    }
    use sqlx::Connection;
    let name = format!("pv_test_{}", unique_suffix());
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.expect("postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await
        .expect("create");
    let url = format!("{server}/{name}");
    std::fs::write(&remembered, &url).expect("remember the database");
    Storage { database_url: url, data_dir: dir.to_owned() }
}

/// Runs one statement on the test's database directly, behind the vault's back.
pub async fn sql(dir: &Path, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = storage(dir).await.database_url;
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut conn).await.map(|_| ())
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}_{}_{}", std::process::id(), nanos, NEXT.fetch_add(1, Ordering::Relaxed))
}
