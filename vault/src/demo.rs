//! The demo workspace `--demo` seeds into an empty database, so a newcomer has something
//! to look at: a few prompts with histories, a live version, a staged draft, and a chat
//! prompt with a placeholder and a model config.

use serde_json::json;

use crate::{NewDraft, PromptType, Result, SetUp, SettingsPatch, Vault, VersionNumber};

pub const DEMO_EMAIL: &str = "demo@promptvault.dev";
pub const DEMO_PASSWORD: &str = "promptvault-demo";

/// Seeds the demo workspace; does nothing (and returns false) when the database already has
/// members.
pub async fn seed(vault: &Vault) -> Result<bool> {
    if !vault.needs_setup().await? {
        return Ok(false);
    }
    let (owner, _token) = vault
        .set_up(SetUp {
            workspace: "Acme Support".into(),
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            name: "Demo Owner".into(),
        })
        .await?;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await?;

    let triage = "support/triage-v2";
    vault.create_prompt(&owner, triage).await?;
    let drafts = [
        ("You are a support triage assistant. Classify the ticket as billing, bug or question.", "First cut"),
        (
            "You are a support triage assistant.\nClassify the ticket as billing, bug, question or account.\nAnswer with one word.",
            "Add the account category",
        ),
        (
            "You are a support triage assistant for {{product}}.\nClassify the ticket as billing, bug, question or account.\nAnswer with one word, lowercase.",
            "Name the product; lowercase answers",
        ),
        (
            "You are a support triage assistant for {{product}}.\nClassify the ticket as billing, bug, question, account or abuse.\nAnswer with one word, lowercase.\nIf unsure, answer question.",
            "Add abuse; default to question",
        ),
    ];
    for (source, message) in drafts {
        vault.save_draft(&owner, triage, NewDraft::text(source, message)).await?;
    }
    for n in [1, 2, 3] {
        vault.promote(&owner, triage, VersionNumber::new(n)?).await?;
    }
    vault.set_staging(&owner, triage, Some(VersionNumber::new(4)?)).await?;

    let welcome = "onboarding/welcome-email";
    vault.create_prompt(&owner, welcome).await?;
    for (source, message) in [
        ("Write a warm welcome email to {{name}} who just joined {{plan}}.", "Initial"),
        (
            "Write a short, warm welcome email to {{name}}, who just joined the {{plan}} plan.\nMention one feature they will like.",
            "Shorter, one feature",
        ),
    ] {
        vault.save_draft(&owner, welcome, NewDraft::text(source, message)).await?;
    }
    // v2 went out, then production was rolled back to v1: v2 stays in the history.
    vault.promote(&owner, welcome, VersionNumber::new(1)?).await?;
    vault.promote(&owner, welcome, VersionNumber::new(2)?).await?;
    vault.roll_back(&owner, welcome, VersionNumber::new(1)?).await?;

    let summary = "sales/call-summary";
    vault.create_prompt(&owner, summary).await?;
    vault
        .save_draft(
            &owner,
            summary,
            NewDraft::text("Summarise the sales call transcript in five bullet points.", "Draft for review"),
        )
        .await?;

    let reply = "support/reply";
    vault.create_prompt_of_type(&owner, reply, PromptType::Chat).await?;
    let system = |text: &str| json!({"role": "system", "content": text});
    let history = json!({"type": "placeholder", "name": "history"});
    let question = json!({"role": "user", "content": "{{question}}"});
    for (tone, temperature, message) in [
        ("friendly", 0.7, "First chat version"),
        ("friendly and brief", 0.3, "Shorter answers, cooler temperature"),
    ] {
        let messages = json!([
            system(&format!("You answer {{{{customer}}}}'s questions about {{{{product}}}}. Be {tone}.")),
            history.clone(),
            question.clone(),
        ]);
        let config = json!({"model": "gpt-4o-mini", "temperature": temperature});
        vault.save_draft(&owner, reply, NewDraft::chat(messages, message).with_config(config)).await?;
    }
    vault.promote(&owner, reply, VersionNumber::new(1)?).await?;
    Ok(true)
}
