//! What every vault test starts from: a fresh data directory with a set-up workspace.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use tempfile::TempDir;
use vault::{Actor, SetUp, Storage, Vault, VersionNumber};

pub const PROMPT: &str = "support/triage";

/// A vault on a new data directory, set up as workspace "Acme" with owner `owner_name`
/// (ada@example.com, password "correct horse").
pub async fn workspace(owner_name: &str) -> (Vault, Actor, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = Vault::open(&Storage::in_dir(dir.path())).await.expect("open vault");
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
