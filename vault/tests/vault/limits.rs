//! Attempts to prove who one is are limited per account and per address: past the limit
//! they are refused as busy (429 with how long to wait) before any password is hashed,
//! and others are not affected.

use std::net::IpAddr;

use crate::helpers::assert_refused;
use vault::{NewMember, Role, VaultError};

fn busy_for(result: Result<impl std::fmt::Debug, VaultError>) -> u64 {
    match result {
        Err(VaultError::Limited { retry_after, .. }) => retry_after.as_secs(),
        other => panic!("expected busy, got {other:?}"),
    }
}

#[tokio::test]
async fn guesses_at_one_account_from_one_address_are_cut_off_after_ten_a_minute_and_others_sign_in() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.limit_attempts(10);
    let grace = NewMember {
        email: "grace@example.com".into(),
        password: "grace's password".into(),
        name: "Grace".into(),
        role: Role::Editor,
    };
    vault.add_member(&owner, grace).await.expect("grace");
    for i in 0..10 {
        let wrong = vault.sign_in("ada@example.com", &format!("guess {i}"), crate::helpers::HERE).await;
        assert_refused(wrong, 401, "unauthorized");
    }
    // The eleventh is refused before its password is checked, even the right one, in any case.
    assert!(busy_for(vault.sign_in("ADA@example.com", "correct horse", crate::helpers::HERE).await) >= 1);
    vault
        .sign_in("grace@example.com", "grace's password", crate::helpers::HERE)
        .await
        .expect("another account signs in");
}

#[tokio::test]
async fn guesses_at_an_account_from_anywhere_never_lock_its_owner_out_of_a_clean_address() {
    let (vault, _owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.limit_attempts(10);
    // Guessers at Ada's email from a handful of addresses; the second IPv6 one is in the
    // first one's /64, which has used up its guesses already.
    let guessers = [("203.0.113.5", 10), ("203.0.113.6", 10), ("2001:db8:66::1", 10), ("2001:db8:66::2", 0)];
    for (address, allowed) in guessers {
        let address: IpAddr = address.parse().expect("ip");
        let mut guesses = 0;
        while guesses < 20
            && !matches!(
                vault.sign_in("ada@example.com", "a guess", address).await,
                Err(VaultError::Limited { .. })
            )
        {
            guesses += 1;
        }
        assert_eq!(guesses, allowed, "{address} is cut off after ten guesses at the account");
    }
    let home: IpAddr = "198.51.100.20".parse().expect("ip");
    vault
        .sign_in("ada@example.com", "correct horse", home)
        .await
        .expect("the owner signs in from her own address");
}

#[tokio::test]
async fn an_address_gets_ten_attempts_a_minute_and_another_address_is_not_affected() {
    let (vault, _owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.limit_attempts(10);
    let flooding: IpAddr = "203.0.113.7".parse().expect("ip");
    for _ in 0..10 {
        vault.attempt_from(flooding).expect("within the limit");
    }
    let wait = busy_for(vault.attempt_from(flooding));
    assert!((1..=60).contains(&wait), "about a minute's share: {wait}");
    vault.attempt_from("198.51.100.1".parse().expect("ip")).expect("another address");
    vault.forget_old_attempts();
    assert!(vault.attempt_from(flooding).is_err(), "still limited: nothing forgotten early");
}

#[tokio::test]
async fn an_ipv6_client_counts_by_its_slash_64_not_by_each_of_its_addresses() {
    let (vault, _owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.limit_attempts(10);
    for host in 0..10 {
        let address: IpAddr = format!("2001:db8:7:7::{host:x}").parse().expect("ip");
        vault.attempt_from(address).expect("within the /64's limit");
    }
    let other_host_same_64: IpAddr = "2001:db8:7:7:ffff::1".parse().expect("ip");
    busy_for(vault.attempt_from(other_host_same_64));
    vault.attempt_from("2001:db8:7:8::1".parse().expect("ip")).expect("the next /64 is someone else");
}

#[tokio::test]
async fn reads_past_a_keys_configured_rate_wait_and_other_keys_read_on() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, crate::helpers::PROMPT).await.expect("prompt");
    let draft = vault::NewDraft::text("text", String::new());
    vault.save_draft(&owner, crate::helpers::PROMPT, draft).await.expect("save");
    vault.promote(&owner, crate::helpers::PROMPT, crate::helpers::v(1)).await.expect("promote");
    let busy = vault.create_api_key(&owner, vault::KeyKind::Live, "busy").await.expect("key").token;
    let calm = vault.create_api_key(&owner, vault::KeyKind::Live, "calm").await.expect("key").token;
    let unlimited = vault.clone();
    let vault = vault.limit_reads_per_key(5);
    for _ in 0..5 {
        vault.read_prompt(&busy, crate::helpers::PROMPT, None).await.expect("within the rate");
    }
    match vault.read_prompt(&busy, crate::helpers::PROMPT, None).await {
        Err(vault::ReadRefused::Limited(wait)) => assert!(wait.as_secs() >= 1),
        other => panic!("expected a wait, got {other:?}"),
    }
    assert!(
        vault.read_langfuse(&busy, crate::helpers::PROMPT, (None, None), true).await.is_err(),
        "both read APIs count"
    );
    assert!(
        matches!(vault.agent_prompts(&busy), Err(vault::ReadRefused::Limited(_))),
        "an agent's listing counts"
    );
    let nothing = std::collections::HashMap::new();
    assert!(
        matches!(
            vault.agent_prompt(&busy, crate::helpers::PROMPT, &nothing),
            Err(vault::AgentRefused::Limited(_))
        ),
        "an agent's get counts"
    );
    let opened = vault.subscribe(&busy, None, vault::Resume::Fresh).await.map(|_| ());
    assert!(matches!(opened, Err(vault::StreamRefused::Limited(_))), "opening a stream counts: {opened:?}");
    vault.read_prompt(&calm, crate::helpers::PROMPT, None).await.expect("another key reads on");
    for _ in 0..20 {
        unlimited.read_prompt(&busy, crate::helpers::PROMPT, None).await.expect("no limit unless configured");
    }
}
