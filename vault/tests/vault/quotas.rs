//! Quotas and who may create workspaces: one account or one workspace cannot take more than
//! the server allows, a write past a quota is refused whole (naming the quota and its
//! setting), and freeing a place makes room again. Also the operator's way out of an
//! account someone made for an email that is not theirs.

use vault::{
    ChangeRule, Conflict, DraftBody, Joining, KeyKind, NewDraft, NewWebhook, PromptFile, PromptType, Push,
    Quotas, RequestAction, Role, SettingsPatch, VaultError, WorkspaceCreators,
};

use crate::helpers::HERE;

fn small() -> Quotas {
    Quotas {
        workspaces_per_account: 2,
        prompts_per_workspace: 2,
        versions_per_workspace: 3,
        api_keys_per_workspace: 2,
        access_tokens_per_workspace: 2,
        webhooks_per_workspace: 1,
        invitations_per_workspace: 2,
        open_requests_per_workspace: 1,
        bytes_per_workspace: 1024 * 1024 * 1024,
        labels_per_workspace: 1,
    }
}

fn assert_quota<T: std::fmt::Debug>(result: Result<T, VaultError>, setting: &str) {
    match result {
        Err(error @ VaultError::Conflict { reason: Conflict::QuotaReached, .. }) => {
            assert_eq!((error.status(), error.code()), (409, "quota_reached"));
            assert!(error.to_string().contains(setting), "{error} should name {setting}");
        }
        other => panic!("expected the quota {setting} to refuse, got {other:?}"),
    }
}

fn text(name: &str, source: &str) -> PromptFile {
    PromptFile {
        name: name.into(),
        kind: PromptType::Text,
        body: DraftBody::Text(source.into()),
        config: None,
        tags: None,
    }
}

#[tokio::test]
async fn prompts_and_versions_stop_at_their_quotas_and_a_push_past_them_changes_nothing() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.with_quotas(small());
    vault.create_prompt(&owner, "one").await.expect("first prompt");
    vault.create_prompt(&owner, "two").await.expect("second prompt");
    assert_quota(vault.create_prompt(&owner, "three").await, "--max-prompts-per-workspace");
    assert_eq!(vault.prompts(&owner).await.expect("list").len(), 2, "the refused prompt is not there");

    for source in ["a", "b", "c"] {
        vault.save_draft(&owner, "one", NewDraft::text(source, "m")).await.expect("within the quota");
    }
    assert_quota(
        vault.save_draft(&owner, "two", NewDraft::text("d", "m")).await,
        "--max-versions-per-workspace",
    );
    assert_eq!(vault.prompt(&owner, "two").await.expect("two").versions, 0);

    // A push that would add a prompt past the quota is refused whole: "one" keeps its three.
    let files = vec![text("one", "changed"), text("zzz", "new")];
    let push = Push { files, message: "from the repository".into(), ..Default::default() };
    assert_quota(vault.push(&owner, push).await, "--max-prompts-per-workspace");
    assert_eq!(vault.prompt(&owner, "one").await.expect("one").versions, 3);

    // Deleting a draft makes room for another.
    vault.delete_draft(&owner, "one", crate::helpers::v(3)).await.expect("delete a draft");
    vault.save_draft(&owner, "two", NewDraft::text("d", "m")).await.expect("room again");
}

#[tokio::test]
async fn keys_tokens_and_webhooks_stop_at_their_quotas_and_revoking_makes_room() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.with_quotas(small());
    let first = vault.create_api_key(&owner, KeyKind::Live, "one").await.expect("key");
    vault.create_api_key(&owner, KeyKind::Test, "two").await.expect("key");
    assert_quota(vault.create_api_key(&owner, KeyKind::Live, "three").await, "--max-api-keys-per-workspace");
    vault.revoke_api_key(&owner, first.key.id).await.expect("revoke");
    vault.create_api_key(&owner, KeyKind::Live, "three").await.expect("a revoked key frees its place");
    assert_eq!(vault.api_keys(&owner).await.expect("keys").len(), 2);

    // First-run setup made one token already.
    vault.create_access_token(&owner, "ci").await.expect("token");
    assert_quota(vault.create_access_token(&owner, "more").await, "--max-access-tokens-per-workspace");
    assert_eq!(vault.access_tokens(&owner).await.expect("tokens").len(), 2);

    let hook = || NewWebhook {
        url: "https://hooks.example.com/pv".into(),
        events: vec!["version.promoted".into()],
        enabled: true,
    };
    vault.create_webhook(&owner, hook()).await.expect("webhook");
    assert_quota(vault.create_webhook(&owner, hook()).await, "--max-webhooks-per-workspace");
    assert_eq!(vault.webhooks(&owner).await.expect("webhooks").len(), 1);
}

#[tokio::test]
async fn an_account_owns_at_most_its_quota_of_workspaces() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.with_quotas(small());
    vault.create_workspace(&owner, "Second").await.expect("the setup's and one more");
    assert_quota(vault.create_workspace(&owner, "Third").await, "--max-workspaces-per-account");
    assert_eq!(vault.workspaces(&owner).await.expect("workspaces").len(), 2);
}

#[tokio::test]
async fn the_server_decides_who_may_create_workspaces() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let invitation = vault.invite(&owner, "bob@example.com", Role::Editor).await.expect("invite");
    let bob = vault.join(&invitation.token, joining("Bob", "bob's password"), HERE).await.expect("join");

    let owners_only = vault.clone().with_workspace_creators(WorkspaceCreators::Owners);
    let refused = owners_only.create_workspace(&bob, "Bob's own").await.expect_err("bob owns none");
    assert_eq!(refused.status(), 403, "{refused}");
    assert!(refused.to_string().contains("--workspace-creators"), "{refused}");
    owners_only.create_workspace(&owner, "Ada's second").await.expect("an owner may");

    let nobody = vault.clone().with_workspace_creators(WorkspaceCreators::Nobody);
    assert_eq!(nobody.create_workspace(&owner, "Third").await.expect_err("nobody").status(), 403);
    assert_eq!(vault.workspaces(&bob).await.expect("bob's").len(), 1, "nothing was created for bob");
}

#[tokio::test]
async fn an_operator_gives_a_squatted_email_back_to_its_owner() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    // Mallory invites carol's email into a workspace of her own and joins with it first.
    let invitation = vault.invite(&owner, "mallory@example.com", Role::Editor).await.expect("invite");
    let mallory = vault
        .join(&invitation.token, joining("Mallory", "mallory's password"), HERE)
        .await
        .expect("mallory joins");
    let lair = vault.create_workspace(&mallory, "Lair").await.expect("her workspace");
    let squat = vault.invite(&lair, "carol@example.com", Role::Viewer).await.expect("invite carol");
    vault.join(&squat.token, joining("Carol?", "mallory knows this"), HERE).await.expect("squat");
    let (_, mallorys_session) =
        vault.sign_in("carol@example.com", "mallory knows this", HERE).await.expect("in");

    let password = vault.reset_password("Carol@Example.com").await.expect("reset");
    assert!(password.len() >= 20, "a long random password");
    assert!(vault.session_actor(&mallorys_session.value).await.is_err(), "mallory's session ended");
    assert!(vault.sign_in("carol@example.com", "mallory knows this", HERE).await.is_err());
    let (carol, _) = vault.sign_in("carol@example.com", &password, HERE).await.expect("carol signs in");
    assert_eq!(carol.email, "carol@example.com");
    assert_eq!(vault.reset_password("nobody@example.com").await.expect_err("unknown").status(), 404);
}

fn joining(name: &str, password: &str) -> Joining {
    Joining { name: name.into(), password: password.into() }
}

/// Runs `count` calls of `write` at once (16 at a time, as several instances' requests
/// would arrive) and returns their results in order.
async fn at_once<T, F>(count: usize, write: impl Fn(usize) -> F) -> Vec<Result<T, VaultError>>
where
    F: std::future::Future<Output = Result<T, VaultError>>,
{
    use futures::stream::{self, StreamExt};
    stream::iter((0..count).map(write)).buffered(16).collect().await
}

fn refusals<T: std::fmt::Debug>(results: &[Result<T, VaultError>]) -> Vec<String> {
    results.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect()
}

#[tokio::test]
async fn every_quota_checked_write_succeeds_when_many_come_at_once() {
    // On PostgreSQL the quota check once locked the workspace after the write's foreign
    // keys had share-locked it: two writers at once waited on each other (deadlock, 500).
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let (vault, owner) = (&vault, &owner);
    let created =
        at_once(64, |i| async move { vault.create_prompt(owner, &format!("at-once/{i}")).await }).await;
    assert_eq!(refusals(&created), Vec::<String>::new(), "prompts");
    let saved = at_once(64, |i| async move {
        vault.save_draft(owner, &format!("at-once/{}", i % 8), NewDraft::text(i.to_string(), "m")).await
    })
    .await;
    assert_eq!(refusals(&saved), Vec::<String>::new(), "drafts");
    let keys =
        at_once(32, |i| async move { vault.create_api_key(owner, KeyKind::Live, &format!("key {i}")).await })
            .await;
    assert_eq!(refusals(&keys), Vec::<String>::new(), "keys");
    let tokens =
        at_once(16, |i| async move { vault.create_access_token(owner, &format!("token {i}")).await }).await;
    assert_eq!(refusals(&tokens), Vec::<String>::new(), "tokens");
    let hook = |i: usize| NewWebhook {
        url: format!("https://hooks.example.com/{i}"),
        events: vec!["version.promoted".into()],
        enabled: true,
    };
    let hooks = at_once(16, |i| async move { vault.create_webhook(owner, hook(i)).await }).await;
    assert_eq!(refusals(&hooks), Vec::<String>::new(), "webhooks");
    let workspaces =
        at_once(8, |i| async move { vault.create_workspace(owner, &format!("Side {i}")).await }).await;
    assert_eq!(refusals(&workspaces), Vec::<String>::new(), "workspaces");
    let pushes = at_once(8, |i| {
        let files = vec![text(&format!("pushed/{i}"), "new"), text(&format!("at-once/{i}"), "pushed")];
        vault.push(owner, Push { files, message: "at once".into(), ..Default::default() })
    })
    .await;
    assert_eq!(refusals(&pushes), Vec::<String>::new(), "pushes");
}

#[tokio::test]
async fn writes_at_once_never_pass_a_quota_together() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault =
        &vault.with_quotas(Quotas { prompts_per_workspace: 10, versions_per_workspace: 12, ..small() });
    let owner = &owner;
    let created =
        at_once(24, |i| async move { vault.create_prompt(owner, &format!("edge/{i}")).await }).await;
    assert_eq!(created.iter().filter(|r| r.is_ok()).count(), 10, "{:?}", refusals(&created));
    for refused in created.into_iter().filter_map(Result::err) {
        assert_quota::<()>(Err(refused), "--max-prompts-per-workspace");
    }
    // Which ten were made is the race's to decide: the drafts go to those.
    let made: Vec<String> =
        vault.prompts(owner).await.expect("list").into_iter().map(|p| p.state.name).collect();
    let made = &made;
    let saved = at_once(24, |i| async move {
        vault.save_draft(owner, &made[i % made.len()], NewDraft::text("x", "m")).await
    })
    .await;
    assert_eq!(saved.iter().filter(|r| r.is_ok()).count(), 12, "{:?}", refusals(&saved));
    assert_eq!(vault.prompts(owner).await.expect("list").iter().map(|p| p.state.versions).sum::<i64>(), 12);
}

#[tokio::test]
async fn a_join_whose_token_would_pass_the_quota_joins_nobody() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.with_quotas(small());
    vault.create_access_token(&owner, "ci").await.expect("the second token: the quota is full");
    let invitation = vault.invite(&owner, "bob@example.com", Role::Editor).await.expect("invite");
    let refused =
        vault.join_with_token(&invitation.token, joining("Bob", "bob's password"), HERE, "joined").await;
    assert_quota(refused, "--max-access-tokens-per-workspace");
    assert_eq!(vault.members(&owner).await.expect("members").len(), 1, "nobody joined");
    // The link still works once there is room.
    let tokens = vault.access_tokens(&owner).await.expect("tokens");
    vault.revoke_access_token(&owner, tokens[0].id).await.expect("revoke");
    let (bob, token) = vault
        .join_with_token(&invitation.token, joining("Bob", "bob's password"), HERE, "joined")
        .await
        .expect("joined with a token");
    assert_eq!(vault.token_actor(&token.secret).await.expect("works").member_id, bob.member_id);
}

#[tokio::test]
async fn waiting_invitations_and_open_requests_stop_at_their_quotas() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    let vault = vault.with_quotas(Quotas { versions_per_workspace: 10, ..small() });
    let first = vault.invite(&owner, "one@example.com", Role::Editor).await.expect("one");
    vault.invite(&owner, "two@example.com", Role::Editor).await.expect("two");
    assert_quota(
        vault.invite(&owner, "three@example.com", Role::Editor).await,
        "--max-invitations-per-workspace",
    );
    // Inviting an address again replaces its invitation; revoking one, or its use, makes room.
    vault.invite(&owner, "two@example.com", Role::Viewer).await.expect("again");
    vault.revoke_invitation(&owner, first.invitation.id).await.expect("revoke");
    vault.invite(&owner, "three@example.com", Role::Editor).await.expect("room again");

    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    vault.update_settings(&owner, review).await.expect("review");
    vault.create_prompt(&owner, "one").await.expect("prompt");
    vault.create_prompt(&owner, "two").await.expect("prompt");
    for name in ["one", "two"] {
        vault.save_draft(&owner, name, NewDraft::text("s", "m")).await.expect("draft");
    }
    vault
        .request_change(&owner, "one", RequestAction::Promote, None, crate::helpers::v(1), "")
        .await
        .expect("first request");
    assert_quota(
        vault.request_change(&owner, "two", RequestAction::Promote, None, crate::helpers::v(1), "").await,
        "--max-open-requests-per-workspace",
    );
    // A push under review asks for a request too, and is refused whole.
    let push =
        Push { files: vec![text("two", "pushed")], message: "m".into(), promote: true, ..Default::default() };
    assert_quota(vault.push(&owner, push).await, "--max-open-requests-per-workspace");
    assert_eq!(vault.prompt(&owner, "two").await.expect("two").versions, 1, "nothing pushed");
}

#[tokio::test]
async fn the_bytes_of_a_workspaces_versions_stop_at_their_quota_rewrites_included() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    // Each version below takes its text and "{}", its config.
    let vault =
        vault.with_quotas(Quotas { bytes_per_workspace: 2_500, versions_per_workspace: 100, ..small() });
    vault.create_prompt(&owner, "one").await.expect("prompt");
    let a = |n: usize| "a".repeat(n);
    vault.save_draft(&owner, "one", NewDraft::text(a(1_000), "m")).await.expect("1,002 bytes");
    vault.save_draft(&owner, "one", NewDraft::text(a(1_000), "m")).await.expect("2,004 bytes");
    assert_quota(
        vault.save_draft(&owner, "one", NewDraft::text(a(1_000), "m")).await,
        "--max-bytes-per-workspace",
    );
    // A rewrite counts what it adds.
    let grow = |n: usize| vault::Rewrite { body: Some(DraftBody::Text(a(n))), ..Default::default() };
    vault.rewrite_draft(&owner, "one", crate::helpers::v(2), grow(1_400)).await.expect("2,404 bytes");
    assert_quota(
        vault.rewrite_draft(&owner, "one", crate::helpers::v(2), grow(1_600)).await,
        "--max-bytes-per-workspace",
    );
    let push = Push { files: vec![text("one", &a(600))], message: "m".into(), ..Default::default() };
    assert_quota(vault.push(&owner, push).await, "--max-bytes-per-workspace");
    // Deleting a draft makes room.
    vault.delete_draft(&owner, "one", crate::helpers::v(2)).await.expect("delete");
    vault.save_draft(&owner, "one", NewDraft::text(a(1_000), "m")).await.expect("room again");
}
