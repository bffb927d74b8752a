//! Settings → Members: who is in the workspace; for admins, inviting (a link shown once),
//! pending invitations, role changes and removals. Owners alone make or remove owners.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Loading, Moment, SignedIn, action_error, shown};
use crate::api::{
    self, ChangeRole, InvitationRow, Invite, MemberRow, RemoveMember, RevokeInvitation, TeamView,
};
use types::{InvitationJson, Role};

#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<Invite>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let actions = Actions {
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let team = Resource::new(
        move || {
            (
                actions.invite.version().get(),
                actions.revoke.version().get(),
                actions.change.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| api::load_team(),
    );
    view! {
        <SignedIn>
            <p class="crumbs"><A href="/settings">"← Settings"</A></p>
            <h1>"Members"</h1>
            <Transition fallback=Loading>
                {shown(team, move |team| view! { <TeamBody team actions/> }.into_any())}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn TeamBody(team: TeamView, actions: Actions) -> impl IntoView {
    let manage = (!team.roles.is_empty()).then(|| {
        view! {
            <InviteCard actions roles=team.roles.clone()/>
            <Invitations invitations=team.invitations.clone() revoke=actions.revoke/>
        }
    });
    let rows = team
        .members
        .into_iter()
        .map(|member| view! { <MemberLine member roles=team.roles.clone() actions/> })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"People in this workspace"</h2>
            <table class="members">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                    <th scope="col">"Joined"</th><th scope="col">"Last seen"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {action_error(actions.change)}
            {action_error(actions.remove)}
        </section>
        {manage}
    }
}

/// One member: their role, changeable by admins (owners for an owner), and Remove.
#[component]
fn MemberLine(member: MemberRow, roles: Vec<Role>, actions: Actions) -> impl IntoView {
    let MemberRow { member: person, joined, last_seen, is_you, may_change, may_remove } = member;
    let you = is_you.then(|| view! { <span class="hint">" (you)"</span> });
    let role_label = format!("Role of {}", person.name);
    let role = if may_change {
        let options = role_options(roles, person.role);
        view! {
            <ActionForm action=actions.change>
                <input type="hidden" name="member" value=person.id/>
                <div class="row">
                    <select name="role" aria-label=role_label>{options}</select>
                    <button type="submit" class="small">"Change"</button>
                </div>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span class="badge">{person.role.as_str()}</span> }.into_any()
    };
    let label = if is_you { "Leave".to_owned() } else { format!("Remove {}", person.name) };
    let remove = may_remove.then(|| {
        view! {
            <ActionForm action=actions.remove>
                <input type="hidden" name="member" value=person.id/>
                <button type="submit" class="small danger" aria-label=label.clone()>
                    {if is_you { "Leave" } else { "Remove" }}
                </button>
            </ActionForm>
        }
    });
    view! {
        <tr class="member-row">
            <td>{person.name.clone()}{you}</td>
            <td>{person.email}</td>
            <td>{role}</td>
            <td><Moment when=joined/></td>
            <td>{match last_seen {
                Some(when) => view! { <Moment when/> }.into_any(),
                None => view! { <span class="none">"not yet"</span> }.into_any(),
            }}</td>
            <td><div class="actions">{remove}</div></td>
        </tr>
    }
}

/// Invite: an email and a role give a link to pass on, shown once.
#[component]
fn InviteCard(actions: Actions, roles: Vec<Role>) -> impl IntoView {
    let made =
        move || actions.invite.value().get().and_then(Result::ok).map(|link| view! { <LinkShownOnce link/> });
    let options = role_options(roles, Role::Editor);
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <p class="hint">"You get a link to send them yourself. It works once, for 7 days."</p>
            {made}
            <ActionForm action=actions.invite>
                <div class="row">
                    <label class="grow">"Email"<input type="email" name="email" required autocomplete="off"/></label>
                    <label>"Role"<select name="role">{options}</select></label>
                    <button type="submit" class="primary" disabled=move || actions.invite.pending().get()>"Create invitation"</button>
                </div>
                {action_error(actions.invite)}
            </ActionForm>
        </section>
    }
}

/// The roles to choose from, `selected` chosen.
fn role_options(roles: Vec<Role>, selected: Role) -> impl IntoView {
    roles
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view()
}

#[component]
fn LinkShownOnce(link: InvitationJson) -> impl IntoView {
    view! {
        <div class="secret" role="status">
            <p>"Invitation for " <strong>{link.email}</strong> " as " {link.role.as_str()} ". Copy the link now: it will not be shown again."</p>
            <code class="mono invitation-link">{link.url}</code>
        </div>
    }
}

#[component]
fn Invitations(invitations: Vec<InvitationRow>, revoke: ServerAction<RevokeInvitation>) -> impl IntoView {
    let list = if invitations.is_empty() {
        view! { <p class="empty">"No pending invitations."</p> }.into_any()
    } else {
        view! {
            <table class="invitations">
                <thead><tr>
                    <th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Invited by"</th>
                    <th scope="col">"Expires"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {invitations.into_iter().map(|InvitationRow { invitation: i, expires, expired }| view! {
                        <tr class="invitation-row">
                            <td>{i.email.clone()}</td>
                            <td>{i.role.as_str()}</td>
                            <td>{i.invited_by}</td>
                            <td>{expired.then_some("expired ")}<Moment when=expires/></td>
                            <td><div class="actions">
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=i.id/>
                                    <button type="submit" class="small danger" aria-label=format!("Revoke the invitation of {}", i.email)>"Revoke"</button>
                                </ActionForm>
                            </div></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="pending-title">
            <h2 id="pending-title">"Pending invitations"</h2>
            {list}
            {action_error(revoke)}
        </section>
    }
}
