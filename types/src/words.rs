//! The fixed words of the API: roles, the live-change rule, key kinds, request actions and
//! states, activity kinds. Each is an enum here, written on the wire as its word, so the
//! server, the dashboard, the CLI and the SDK name the same values the same way; what each
//! one *allows* is the vault's to decide.

use std::fmt;

/// A word a field does not accept: which field, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UnknownWord {}

impl UnknownWord {
    /// The same refusal for a field of another name (a change rule given as `live_changes`).
    pub fn for_field(self, field: &'static str) -> UnknownWord {
        UnknownWord { field, ..self }
    }
}

/// `a, b or c`.
fn one_of(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// An enum of words: each variant is written on the wire as its word, `ALL` lists them,
/// `as_str` and `parse` convert, and a wrong word is refused naming the field (`$field`)
/// and every word it accepts (`$noun is a, b or c`). The word is taken as a token tree, not
/// a `literal` fragment: a fragment reaches the derives wrapped in an invisible group, which
/// serde reads but utoipa's schema derive does not (the document then named the variants).
macro_rules! words {
    ($(#[$meta:meta])* pub enum $name:ident ($field:literal, $noun:literal) {
        $($(#[$variant_meta:meta])* $variant:ident = $word:tt,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            pub fn parse(raw: &str) -> Result<$name, UnknownWord> {
                $name::ALL.iter().copied().find(|value| value.as_str() == raw).ok_or_else(|| {
                    let words: Vec<&str> = $name::ALL.iter().map(|value| value.as_str()).collect();
                    UnknownWord { field: $field, message: format!("{} is {}", $noun, one_of(&words)) }
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// A member's role in a workspace; what each may do is the vault's permission matrix.
    pub enum Role ("role", "a role") {
        Owner = "owner",
        Admin = "admin",
        Editor = "editor",
        Viewer = "viewer",
    }
}

words! {
    /// Who moves a label: its change rule. Live's is the workspace's `live_changes` setting
    /// (who promotes and rolls back).
    #[derive(Default)]
    pub enum ChangeRule ("rule", "a change rule") {
        /// Editors, admins and owners, directly (the default).
        #[default]
        Editors = "editors",
        /// Admins and owners only; editors still draft and stage.
        Admins = "admins",
        /// Every move is a request that a second entitled member approves.
        Review = "review",
    }
}

words! {
    /// What a label's keys read where it points at no version of a prompt.
    pub enum Fallback ("fallback", "a fallback") {
        /// The prompt's live version.
        Live = "live",
    }
}

words! {
    /// Which pointer an API key reads.
    pub enum KeyKind ("kind", "a key's kind") {
        /// `pv_live_…`: the live pointer.
        Live = "live",
        /// `pv_test_…`: the staging pointer, falling back to live.
        Test = "test",
    }
}

impl KeyKind {
    /// How its tokens begin.
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Live => "pv_live_",
            KeyKind::Test => "pv_test_",
        }
    }

    /// The pointer it reads (a test key falls back to live).
    pub fn channel(self) -> crate::Channel {
        match self {
            KeyKind::Live => crate::Channel::Live,
            KeyKind::Test => crate::Channel::Staging,
        }
    }
}

words! {
    /// What a request to change a label asks for: promote and rollback move live, move
    /// moves the label it names, rollout starts a rollout of it (or sets the share of the one
    /// running to that version).
    pub enum RequestAction ("action", "action") {
        Promote = "promote",
        RollBack = "rollback",
        Move = "move",
        Rollout = "rollout",
    }
}

words! {
    /// Where a request to change live stands.
    pub enum RequestState ("state", "state") {
        Open = "open",
        Applied = "applied",
        Rejected = "rejected",
        Cancelled = "cancelled",
        /// Its version was deleted.
        Stale = "stale",
    }
}

words! {
    /// What a push did to a prompt, one step.
    pub enum PushAction ("action", "a push step") {
        Created = "created",
        /// A draft was saved.
        Saved = "saved",
        Staged = "staged",
        Promoted = "promoted",
        /// Under review: a request to promote (or, with a label, to move it) was opened.
        Requested = "requested",
        /// The prompt's tags became the file's.
        Tagged = "tagged",
        /// A label of the workspace's own was moved to the version.
        Labelled = "labelled",
    }
}

words! {
    /// Where a webhook delivery stands.
    pub enum DeliveryState ("delivery", "a delivery") {
        /// Not sent yet, or a retry is scheduled.
        Pending = "pending",
        Delivered = "delivered",
        /// Every attempt failed.
        Failed = "failed",
    }
}

words! {
    /// What kind of change an activity entry records.
    pub enum ActivityKind ("kind", "kind") {
        PromptCreated = "prompt.created",
        VersionSaved = "version.saved",
        VersionRewritten = "version.rewritten",
        DraftDeleted = "draft.deleted",
        VersionPromoted = "version.promoted",
        VersionRolledBack = "version.rolled_back",
        StagingChanged = "staging.changed",
        SettingChanged = "setting.changed",
        KeyCreated = "key.created",
        KeyRevoked = "key.revoked",
        TokenCreated = "token.created",
        TokenRevoked = "token.revoked",
        WebhookCreated = "webhook.created",
        WebhookChanged = "webhook.changed",
        WebhookDeleted = "webhook.deleted",
        WebhookSecretRotated = "webhook.secret_rotated",
        WorkspaceCreated = "workspace.created",
        MemberInvited = "member.invited",
        InvitationRevoked = "invitation.revoked",
        MemberJoined = "member.joined",
        MemberChanged = "member.changed",
        MemberRemoved = "member.removed",
        RequestOpened = "request.opened",
        RequestApproved = "request.approved",
        RequestRejected = "request.rejected",
        RequestCancelled = "request.cancelled",
        LabelCreated = "label.created",
        LabelChanged = "label.changed",
        LabelDeleted = "label.deleted",
        LabelMoved = "label.moved",
        PromptTagged = "prompt.tagged",
        RolloutStarted = "rollout.started",
        RolloutChanged = "rollout.changed",
        RolloutCompleted = "rollout.completed",
        RolloutAborted = "rollout.aborted",
    }
}

words! {
    /// What happened, as webhooks hear of it. The first seven are what a webhook subscribes
    /// to; `webhook.test` is sent by "send test event" to one webhook.
    pub enum EventKind ("type", "an event type") {
        VersionPromoted = "version.promoted",
        VersionRolledBack = "version.rolled_back",
        StagingChanged = "staging.changed",
        DraftDeleted = "draft.deleted",
        RequestOpened = "request.opened",
        RequestRejected = "request.rejected",
        LabelMoved = "label.moved",
        RolloutStarted = "rollout.started",
        RolloutChanged = "rollout.changed",
        RolloutCompleted = "rollout.completed",
        RolloutAborted = "rollout.aborted",
        WebhookTest = "webhook.test",
    }
}

impl EventKind {
    /// The events a webhook can subscribe to.
    pub const SUBSCRIBABLE: [EventKind; 11] = [
        EventKind::VersionPromoted,
        EventKind::VersionRolledBack,
        EventKind::StagingChanged,
        EventKind::DraftDeleted,
        EventKind::RequestOpened,
        EventKind::RequestRejected,
        EventKind::LabelMoved,
        EventKind::RolloutStarted,
        EventKind::RolloutChanged,
        EventKind::RolloutCompleted,
        EventKind::RolloutAborted,
    ];

    /// What a new webhook in the dashboard subscribes to unless unticked: every type but
    /// `label.moved`, which repeats each promote, rollback and staging move as a move of its
    /// label (a webhook ticked for both would hear of each twice).
    pub fn ticked_by_default() -> Vec<EventKind> {
        EventKind::SUBSCRIBABLE.into_iter().filter(|kind| *kind != EventKind::LabelMoved).collect()
    }

    /// What the dashboard calls it.
    pub fn description(self) -> &'static str {
        match self {
            EventKind::VersionPromoted => "A version is promoted (published)",
            EventKind::VersionRolledBack => "Live is rolled back",
            EventKind::StagingChanged => "Staging moves",
            EventKind::DraftDeleted => "A draft is deleted",
            EventKind::RequestOpened => "A change to a label is requested (under review)",
            EventKind::RequestRejected => "A request is rejected",
            EventKind::LabelMoved => "Any label moves (live and staging too, besides their own events)",
            EventKind::RolloutStarted => "A rollout starts",
            EventKind::RolloutChanged => "A rollout's share changes",
            EventKind::RolloutCompleted => "A rollout completes",
            EventKind::RolloutAborted => "A rollout is aborted (by hand or by its guard)",
            EventKind::WebhookTest => "A test event is sent",
        }
    }

    /// One of the subscribable types, by its name.
    pub fn parse_subscribable(raw: &str) -> Option<EventKind> {
        EventKind::SUBSCRIBABLE.into_iter().find(|kind| kind.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI document lists the words, as the server writes them.
    #[cfg(feature = "openapi")]
    #[test]
    fn the_schema_of_a_word_lists_the_words() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(ActivityKind::schema()).unwrap_or_default();
        let words: Vec<&str> =
            schema["enum"].as_array().into_iter().flatten().filter_map(|w| w.as_str()).collect();
        let all: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(words, all, "{schema}");
        let schema = serde_json::to_value(Role::schema()).unwrap_or_default();
        assert_eq!(schema["enum"][0], "owner", "{schema}");
    }

    #[test]
    fn every_word_round_trips_and_serialises_as_itself() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
            assert_eq!(serde_json::to_string(role).ok(), Some(format!("\"{role}\"")));
        }
        for kind in ActivityKind::ALL {
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(serde_json::from_str::<ActivityKind>(&json).ok(), Some(*kind));
        }
        assert_eq!(ActivityKind::ALL.len(), 35);
    }

    #[test]
    fn a_wrong_word_names_the_field_and_every_word_it_takes() {
        let wrong = Role::parse("boss").err();
        assert_eq!(wrong.as_ref().map(|w| w.field), Some("role"));
        assert_eq!(wrong.map(|w| w.message).as_deref(), Some("a role is owner, admin, editor or viewer"));
        let wrong = KeyKind::parse("prod").err().map(|w| w.message);
        assert_eq!(wrong.as_deref(), Some("a key's kind is live or test"));
        assert_eq!(ChangeRule::default(), ChangeRule::Editors);
    }
}
