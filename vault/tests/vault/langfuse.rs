//! Langfuse-compatible reads: which version each label and key reads, the labels reported,
//! and the refusals the SDKs map.

use serde_json::Value;
use vault::{LangfuseRefused, NewDraft};

use crate::helpers::{Fixture, PROMPT, v};

/// Drafts v1…v4; v1 and v2 published, live rolled back to v1; staging on v4.
async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await;
    f.staging(true).await;
    let (vault, owner) = (&f.vault, &f.owner);
    vault.create_prompt(owner, PROMPT).await.expect("prompt");
    for i in 1..=4 {
        let draft = NewDraft::text(format!("source {i}"), format!("change {i}"));
        vault.save_draft(owner, PROMPT, draft).await.expect("save");
    }
    vault.promote(owner, PROMPT, v(1)).await.expect("promote 1");
    vault.promote(owner, PROMPT, v(2)).await.expect("promote 2");
    vault.roll_back(owner, PROMPT, v(1)).await.expect("roll back");
    vault.set_staging(owner, PROMPT, Some(v(4))).await.expect("stage");
    f.with_keys().await
}

impl Fixture {
    async fn langfuse(
        &self,
        key: &str,
        label: Option<&str>,
        version: Option<&str>,
    ) -> Result<Value, LangfuseRefused> {
        let body = self.vault.read_langfuse(key, PROMPT, (label, version), true).await?;
        Ok(serde_json::from_slice(&body).expect("json"))
    }

    async fn langfuse_version(&self, key: &str, label: Option<&str>, version: Option<&str>) -> i64 {
        let body = self
            .langfuse(key, label, version)
            .await
            .unwrap_or_else(|e| panic!("{label:?} {version:?}: {e:?}"));
        body["version"].as_i64().expect("version")
    }
}

#[tokio::test]
async fn each_label_reads_what_the_contract_says() {
    let f = fixture().await;
    let (live, test) = (f.live.as_str(), f.test.as_str());
    assert_eq!(f.langfuse_version(live, None, None).await, 1, "live key: live");
    assert_eq!(f.langfuse_version(live, Some("production"), None).await, 1);
    assert_eq!(f.langfuse_version(test, None, None).await, 4, "test key: staging");
    assert_eq!(f.langfuse_version(test, Some("production"), None).await, 4, "the key's channel");
    assert_eq!(f.langfuse_version(test, Some("staging"), None).await, 4);
    assert_eq!(f.langfuse_version(live, Some("latest"), None).await, 2, "the newest published");
    assert_eq!(f.langfuse_version(test, Some("latest"), None).await, 2);
    assert_eq!(f.langfuse_version(live, None, Some("2")).await, 2, "a published version by number");
    assert!(matches!(f.langfuse(live, Some("staging"), None).await, Err(LangfuseRefused::NotFound(_))));
    assert!(
        matches!(f.langfuse(live, None, Some("3")).await, Err(LangfuseRefused::NotFound(_))),
        "v3 is a draft"
    );
    assert!(matches!(f.langfuse(live, None, Some("9")).await, Err(LangfuseRefused::NotFound(_))));
    assert!(matches!(f.langfuse(live, Some("canary"), None).await, Err(LangfuseRefused::NotFound(_))));
    assert!(matches!(f.langfuse(live, Some("latest"), Some("1")).await, Err(LangfuseRefused::BadRequest(_))));
    assert!(matches!(f.langfuse("pv_live_nope", None, None).await, Err(LangfuseRefused::Unauthorized)));
    let missing = f.vault.read_langfuse(live, "no/such", (None, None), true).await;
    assert!(matches!(missing, Err(LangfuseRefused::NotFound(_))));
}

#[tokio::test]
async fn the_body_has_what_the_sdks_require_and_the_labels_at_that_version() {
    let f = fixture().await;
    let body = f.langfuse(&f.live, None, None).await.expect("read");
    assert_eq!(body["name"], PROMPT);
    assert_eq!(body["type"], "text");
    assert_eq!(body["prompt"], "source 1");
    assert_eq!(body["config"], serde_json::json!({}));
    assert_eq!(body["tags"], serde_json::json!([]));
    assert_eq!(body["commitMessage"], "change 1");
    assert_eq!(body["createdBy"], "Ada");
    assert!(body["id"].is_string() && body["createdAt"].is_string() && body["updatedAt"].is_string());
    assert_eq!(body["labels"], serde_json::json!(["production"]));
    let latest = f.langfuse(&f.live, Some("latest"), None).await.expect("latest");
    assert_eq!(latest["labels"], serde_json::json!(["latest"]));
    let staged = f.langfuse(&f.test, None, None).await.expect("staged");
    assert_eq!(staged["labels"], serde_json::json!(["staging"]));

    // The next read sees a promote at once; the labels follow the pointers.
    f.vault.promote(&f.owner, PROMPT, v(4)).await.expect("promote 4");
    let body = f.langfuse(&f.live, None, None).await.expect("read");
    assert_eq!(body["version"], 4);
    assert_eq!(body["labels"], serde_json::json!(["production", "staging", "latest"]));
    let pinned = f.langfuse(&f.live, None, Some("2")).await.expect("pinned");
    assert_eq!(pinned["labels"], serde_json::json!([]));
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once() {
    let f = fixture().await;
    let keys = f.vault.api_keys(&f.owner).await.expect("keys");
    let prod = keys.iter().find(|k| k.name == "prod").expect("prod key");
    f.vault.revoke_api_key(&f.owner, prod.id).await.expect("revoke");
    assert!(matches!(f.langfuse(&f.live, None, None).await, Err(LangfuseRefused::Unauthorized)));
}
