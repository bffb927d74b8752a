//! Who may do what: the roles, the permission matrix, the actor every operation runs for,
//! and the live-change policy. Every refusal for want of a right, and every action the
//! dashboard offers or hides for that reason, is decided by the functions here.
//!
//! A leaf: it imports nothing else of the vault but the error.

use serde::Serialize;

use crate::Result;
use crate::error::{Conflict, VaultError};

/// The words: roles and the live-change rule are the API's vocabulary (`types`); what
/// each allows is decided below.
pub use types::{ChangeRule, Role};

/// What a member may do in a workspace, by role (see [`Permission::allows`]):
///
/// | permission | viewer | editor | admin | owner |
/// | --- | :-: | :-: | :-: | :-: |
/// | `Read`: prompts, versions, diffs, search, deployments, activity | ✔ | ✔ | ✔ | ✔ |
/// | `EditPrompts`: create prompts; save, rewrite, delete drafts; set staging | | ✔ | ✔ | ✔ |
/// | `ChangeLive`: promote and roll back (admins only, or by review: `live_changes`) | | ✔ | ✔ | ✔ |
/// | `Administer`: settings, API keys, webhooks | | | ✔ | ✔ |
/// | `ManageMembers`: invite, change roles, remove members (not owners) | | | ✔ | ✔ |
/// | `ManageOwners`: make or remove owners | | | | ✔ |
/// | `OwnTokens`: personal access tokens | ✔ | ✔ | ✔ | ✔ |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    EditPrompts,
    ChangeLive,
    Administer,
    ManageMembers,
    ManageOwners,
    OwnTokens,
}

impl Permission {
    /// Whether `role` has this permission: the permission matrix, decided here only.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Permission::Read | Permission::OwnTokens => true,
            Permission::EditPrompts | Permission::ChangeLive => role != Role::Viewer,
            Permission::Administer | Permission::ManageMembers => matches!(role, Role::Owner | Role::Admin),
            Permission::ManageOwners => role == Role::Owner,
        }
    }
}

/// The signed-in member on whose behalf an operation runs, in one workspace; every change
/// records them. Resolved on every request, so a new role or a removal counts at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The person: authors, actors and creators point at their account.
    pub account_id: i64,
    /// Their membership of this workspace.
    pub member_id: i64,
    pub workspace_id: i64,
    pub workspace: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// What they proved themselves with on this request.
    pub credential: Credential,
}

/// How the member behind a request signed in: with their password (a dashboard session, a
/// setup or a join), or with a personal access token. A token acts as its member in
/// everything but making credentials: it cannot create another token, so a leaked one
/// cannot outlive its own revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    Password,
    AccessToken,
}

impl Actor {
    /// Whether the actor's role allows `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        permission.allows(self.role)
    }

    /// Editors and above change prompts and move pointers.
    pub fn can_edit(&self) -> bool {
        self.may(Permission::EditPrompts)
    }

    /// Admins and owners change settings, keys and integrations.
    pub fn can_administer(&self) -> bool {
        self.may(Permission::Administer)
    }

    /// Refuses what the actor's role does not allow, saying who may.
    pub(crate) fn require(&self, permission: Permission) -> Result<()> {
        if self.may(permission) {
            return Ok(());
        }
        let who = match permission {
            Permission::Read | Permission::OwnTokens => "every member",
            Permission::EditPrompts => "editors, admins and owners (viewers cannot change prompts)",
            Permission::ChangeLive => "editors, admins and owners (viewers cannot change what is live)",
            Permission::Administer | Permission::ManageMembers => "admins and owners",
            Permission::ManageOwners => "owners",
        };
        Err(VaultError::Forbidden(format!("only {who} can do this")))
    }

    /// The roles the actor may give by inviting or changing a role: none for editors and
    /// viewers, up to admin for admins, every role for owners.
    pub fn roles_to_give(&self) -> Vec<Role> {
        let mut roles = Vec::new();
        if self.may(Permission::ManageMembers) {
            roles.extend([Role::Viewer, Role::Editor, Role::Admin]);
        }
        if self.may(Permission::ManageOwners) {
            roles.push(Role::Owner);
        }
        roles
    }
}

/// How an actor moves a label (live too) when they may: directly, or by a request another
/// entitled member approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRight {
    Directly,
    ByRequest,
}

impl Actor {
    /// Whether and how the actor may move live (promote, roll back; under review, request,
    /// approve and reject) while the workspace's setting is `rule`; 403 naming who may when
    /// they may not. The operations' refusals and the dashboard's offers both come from here.
    pub fn live_right(&self, rule: ChangeRule) -> Result<ChangeRight> {
        self.change_right("live", rule)
    }

    /// Whether and how the actor may move label `label` under its change rule `rule`
    /// (editors and above; admins and owners only; or by review). Viewers never move one.
    pub fn change_right(&self, label: &str, rule: ChangeRule) -> Result<ChangeRight> {
        self.require(Permission::ChangeLive)?;
        if rule == ChangeRule::Admins && !self.may(Permission::Administer) {
            let what =
                if label == "live" { "change what is live".to_owned() } else { format!("move {label}") };
            return Err(VaultError::Forbidden(format!("in this workspace only admins and owners {what}")));
        }
        Ok(if rule == ChangeRule::Review { ChangeRight::ByRequest } else { ChangeRight::Directly })
    }

    /// Refuses a direct promote or rollback `rule` does not allow: not entitled (403), or
    /// every change by review (409 `review_required`).
    pub(crate) fn require_direct_live_change(&self, rule: ChangeRule) -> Result<()> {
        self.require_direct_change("live", rule)
    }

    /// Refuses a direct move of `label` its rule does not allow (see
    /// [`Actor::require_direct_live_change`]).
    pub(crate) fn require_direct_change(&self, label: &str, rule: ChangeRule) -> Result<()> {
        match self.change_right(label, rule)? {
            ChangeRight::Directly => Ok(()),
            ChangeRight::ByRequest => {
                let message = if label == "live" {
                    "this workspace reviews every change to live: request it, and another member approves it"
                        .to_owned()
                } else {
                    format!(
                        "this workspace reviews every move of {label}: request it, and another member approves it"
                    )
                };
                Err(VaultError::conflict(Conflict::ReviewRequired, message))
            }
        }
    }
}

#[cfg(test)]
mod permission_tests {
    use super::*;

    #[test]
    fn the_permission_matrix() {
        use Permission::*;
        let rows = [
            (Read, [true, true, true, true]),
            (EditPrompts, [false, true, true, true]),
            (ChangeLive, [false, true, true, true]),
            (Administer, [false, false, true, true]),
            (ManageMembers, [false, false, true, true]),
            (ManageOwners, [false, false, false, true]),
            (OwnTokens, [true, true, true, true]),
        ];
        for (permission, allowed) in rows {
            let roles = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];
            assert_eq!(roles.map(|role| permission.allows(role)), allowed, "{permission:?}");
        }
    }

    #[test]
    fn who_changes_live_and_how() {
        use ChangeRight::*;
        let actor = |role| Actor {
            account_id: 1,
            member_id: 1,
            workspace_id: 1,
            workspace: "Acme".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role,
            credential: Credential::Password,
        };
        let roles = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];
        let rows = [
            (ChangeRule::Editors, [None, Some(Directly), Some(Directly), Some(Directly)]),
            (ChangeRule::Admins, [None, None, Some(Directly), Some(Directly)]),
            (ChangeRule::Review, [None, Some(ByRequest), Some(ByRequest), Some(ByRequest)]),
        ];
        for (rule, expected) in rows {
            let rights = roles.map(|role| actor(role).live_right(rule).ok());
            assert_eq!(rights, expected, "{rule:?}");
            for role in roles {
                let direct = actor(role).require_direct_live_change(rule).map_err(|e| e.code());
                let expected = match actor(role).live_right(rule) {
                    Ok(Directly) => Ok(()),
                    Ok(ByRequest) => Err("review_required"),
                    Err(_) => Err("forbidden"),
                };
                assert_eq!(direct, expected, "{role:?} under {rule:?}");
            }
        }
    }
}
