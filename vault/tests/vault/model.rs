//! The rules of PRODUCT.md as a small model, and random sequences of operations run against
//! both the model and the vault: after every step they must agree on what was refused, on
//! each version's status, on both pointers, and on what live and test keys read. On both
//! backends (the suite's PostgreSQL pass runs it again).

use std::collections::BTreeMap;

use proptest::prelude::*;
use vault::{Actor, KeyKind, NewDraft, Rewrite, SettingsPatch, Status, Vault, VaultError, VersionNumber};

use crate::helpers::PROMPT;

#[derive(Debug, Clone)]
enum Op {
    Save,
    Rewrite(i64),
    Delete(i64),
    Promote(i64),
    RollBack(i64),
    Stage(Option<i64>),
    StagingEnabled(bool),
}

fn op() -> impl Strategy<Value = Op> {
    // Numbers up to 5: most exist soon, some were deleted, some never were.
    let n = 1..=5i64;
    prop_oneof![
        4 => Just(Op::Save),
        1 => n.clone().prop_map(Op::Rewrite),
        1 => n.clone().prop_map(Op::Delete),
        2 => n.clone().prop_map(Op::Promote),
        1 => n.clone().prop_map(Op::RollBack),
        1 => proptest::option::of(n).prop_map(Op::Stage),
        1 => any::<bool>().prop_map(Op::StagingEnabled),
    ]
}

/// What PRODUCT.md says the state is.
#[derive(Debug, Default)]
struct Model {
    /// number → published?
    versions: BTreeMap<i64, bool>,
    last_number: i64,
    live: Option<i64>,
    staging: Option<i64>,
    staging_enabled: bool,
}

/// How the model expects an operation to end: done, or refused with this status.
type Expected = Result<(), u16>;

impl Model {
    fn apply(&mut self, op: &Op) -> Expected {
        let exists = |m: &Model, n: i64| m.versions.contains_key(&n);
        match *op {
            Op::Save => {
                self.last_number += 1;
                self.versions.insert(self.last_number, false);
                Ok(())
            }
            Op::Rewrite(n) | Op::Delete(n) if !exists(self, n) => Err(404),
            Op::Rewrite(n) | Op::Delete(n) if self.versions[&n] => Err(409),
            Op::Rewrite(_) => Ok(()),
            Op::Delete(n) => {
                self.versions.remove(&n);
                if self.staging == Some(n) {
                    self.staging = None;
                }
                Ok(())
            }
            Op::Promote(n) if !exists(self, n) => Err(404),
            Op::Promote(n) => {
                self.versions.insert(n, true);
                self.live = Some(n);
                Ok(())
            }
            Op::RollBack(n) if !exists(self, n) => Err(404),
            Op::RollBack(n) => match self.live {
                Some(live) if self.versions[&n] && n < live => {
                    self.live = Some(n);
                    Ok(())
                }
                _ => Err(409),
            },
            Op::Stage(Some(n)) if !exists(self, n) => Err(404),
            Op::Stage(_) if !self.staging_enabled => Err(409),
            Op::Stage(to) => {
                self.staging = to;
                Ok(())
            }
            Op::StagingEnabled(on) => {
                self.staging_enabled = on;
                Ok(())
            }
        }
    }

    /// What a test key reads: staging while enabled and set, else live.
    fn test_key_reads(&self) -> Option<i64> {
        self.staging.filter(|_| self.staging_enabled).or(self.live)
    }
}

fn v(n: i64) -> VersionNumber {
    VersionNumber::new(n).expect("number")
}

async fn run(vault: &Vault, owner: &Actor, op: &Op) -> Expected {
    let outcome = match *op {
        Op::Save => {
            let draft = NewDraft::text("text", String::new());
            vault.save_draft(owner, PROMPT, draft).await.map(drop)
        }
        Op::Rewrite(n) => {
            let rewrite = Rewrite {
                body: Some(vault::DraftBody::Text(format!("rewritten {n}"))),
                ..Default::default()
            };
            vault.rewrite_draft(owner, PROMPT, v(n), rewrite).await.map(drop)
        }
        Op::Delete(n) => vault.delete_draft(owner, PROMPT, v(n)).await.map(drop),
        Op::Promote(n) => vault.promote(owner, PROMPT, v(n)).await.map(drop),
        Op::RollBack(n) => vault.roll_back(owner, PROMPT, v(n)).await.map(drop),
        Op::Stage(to) => vault.set_staging(owner, PROMPT, to.map(v)).await.map(drop),
        Op::StagingEnabled(on) => {
            let patch = SettingsPatch { staging_enabled: Some(on), ..Default::default() };
            vault.update_settings(owner, patch).await.map(drop)
        }
    };
    outcome.map_err(|error: VaultError| error.status())
}

async fn served(vault: &Vault, key: &str) -> Option<i64> {
    let served = vault.read_prompt(key, PROMPT, None).await.ok()?;
    let body: serde_json::Value = serde_json::from_slice(&served.body).expect("json");
    body["number"].as_i64()
}

async fn check(ops: Vec<Op>) {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    let live_key = vault.create_api_key(&owner, KeyKind::Live, "live").await.expect("key").token;
    let test_key = vault.create_api_key(&owner, KeyKind::Test, "test").await.expect("key").token;
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        let expected = model.apply(op);
        let got = run(&vault, &owner, op).await;
        assert_eq!(got, expected, "step {step}: {op:?} after {:?}", &ops[..step]);

        let state = vault.prompt(&owner, PROMPT).await.expect("state");
        let shown_staging = model.staging.filter(|_| model.staging_enabled);
        assert_eq!(state.live.map(VersionNumber::get), model.live, "live after step {step}: {op:?}");
        assert_eq!(state.staging.map(VersionNumber::get), shown_staging, "staging after step {step}: {op:?}");
        let versions = vault.versions(&owner, PROMPT, Default::default()).await.expect("versions").items;
        let statuses: BTreeMap<i64, bool> =
            versions.iter().map(|v| (v.number.get(), v.status == Status::Published)).collect();
        assert_eq!(statuses, model.versions, "versions after step {step}: {op:?}");
        assert_eq!(served(&vault, &live_key).await, model.live, "live key after step {step}: {op:?}");
        assert_eq!(
            served(&vault, &test_key).await,
            model.test_key_reads(),
            "test key after step {step}: {op:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_vault_agrees_with_the_model_after_every_step(ops in proptest::collection::vec(op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(check(ops));
    }
}
