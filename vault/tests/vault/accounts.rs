//! Accounts and how people prove who they are, against the real database: the first-run
//! setup, sign-in and sessions, access tokens, one's own name and password.

use vault::{Actor, Conflict, Credential, PageRequest, SetUp, Vault, VaultError};

use crate::helpers::{Fixture, PROMPT, assert_conflict, assert_refused, sql, v};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

#[tokio::test]
async fn setup_happens_once() {
    let f = fixture().await;
    assert!(!f.vault.needs_setup().await.expect("needs_setup"));
    let again = SetUp {
        workspace: "B".into(),
        email: "b@example.com".into(),
        password: "long enough".into(),
        name: "B".into(),
    };
    assert_conflict(f.vault.set_up(again).await, Conflict::AlreadySetUp, "already set up");
}

#[tokio::test]
async fn setup_refuses_bad_input_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::helpers::open(dir.path()).await;
    let base = SetUp {
        workspace: "Acme".into(),
        email: "a@example.com".into(),
        password: "long enough".into(),
        name: "A".into(),
    };
    for (bad, field) in [
        (SetUp { email: "nope".into(), ..base.clone() }, "email"),
        (SetUp { password: "short".into(), ..base.clone() }, "password"),
        (SetUp { workspace: " ".into(), ..base.clone() }, "workspace"),
        (SetUp { name: "".into(), ..base.clone() }, "name"),
    ] {
        match vault.set_up(bad).await {
            Err(VaultError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected invalid {field}, got {:?}", other.map(|_| ())),
        }
    }
    assert!(vault.needs_setup().await.expect("needs_setup"));
}

#[tokio::test]
async fn two_first_run_setups_at_once_through_two_instances_make_one_workspace() {
    for round in 0..4 {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = crate::helpers::storage(dir.path()).await;
        let other = tempfile::tempdir().expect("the second instance's directory");
        let first = Vault::open(&storage).await.expect("open");
        if first.backend() == vault::Backend::Sqlite {
            // Several instances share PostgreSQL only; an SQLite file has one server.
            return;
        }
        let elsewhere = vault::Storage { data_dir: other.path().to_owned(), ..storage.clone() };
        let second = Vault::open(&elsewhere).await.expect("open the same database again");
        let setup = |who: &str| SetUp {
            workspace: format!("{who}'s"),
            email: format!("{who}@example.com"),
            password: "correct horse".into(),
            name: who.into(),
        };
        let (a, b) = tokio::join!(first.set_up(setup("ada")), second.set_up(setup("eve")));
        assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "round {round}: one setup succeeds");
        let refused = a.err().or(b.err()).expect("the other is refused");
        assert_conflict::<()>(Err(refused), Conflict::AlreadySetUp, "already set up");
        let ada = first.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.is_ok();
        let eve = first.sign_in("eve@example.com", "correct horse", crate::helpers::HERE).await.is_ok();
        assert!(ada != eve, "round {round}: one account, not two (ada {ada}, eve {eve})");
    }
}

#[tokio::test]
async fn sign_in_opens_a_session_and_sign_out_ends_it() {
    let f = fixture().await;
    let (actor, cookie) =
        f.vault.sign_in("ADA@example.com ", "correct horse", crate::helpers::HERE).await.expect("sign in");
    assert_eq!(actor, f.owner);
    assert_eq!(f.vault.session_actor(&cookie.value).await.expect("session"), f.owner);

    // A tampered cookie is refused.
    let tampered = format!("x{}", cookie.value);
    assert_refused(f.vault.session_actor(&tampered).await, 401, "unauthorized");

    f.vault.sign_out(&cookie.value).await.expect("sign out");
    assert_refused(f.vault.session_actor(&cookie.value).await, 401, "unauthorized");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_refusal() {
    let f = fixture().await;
    let wrong = f
        .vault
        .sign_in("ada@example.com", "wrong horse", crate::helpers::HERE)
        .await
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    let unknown = f
        .vault
        .sign_in("bob@example.com", "correct horse", crate::helpers::HERE)
        .await
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("email or password is wrong"));
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let f = fixture().await;
    let (_, cookie) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    sql(f.dir.path(), "update sessions set expires_at = 0").await.expect("expire");
    assert_refused(f.vault.session_actor(&cookie.value).await, 401, "expired");
}

#[tokio::test]
async fn a_session_unused_for_three_days_ends_and_one_in_use_goes_on() {
    let f = fixture().await;
    let (_, idle) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let (_, busy) =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in");
    let days_ago = |days: i64| vault::Timestamp::now().0 - days * 24 * 60 * 60 * 1000;
    sql(f.dir.path(), &format!("update sessions set created_at = {}, last_used_at = null", days_ago(4)))
        .await
        .expect("age both");
    // A request two days ago keeps one of them going.
    let busy_hash = sha256_hex(busy.value.split('.').next().expect("token"));
    sql(
        f.dir.path(),
        &format!("update sessions set last_used_at = {} where token_hash = '{busy_hash}'", days_ago(2)),
    )
    .await
    .expect("use one");
    assert_refused(f.vault.session_actor(&idle.value).await, 401, "without use");
    f.vault.session_actor(&busy.value).await.expect("the session in use goes on");
    assert!(f.vault.session_actor(&idle.value).await.is_err(), "and the idle one stays ended");
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn access_tokens_work_until_revoked() {
    let f = fixture().await;
    let created = f.vault.create_access_token(&f.owner, "ci").await.expect("create");
    assert!(created.secret.starts_with("pv_pat_"));
    assert!(created.secret.ends_with(&created.token.last_four));
    let by_token = f.vault.token_actor(&created.secret).await.expect("token works");
    assert_eq!(by_token, Actor { credential: Credential::AccessToken, ..f.owner.clone() });
    // A token cannot make another (a leaked one could then outlive its revocation).
    let minted = f.vault.create_access_token(&by_token, "persistence").await;
    assert_refused(minted, 403, "dashboard");
    assert_eq!(f.vault.access_tokens(&f.owner).await.expect("list").len(), 2, "nothing made");
    // Nor by creating a workspace: its owner acts there with the token's credential.
    let side = f.vault.create_workspace(&by_token, "Side").await.expect("a token may create a workspace");
    assert_eq!(side.credential, Credential::AccessToken);
    let minted = f.vault.create_access_token(&side, "persistence").await;
    assert_refused(minted, 403, "forbidden");

    let listed = f.vault.access_tokens(&f.owner).await.expect("list");
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["ci", "first token"]);
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");

    f.vault.revoke_access_token(&f.owner, created.token.id).await.expect("revoke");
    assert_refused(f.vault.token_actor(&created.secret).await, 401, "unauthorized");
    assert_refused(f.vault.revoke_access_token(&f.owner, created.token.id).await, 404, "not_found");
    assert_refused(f.vault.token_actor("pv_pat_guess").await, 401, "unauthorized");
}

#[tokio::test]
async fn a_member_renames_themselves_and_is_found_by_the_new_name() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let renamed = f.vault.rename_member(&f.owner, "  Ada Lovelace ").await.expect("rename");
    assert_eq!(renamed.name, "Ada Lovelace");
    let v1 = f.vault.version(&f.owner, PROMPT, v(1)).await.expect("v1");
    assert_eq!(v1.author, "Ada Lovelace", "versions show the new name");
    let search = |q: &str| PageRequest { search: Some(q.into()), ..Default::default() };
    let mut found = 0;
    for _ in 0..40 {
        found = f.vault.versions(&f.owner, PROMPT, search("lovelace")).await.expect("search").items.len();
        if found == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, 1, "search finds the versions by the new name");
    assert_eq!(
        assert_refused(f.vault.rename_member(&f.owner, " ").await, 422, "invalid").field(),
        Some("name")
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions_and_tokens() {
    let f = fixture().await;
    let token = f.vault.create_access_token(&f.owner, "ci").await.expect("token");
    let (_, here) = f
        .vault
        .sign_in("ada@example.com", "correct horse", crate::helpers::HERE)
        .await
        .expect("sign in here");
    let (_, elsewhere) = f
        .vault
        .sign_in("ada@example.com", "correct horse", crate::helpers::HERE)
        .await
        .expect("sign in elsewhere");
    let wrong = f
        .vault
        .change_password(&f.owner, "not it", "a new long password", Some(&here.value), crate::helpers::HERE)
        .await;
    assert_eq!(assert_refused(wrong, 422, "invalid").field(), Some("current_password"));
    let short = f
        .vault
        .change_password(&f.owner, "correct horse", "short", Some(&here.value), crate::helpers::HERE)
        .await;
    assert_eq!(assert_refused(short, 422, "invalid").field(), Some("password"));
    assert!(f.vault.session_actor(&elsewhere.value).await.is_ok(), "a refused change ends nothing");
    assert!(f.vault.token_actor(&token.secret).await.is_ok(), "nor revokes anything");

    f.vault
        .change_password(
            &f.owner,
            "correct horse",
            "a new long password",
            Some(&here.value),
            crate::helpers::HERE,
        )
        .await
        .expect("change");
    assert!(f.vault.session_actor(&here.value).await.is_ok(), "the session that changed it goes on");
    assert_refused(f.vault.session_actor(&elsewhere.value).await, 401, "unauthorized");
    assert_refused(f.vault.token_actor(&token.secret).await, 401, "unauthorized");
    assert!(f.vault.access_tokens(&f.owner).await.expect("list").is_empty());
    assert!(f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.is_err());
    assert!(f.vault.sign_in("ada@example.com", "a new long password", crate::helpers::HERE).await.is_ok());

    f.vault.sign_out_everywhere(&f.owner).await.expect("sign out everywhere");
    assert_refused(f.vault.session_actor(&here.value).await, 401, "unauthorized");
}
