//! Teams: invitations and joining, members' roles and removal, several workspaces, and
//! how each change counts on the member's very next request.

use futures::future::join_all;
use tempfile::TempDir;
use vault::{ActivityFilter, Actor, Conflict, Joining, NewDraft, NewMember, Role, SetUp};

use crate::helpers::{Fixture, PROMPT, assert_refused};

async fn fixture() -> Fixture {
    Fixture::new("Ada").await
}

fn joining(name: &str) -> Joining {
    Joining { name: name.into(), password: "long enough".into() }
}

impl Fixture {
    /// Invites `email` as `role` and joins with a new account; returns the new member.
    async fn joined(&self, email: &str, role: Role) -> Actor {
        let invitation = self.vault.invite(&self.owner, email, role).await.expect("invite");
        self.vault.join(&invitation.token, joining(email), crate::helpers::HERE).await.expect("join")
    }

    async fn kinds(&self) -> Vec<String> {
        let page = self.vault.activity(&self.owner, ActivityFilter::default()).await.expect("activity");
        page.items.iter().map(|entry| entry.kind.as_str().to_owned()).collect()
    }
}

#[tokio::test]
async fn an_invited_person_joins_with_the_role_and_the_link_is_used_up() {
    let f = fixture().await;
    let invitation = f.vault.invite(&f.owner, "Bob@Example.com", Role::Editor).await.expect("invite");
    assert!(invitation.token.starts_with("pv_inv_"));
    let view = f.vault.invitation(&invitation.token).await.expect("view");
    assert_eq!(
        (view.workspace.as_str(), view.email.as_str(), view.role),
        ("Acme", "bob@example.com", Role::Editor)
    );
    assert!(!view.has_account);
    assert_eq!(f.vault.invitations(&f.owner).await.expect("pending").len(), 1);

    let bob = f.vault.join(&invitation.token, joining("Bob"), crate::helpers::HERE).await.expect("join");
    assert_eq!((bob.workspace_id, bob.role, bob.name.as_str()), (f.owner.workspace_id, Role::Editor, "Bob"));
    f.vault.create_prompt(&bob, PROMPT).await.expect("an editor creates prompts");
    let (signed_in, _) =
        f.vault.sign_in("bob@example.com", "long enough", crate::helpers::HERE).await.expect("sign in");
    assert_eq!(signed_in.member_id, bob.member_id);

    assert_refused(
        f.vault.join(&invitation.token, joining("Bob again"), crate::helpers::HERE).await,
        410,
        "already been used",
    );
    assert_refused(f.vault.invitation(&invitation.token).await, 410, "already been used");
    assert_refused(f.vault.invitation("pv_inv_nonsense").await, 404, "not valid");
    assert!(f.vault.invitations(&f.owner).await.expect("pending").is_empty());
    let members = f.vault.members(&f.owner).await.expect("members");
    let listed: Vec<(&str, Role)> = members.iter().map(|m| (m.email.as_str(), m.role)).collect();
    assert_eq!(listed, [("ada@example.com", Role::Owner), ("bob@example.com", Role::Editor)]);
    let kinds = f.kinds().await;
    assert_eq!(kinds[..3], ["prompt.created", "member.joined", "member.invited"]);
}

#[tokio::test]
async fn two_joins_with_one_link_make_exactly_one_member() {
    let f = fixture().await;
    let invitation = f.vault.invite(&f.owner, "bob@example.com", Role::Viewer).await.expect("invite");
    let joins =
        (0..4).map(|i| f.vault.join(&invitation.token, joining(&format!("Bob {i}")), crate::helpers::HERE));
    let results = join_all(joins).await;
    let joined = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(joined, 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.status(), 410, "{refused}");
    }
    assert_eq!(f.vault.members(&f.owner).await.expect("members").len(), 2);
}

#[tokio::test]
async fn two_joins_that_would_make_one_account_at_once_let_only_one_password_in() {
    let f = fixture().await;
    let lab = f.vault.create_workspace(&f.owner, "Lab").await.expect("a second workspace");
    let to_acme = f.vault.invite(&f.owner, "carol@example.com", Role::Viewer).await.expect("invite");
    let to_lab = f.vault.invite(&lab, "carol@example.com", Role::Editor).await.expect("invite");
    let first = Joining { name: "Carol".into(), password: "carol's own password".into() };
    let second = Joining { name: "Not Carol".into(), password: "somebody else's".into() };
    let (a, b) = tokio::join!(
        f.vault.join(&to_acme.token, first, crate::helpers::HERE),
        f.vault.join(&to_lab.token, second, crate::helpers::HERE)
    );
    // Each join hashed a new password for an account that did not exist yet; the second to
    // commit must not be attached to the first one's account without its password.
    let (winner, loser, losers_workspace) = match (a, b) {
        (Ok(carol), Err(refused)) => (carol, refused, &lab),
        (Err(refused), Ok(carol)) => (carol, refused, &f.owner),
        other => panic!("exactly one join should make the account: {other:?}"),
    };
    assert_eq!(loser.status(), 409, "{loser}");
    let members = f.vault.members(losers_workspace).await.expect("members");
    assert!(members.iter().all(|m| m.email != "carol@example.com"), "{members:?}");
    let password =
        if winner.workspace_id == f.owner.workspace_id { "carol's own password" } else { "somebody else's" };
    f.vault
        .sign_in("carol@example.com", password, crate::helpers::HERE)
        .await
        .expect("the winner's password signs in");
}

#[tokio::test]
async fn revoked_expired_and_replaced_invitations_say_so() {
    let f = fixture().await;
    let first = f.vault.invite(&f.owner, "bob@example.com", Role::Viewer).await.expect("invite");
    let second = f.vault.invite(&f.owner, "bob@example.com", Role::Editor).await.expect("again");
    assert_refused(f.vault.invitation(&first.token).await, 410, "revoked");
    let pending = f.vault.invitations(&f.owner).await.expect("pending");
    assert_eq!(pending.iter().map(|i| i.role).collect::<Vec<_>>(), [Role::Editor]);

    f.vault.revoke_invitation(&f.owner, second.invitation.id).await.expect("revoke");
    assert_refused(f.vault.join(&second.token, joining("Bob"), crate::helpers::HERE).await, 410, "revoked");
    assert_refused(
        f.vault.revoke_invitation(&f.owner, second.invitation.id).await,
        404,
        "no pending invitation",
    );

    let third = f.vault.invite(&f.owner, "carol@example.com", Role::Viewer).await.expect("invite");
    expire_invitations(&f.dir).await;
    assert_refused(f.vault.join(&third.token, joining("Carol"), crate::helpers::HERE).await, 410, "expired");
    assert_eq!(f.vault.members(&f.owner).await.expect("members").len(), 1, "nobody joined");
}

async fn expire_invitations(dir: &TempDir) {
    crate::helpers::sql(dir.path(), "update invitations set expires_at = 0").await.expect("expire");
}

#[tokio::test]
async fn a_person_with_an_account_joins_with_their_own_password() {
    let f = fixture().await;
    // Bob owns a workspace of his own on this server.
    let bob = f.joined("bob@example.com", Role::Viewer).await;
    let bobs = f.vault.create_workspace(&bob, "Bob's lab").await.expect("create");
    assert_eq!(bobs.role, Role::Owner);
    let invitation = f.vault.invite(&bobs, "ada@example.com", Role::Admin).await.expect("invite");
    assert!(f.vault.invitation(&invitation.token).await.expect("view").has_account);

    let wrong = Joining { name: "ignored".into(), password: "not her password".into() };
    assert_refused(
        f.vault.join(&invitation.token, wrong, crate::helpers::HERE).await,
        401,
        "already has an account",
    );
    let right = Joining { name: "ignored".into(), password: "correct horse".into() };
    let ada = f.vault.join(&invitation.token, right, crate::helpers::HERE).await.expect("join");
    assert_eq!((ada.account_id, ada.name.as_str(), ada.role), (f.owner.account_id, "Ada", Role::Admin));

    let names: Vec<(String, Role)> =
        f.vault.workspaces(&ada).await.expect("workspaces").into_iter().map(|w| (w.name, w.role)).collect();
    assert_eq!(names, [("Acme".to_owned(), Role::Owner), ("Bob's lab".to_owned(), Role::Admin)]);
}

#[tokio::test]
async fn inviting_a_member_or_an_owner_without_the_right_is_refused() {
    let f = fixture().await;
    let admin = f.joined("admin@example.com", Role::Admin).await;
    let editor = f.joined("editor@example.com", Role::Editor).await;
    let refused = f.vault.invite(&f.owner, "ADMIN@example.com", Role::Viewer).await;
    assert_eq!(assert_refused(refused, 409, "already a member").code(), Conflict::AlreadyExists.code());
    assert_refused(f.vault.invite(&admin, "x@example.com", Role::Owner).await, 403, "only owners");
    assert_refused(f.vault.invite(&editor, "x@example.com", Role::Viewer).await, 403, "admins and owners");
    assert_refused(f.vault.invite(&f.owner, "not an email", Role::Viewer).await, 422, "email");
    assert_refused(f.vault.invitations(&editor).await, 403, "admins and owners");
    f.vault.invite(&admin, "x@example.com", Role::Admin).await.expect("admins invite admins");
}

#[tokio::test]
async fn the_last_owner_is_never_removed_or_demoted() {
    let f = fixture().await;
    let admin = f.joined("admin@example.com", Role::Admin).await;
    assert_refused(f.vault.remove_member(&f.owner, f.owner.member_id).await, 409, "last owner");
    assert_refused(f.vault.change_role(&f.owner, f.owner.member_id, Role::Admin).await, 409, "last owner");
    assert_refused(f.vault.remove_member(&admin, f.owner.member_id).await, 403, "only owners");
    assert_refused(f.vault.change_role(&admin, admin.member_id, Role::Owner).await, 403, "only owners");

    // With a second owner, the first may step down, and then cannot come back by herself.
    f.vault.change_role(&f.owner, admin.member_id, Role::Owner).await.expect("promote to owner");
    f.vault.change_role(&f.owner, f.owner.member_id, Role::Editor).await.expect("step down");
    let ada =
        f.vault.sign_in("ada@example.com", "correct horse", crate::helpers::HERE).await.expect("sign in").0;
    assert_eq!(ada.role, Role::Editor);
    assert_refused(f.vault.change_role(&ada, ada.member_id, Role::Owner).await, 403, "admins and owners");
    let kinds = f.kinds_for(&admin).await;
    assert_eq!(kinds[..2], ["member.changed", "member.changed"]);
}

impl Fixture {
    async fn kinds_for(&self, actor: &Actor) -> Vec<String> {
        let page = self.vault.activity(actor, ActivityFilter::default()).await.expect("activity");
        page.items.iter().map(|entry| entry.kind.as_str().to_owned()).collect()
    }
}

#[tokio::test]
async fn a_new_role_and_a_removal_count_on_the_next_request() {
    let f = fixture().await;
    let bob = f.joined("bob@example.com", Role::Editor).await;
    let token = f.vault.create_access_token(&bob, "ci").await.expect("token").secret;
    let (_, cookie) =
        f.vault.sign_in("bob@example.com", "long enough", crate::helpers::HERE).await.expect("sign in");
    f.vault.create_prompt(&bob, PROMPT).await.expect("editor creates");

    f.vault.change_role(&f.owner, bob.member_id, Role::Viewer).await.expect("lower");
    let as_viewer = f.vault.token_actor(&token).await.expect("token still works");
    assert_eq!(as_viewer.role, Role::Viewer);
    let draft = NewDraft::text("x", "m");
    assert_refused(f.vault.save_draft(&as_viewer, PROMPT, draft).await, 403, "viewers");
    assert_eq!(f.vault.session_actor(&cookie.value).await.expect("session").role, Role::Viewer);

    f.vault.remove_member(&f.owner, bob.member_id).await.expect("remove");
    assert_refused(f.vault.token_actor(&token).await, 401, "revoked");
    assert_refused(f.vault.session_actor(&cookie.value).await, 403, "no longer a member");
    // Bob belongs nowhere else: his session stays refused, saying why.
    assert_refused(f.vault.session_actor(&cookie.value).await, 403, "no longer a member");
    assert_refused(
        f.vault.sign_in("bob@example.com", "long enough", crate::helpers::HERE).await,
        403,
        "not a member of any workspace",
    );
    // His version keeps his name as author.
    let prompts = f.vault.prompts(&f.owner).await.expect("prompts");
    assert_eq!(prompts.len(), 1);

    // Invited again, he comes back with the new role.
    let again = f.joined("bob@example.com", Role::Viewer).await;
    assert_eq!((again.member_id, again.role), (bob.member_id, Role::Viewer));
    assert_refused(f.vault.token_actor(&token).await, 401, "revoked");
}

#[tokio::test]
async fn a_removed_member_with_another_workspace_moves_there() {
    let f = fixture().await;
    let bob = f.joined("bob@example.com", Role::Editor).await;
    let lab = f.vault.create_workspace(&bob, "Lab").await.expect("create");
    let (_, cookie) =
        f.vault.sign_in("bob@example.com", "long enough", crate::helpers::HERE).await.expect("sign in");
    let acme = f.vault.switch_workspace(&cookie.value, f.owner.workspace_id).await.expect("switch");
    assert_eq!(acme.workspace, "Acme");
    f.vault.remove_member(&f.owner, bob.member_id).await.expect("remove");
    assert_refused(f.vault.session_actor(&cookie.value).await, 403, "no longer a member");
    let now = f.vault.session_actor(&cookie.value).await.expect("moved on");
    assert_eq!(now.workspace_id, lab.workspace_id);
    assert_refused(f.vault.switch_workspace(&cookie.value, f.owner.workspace_id).await, 404, "not a member");
}

#[tokio::test]
async fn members_and_invitations_of_another_workspace_are_out_of_reach() {
    let f = fixture().await;
    let bob = f.joined("bob@example.com", Role::Editor).await;
    let lab = f.vault.create_workspace(&bob, "Lab").await.expect("create");
    let invitation = f.vault.invite(&f.owner, "carol@example.com", Role::Viewer).await.expect("invite");
    assert_refused(f.vault.change_role(&lab, f.owner.member_id, Role::Viewer).await, 404, "no member");
    assert_refused(f.vault.remove_member(&lab, f.owner.member_id).await, 404, "no member");
    assert_refused(f.vault.revoke_invitation(&lab, invitation.invitation.id).await, 404, "no pending");
    let lab_members = f.vault.members(&lab).await.expect("members");
    assert_eq!(lab_members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(), ["bob@example.com"]);
}

#[tokio::test]
async fn removal_is_backed_by_the_database_too() {
    let f = fixture().await;
    let statement = format!("update members set removed_at = 1 where id = {}", f.owner.member_id);
    let refused =
        crate::helpers::sql(f.dir.path(), &statement).await.expect_err("the database keeps the last owner");
    assert!(refused.to_string().contains("at least one owner"), "{refused}");
}

#[tokio::test]
async fn a_set_up_server_and_add_member_refuse_an_existing_account() {
    let f = fixture().await;
    let again = SetUp {
        workspace: "Second".into(),
        email: "eve@example.com".into(),
        password: "long enough".into(),
        name: "Eve".into(),
    };
    assert_refused(f.vault.set_up(again).await, 409, "already set up");
    let ada = NewMember {
        email: "ada@example.com".into(),
        password: "long enough".into(),
        name: "Ada".into(),
        role: Role::Viewer,
    };
    assert_refused(f.vault.add_member(&f.owner, ada).await, 409, "already has an account");
}

#[tokio::test]
async fn the_members_page_offers_what_each_role_may_do() {
    let f = fixture().await;
    let admin = f.joined("admin@example.com", Role::Admin).await;
    let editor = f.joined("editor@example.com", Role::Editor).await;
    let members = f.vault.members(&f.owner).await.expect("members");
    let find = |email: &str| members.iter().find(|m| m.email == email).expect("member").clone();
    let (owner_row, admin_row, editor_row) =
        (find("ada@example.com"), find("admin@example.com"), find("editor@example.com"));
    let offered = |actor: &Actor, member: &vault::Member| {
        let o = member.offered(actor);
        (o.change_role, o.remove)
    };
    assert_eq!(offered(&f.owner, &admin_row), (true, true));
    assert_eq!(offered(&admin, &owner_row), (false, false), "admins do not manage owners");
    assert_eq!(offered(&admin, &editor_row), (true, true));
    assert_eq!(offered(&admin, &admin_row), (true, true), "an admin may change their own role or leave");
    assert_eq!(offered(&editor, &admin_row), (false, false));
    assert_eq!(offered(&editor, &editor_row), (false, true), "anyone may leave");
    assert_eq!(admin.roles_to_give(), [Role::Viewer, Role::Editor, Role::Admin]);
    assert_eq!(f.owner.roles_to_give(), [Role::Viewer, Role::Editor, Role::Admin, Role::Owner]);
    assert!(editor.roles_to_give().is_empty());
}
