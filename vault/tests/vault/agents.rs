//! Prompts for AI agents (PRODUCT.md "Live updates and agents"): what a read key reads,
//! listed with its variables as arguments and compiled into the two roles agents know.

use std::collections::HashMap;

use serde_json::json;
use vault::{AgentRefused, AgentRole, KeyKind, NewDraft, PromptType, SettingsPatch};

use crate::helpers::v;

fn arguments(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn an_agent_lists_what_its_key_reads_and_gets_it_compiled() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault
        .update_settings(&owner, SettingsPatch { staging_enabled: Some(true), ..Default::default() })
        .await
        .expect("staging on");
    vault.create_prompt(&owner, "greet").await.expect("create");
    vault.save_draft(&owner, "greet", NewDraft::text("Hello {{ name }}!", "Greeting")).await.expect("draft");
    vault.promote(&owner, "greet", v(1)).await.expect("promote");
    vault.create_prompt_of_type(&owner, "support/reply", PromptType::Chat).await.expect("create");
    let messages = json!([
        {"role": "system", "content": "You help {{customer}}."},
        {"type": "placeholder", "name": "history"},
        {"role": "assistant", "content": "How can I help?"},
        {"role": "user", "content": "{{question}}"}
    ]);
    vault.save_draft(&owner, "support/reply", NewDraft::chat(messages, "")).await.expect("draft");
    vault.promote(&owner, "support/reply", v(1)).await.expect("promote");
    vault.create_prompt(&owner, "draft/only").await.expect("create");
    vault.save_draft(&owner, "draft/only", NewDraft::text("Not yet", "wip")).await.expect("draft");
    vault.set_staging(&owner, "draft/only", Some(v(1))).await.expect("stage");
    let live = vault.create_api_key(&owner, KeyKind::Live, "agent").await.expect("key").token;
    let test = vault.create_api_key(&owner, KeyKind::Test, "agent").await.expect("key").token;

    let listed = vault.agent_prompts(&live).expect("list");
    let summary: Vec<_> =
        listed.iter().map(|p| (p.name.as_str(), p.description.as_str(), p.arguments.clone())).collect();
    assert_eq!(
        summary,
        [
            ("greet", "Greeting", vec!["name".to_owned()]),
            ("support/reply", "v1", vec!["customer".to_owned(), "question".to_owned()])
        ]
    );
    let staged = vault.agent_prompts(&test).expect("list");
    assert!(staged.iter().any(|p| p.name == "draft/only"), "a test key reads the staged draft");

    let greet = vault.agent_prompt(&live, "greet", &arguments(&[("name", "Ada"), ("extra", "ignored")]));
    assert_eq!(greet.expect("compiled").messages, [(AgentRole::User, "Hello Ada!".to_owned())]);
    let reply = vault
        .agent_prompt(&live, "support/reply", &arguments(&[("customer", "Ada"), ("question", "Refund?")]))
        .expect("compiled");
    assert_eq!(
        reply.messages,
        [
            (AgentRole::User, "You help Ada.".to_owned()),
            (AgentRole::Assistant, "How can I help?".to_owned()),
            (AgentRole::User, "Refund?".to_owned())
        ],
        "system as user, the placeholder left out"
    );

    let missing = vault.agent_prompt(&live, "support/reply", &arguments(&[("customer", "Ada")]));
    assert_eq!(missing, Err(AgentRefused::MissingArgument("question".into())));
    assert_eq!(
        vault.agent_prompt(&live, "draft/only", &arguments(&[])),
        Err(AgentRefused::NotFound("draft/only".into()))
    );
    assert_eq!(
        vault.agent_prompt("pv_live_unknown", "greet", &arguments(&[])),
        Err(AgentRefused::Unauthorized)
    );
    assert!(vault.agent_prompts("pv_live_unknown").is_err());
    assert!(vault.read_key_is_valid(&live) && !vault.read_key_is_valid("pv_live_unknown"));
}

/// A prompt of 100,000 `{{x}}` and a megabyte for `x` would compile to 100 GB: refused
/// before anything is allocated, as are too many arguments and one too long.
#[tokio::test]
async fn a_get_that_would_compile_past_the_limit_is_refused_in_words() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, "many").await.expect("create");
    vault.save_draft(&owner, "many", NewDraft::text("{{x}}".repeat(100_000), "")).await.expect("draft");
    vault.promote(&owner, "many", v(1)).await.expect("promote");
    let live = vault.create_api_key(&owner, KeyKind::Live, "agent").await.expect("key").token;
    let megabyte = "y".repeat(vault::MAX_AGENT_ARGUMENT_BYTES);
    let refused = vault.agent_prompt(&live, "many", &arguments(&[("x", &megabyte)]));
    let Err(AgentRefused::InvalidArguments(why)) = refused else { panic!("refused: {refused:?}") };
    assert!(why.contains("larger than 4194304 bytes"), "{why}");

    let too_long = "y".repeat(vault::MAX_AGENT_ARGUMENT_BYTES + 1);
    let refused = vault.agent_prompt(&live, "many", &arguments(&[("x", &too_long)]));
    let Err(AgentRefused::InvalidArguments(why)) = refused else { panic!("refused: {refused:?}") };
    assert!(why.contains("\"x\" is longer than"), "{why}");

    let names: Vec<String> = (0..=vault::MAX_AGENT_ARGUMENTS).map(|i| format!("a{i}")).collect();
    let many: HashMap<String, String> = names.iter().map(|n| (n.clone(), String::new())).collect();
    let refused = vault.agent_prompt(&live, "many", &many);
    let Err(AgentRefused::InvalidArguments(why)) = refused else { panic!("refused: {refused:?}") };
    assert!(why.contains("at most 256"), "{why}");

    let fits = vault.agent_prompt(&live, "many", &arguments(&[("x", "ab")])).expect("compiled");
    assert_eq!(fits.messages[0].1.len(), 200_000);
}
