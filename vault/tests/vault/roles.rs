//! Who may do what, against the real database: what each role is refused, and the actions
//! the dashboard offers on each version.

use vault::{Actor, PageRequest, Role, SettingsPatch, Status};

use crate::helpers::{Fixture, PROMPT, assert_refused, draft, v};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

#[tokio::test]
async fn roles_limit_who_changes_what() {
    let f = fixture().await;
    f.prompt_with_drafts(1).await;
    let viewer = f.member(Role::Viewer).await;
    let editor = f.member(Role::Editor).await;
    assert_refused(f.vault.save_draft(&viewer, PROMPT, draft("x")).await, 403, "forbidden");
    assert_refused(f.vault.promote(&viewer, PROMPT, v(1)).await, 403, "forbidden");
    assert_refused(f.vault.create_prompt(&viewer, "other").await, 403, "forbidden");
    assert_eq!(f.vault.versions(&viewer, PROMPT, PageRequest::default()).await.expect("read").items.len(), 1);
    let patch = SettingsPatch { staging_enabled: Some(true), ..Default::default() };
    assert_refused(f.vault.update_settings(&editor, patch).await, 403, "forbidden");
    assert!(f.vault.save_draft(&editor, PROMPT, draft("y")).await.is_ok());
}

#[tokio::test]
async fn the_actions_offered_on_each_version_follow_the_rules() {
    let f = fixture().await;
    f.prompt_with_drafts(4).await;
    f.staging(true).await;
    for n in [1, 3] {
        f.vault.promote(&f.owner, PROMPT, v(n)).await.expect("promote");
    }
    f.vault.roll_back(&f.owner, PROMPT, v(1)).await.expect("roll back");
    f.vault.set_staging(&f.owner, PROMPT, Some(v(4))).await.expect("stage");
    let state = f.vault.prompt(&f.owner, PROMPT).await.expect("state");
    let staged = vault::Settings { staging_enabled: true, live_changes: vault::ChangeRule::Editors };
    let unstaged = vault::Settings { staging_enabled: false, ..staged };
    let offered = |actor: &Actor, n: i64| {
        let status = if n <= 3 && n != 2 { Status::Published } else { Status::Draft };
        let o = vault::offered(actor, &state, staged, status, v(n));
        [o.edit, o.delete, o.promote, o.roll_back, o.stage, o.unstage]
    };
    // v1 live; v2 a draft; v3 published, newer than live; v4 a staged draft.
    assert_eq!(offered(&f.owner, 1), [false, false, false, false, true, false], "the live version");
    assert_eq!(offered(&f.owner, 2), [true, true, true, false, true, false], "a draft");
    assert_eq!(offered(&f.owner, 3), [false, false, true, false, true, false], "published, newer than live");
    assert_eq!(offered(&f.owner, 4), [true, true, true, false, false, true], "the staged draft");
    f.vault.promote(&f.owner, PROMPT, v(3)).await.expect("promote again");
    let state = f.vault.prompt(&f.owner, PROMPT).await.expect("state");
    let o = vault::offered(&f.owner, &state, staged, Status::Published, v(1));
    assert!(o.roll_back && !o.promote, "an older published version is offered a rollback");
    let o = vault::offered(&f.owner, &state, unstaged, Status::Draft, v(2));
    assert!(!o.stage && !o.unstage, "no staging actions while staging is disabled");
    let viewer = f.member(Role::Viewer).await;
    assert_eq!(vault::offered(&viewer, &state, staged, Status::Draft, v(2)), vault::Offered::default());
    // Admins only: an editor is offered no promote or rollback; under review, requests.
    let editor = f.member(Role::Editor).await;
    let admins = vault::Settings { live_changes: vault::ChangeRule::Admins, ..staged };
    let o = vault::offered(&editor, &state, admins, Status::Draft, v(2));
    assert!(o.edit && !o.promote && !o.roll_back, "{o:?}");
    let review = vault::Settings { live_changes: vault::ChangeRule::Review, ..staged };
    let o = vault::offered(&editor, &state, review, Status::Draft, v(2));
    assert!(o.promote && o.by_request, "{o:?}");
}
