//! The vault's answers in the API's vocabulary (`types`): each record becomes the one wire
//! shape the REST API, the dashboard, the CLI and the SDK share. Secrets shown once (a new
//! key's token, an invitation's link) are added by the caller that has them.

use types::{
    AccessTokenJson, ActivityJson, ApiKeyJson, AttemptJson, DiffJson, EditorJson, EventRequestJson,
    ImportedJson, InvitationJson, InvitationPreviewJson, Items, LabelJson, MemberJson, PointerMoveJson,
    PromptJson, PushAction, PushReportJson, PushStepJson, PushedJson, RequestJson, SettingsJson, VersionJson,
    WebhookJson, WorkspaceJson,
};

use crate::activity::ActivityEntry;
use crate::attempts::Attempt;
use crate::content::Body;
use crate::diff::VersionDiff;
use crate::from_langfuse::ImportedPrompt;
use crate::invitations::{Invitation, InvitationView};
use crate::labels::Label;
use crate::members::Member;
use crate::names::VersionNumber;
use crate::pages::Page;
use crate::prompts::{PointerMove, PromptState, PromptSummary};
use crate::push::{PushReport, PushStep, Pushed};
use crate::requests::ChangeRequest;
use crate::serving::ApiKey;
use crate::settings::Settings;
use crate::tokens::AccessToken;
use crate::version::Version;
use crate::webhooks::{Webhook, WebhookSecret};
use crate::workspaces::WorkspaceMembership;

impl From<PromptState> for PromptJson {
    fn from(p: PromptState) -> Self {
        PromptJson {
            name: p.name,
            kind: p.kind,
            live: p.live.map(VersionNumber::label),
            staging: p.staging.map(VersionNumber::label),
            labels: p.labels.into_iter().map(|(label, n)| (label.to_string(), n.label())).collect(),
            tags: p.tags,
            versions: p.versions,
            updated_at: None,
        }
    }
}

impl From<PromptSummary> for PromptJson {
    fn from(p: PromptSummary) -> Self {
        PromptJson { updated_at: Some(p.updated_at.to_rfc3339()), ..PromptJson::from(p.state) }
    }
}

/// What the editor continues from: the version's text (or messages) and config.
impl From<Version> for EditorJson {
    fn from(version: Version) -> Self {
        let (source, messages) = match version.body {
            Body::Text(text) => (Some(text), None),
            Body::Chat(messages) => (None, Some(messages)),
        };
        EditorJson { based_on: version.number.label(), source, messages, config: version.config }
    }
}

/// A page, with its `next_cursor` (`null` on the last page).
impl<T, J: From<T>> From<Page<T>> for Items<J> {
    fn from(page: Page<T>) -> Self {
        Items { items: page.items.into_iter().map(J::from).collect(), next_cursor: Some(page.next_cursor) }
    }
}

impl From<PointerMove> for PointerMoveJson {
    fn from(m: PointerMove) -> Self {
        PointerMoveJson {
            channel: m.channel(),
            label: m.label.to_string(),
            from: m.from.map(VersionNumber::label),
            to: m.to.map(VersionNumber::label),
            actor: m.actor,
            requested_by: m.requested_by,
            at: m.at.to_rfc3339(),
            event_id: m.event_id,
        }
    }
}

impl From<ActivityEntry> for ActivityJson {
    fn from(e: ActivityEntry) -> Self {
        ActivityJson {
            id: e.id,
            at: e.at.to_rfc3339(),
            actor: e.actor,
            kind: e.kind,
            prompt: e.prompt,
            details: e.details,
        }
    }
}

/// A request as events and the activity log describe it.
impl From<&ChangeRequest> for EventRequestJson {
    fn from(request: &ChangeRequest) -> Self {
        EventRequestJson {
            id: request.id,
            action: request.action,
            label: request.label.to_string(),
            version: request.number.label(),
            state: request.state,
            note: request.note.clone(),
            requested_by: request.requested_by.clone(),
            decision_note: request.decision_note.clone(),
            rollout: request.rollout.clone(),
        }
    }
}

impl From<ChangeRequest> for RequestJson {
    fn from(r: ChangeRequest) -> Self {
        RequestJson {
            id: r.id,
            prompt: r.prompt,
            action: r.action,
            label: r.label.to_string(),
            version: r.number.label(),
            state: r.state,
            requested_by: r.requested_by,
            note: r.note,
            created_at: r.created_at.to_rfc3339(),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|at| at.to_rfc3339()),
            decision_note: r.decision_note,
            rollout: r.rollout,
        }
    }
}

impl From<Member> for MemberJson {
    fn from(m: Member) -> Self {
        MemberJson {
            id: m.id,
            name: m.name,
            email: m.email,
            role: m.role,
            joined_at: m.joined_at.to_rfc3339(),
            last_seen_at: m.last_seen_at.map(|at| at.to_rfc3339()),
        }
    }
}

impl From<WorkspaceMembership> for WorkspaceJson {
    fn from(w: WorkspaceMembership) -> Self {
        WorkspaceJson { id: w.id, name: w.name, role: w.role }
    }
}

impl From<Invitation> for InvitationJson {
    fn from(i: Invitation) -> Self {
        InvitationJson {
            id: i.id,
            email: i.email,
            role: i.role,
            invited_by: i.invited_by,
            created_at: i.created_at.to_rfc3339(),
            expires_at: i.expires_at.to_rfc3339(),
            url: None,
            token: None,
        }
    }
}

impl From<InvitationView> for InvitationPreviewJson {
    fn from(view: InvitationView) -> Self {
        InvitationPreviewJson {
            workspace: view.workspace,
            email: view.email,
            role: view.role,
            invited_by: view.invited_by,
            expires_at: view.expires_at.to_rfc3339(),
            has_account: view.has_account,
        }
    }
}

impl From<Settings> for SettingsJson {
    fn from(s: Settings) -> Self {
        SettingsJson { staging_enabled: s.staging_enabled, live_changes: s.live_changes }
    }
}

impl From<ApiKey> for ApiKeyJson {
    fn from(k: ApiKey) -> Self {
        ApiKeyJson {
            id: k.id,
            kind: k.kind,
            label: k.label.to_string(),
            name: k.name,
            prefix: k.prefix.to_owned(),
            last_four: k.last_four,
            created_at: k.created_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|at| at.to_rfc3339()),
            token: None,
        }
    }
}

impl From<AccessToken> for AccessTokenJson {
    fn from(t: AccessToken) -> Self {
        AccessTokenJson {
            id: t.id,
            name: t.name,
            prefix: t.prefix.to_owned(),
            last_four: t.last_four,
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            abort_only: t.abort_only,
            token: None,
        }
    }
}

impl From<Webhook> for WebhookJson {
    fn from(w: Webhook) -> Self {
        WebhookJson {
            id: w.id,
            url: w.url,
            events: w.events,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            created_at: w.created_at.to_rfc3339(),
            updated_at: w.updated_at.to_rfc3339(),
            secret: None,
        }
    }
}

/// A webhook just made or rotated: with its secret, this once.
impl From<WebhookSecret> for WebhookJson {
    fn from(made: WebhookSecret) -> Self {
        WebhookJson { secret: Some(made.secret), ..made.webhook.into() }
    }
}

impl From<Attempt> for AttemptJson {
    fn from(a: Attempt) -> Self {
        AttemptJson {
            event_id: a.event_id,
            event_type: a.event_type,
            attempt: a.attempt,
            at: a.at.to_rfc3339(),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            delivery: a.delivery_state,
        }
    }
}

impl From<PushStep> for PushStepJson {
    fn from(step: PushStep) -> Self {
        let (action, version, request, label) = match step {
            PushStep::Created => (PushAction::Created, None, None, None),
            PushStep::Saved { version } => (PushAction::Saved, Some(version), None, None),
            PushStep::Staged { version } => (PushAction::Staged, Some(version), None, None),
            PushStep::Promoted { version } => (PushAction::Promoted, Some(version), None, None),
            PushStep::Requested { version, request } => {
                (PushAction::Requested, Some(version), Some(request), None)
            }
            PushStep::Tagged => (PushAction::Tagged, None, None, None),
            PushStep::Labelled { label, version } => (PushAction::Labelled, Some(version), None, Some(label)),
            PushStep::LabelRequested { label, version, request } => {
                (PushAction::Requested, Some(version), Some(request), Some(label))
            }
        };
        let label = label.map(|l| l.as_str().to_owned());
        PushStepJson { action, version: version.map(VersionNumber::label), request, label }
    }
}

impl From<Pushed> for PushedJson {
    fn from(p: Pushed) -> Self {
        PushedJson {
            name: p.name,
            version: p.version.label(),
            steps: p.steps.into_iter().map(Into::into).collect(),
            previous: p.previous.map(VersionJson::from),
            awaiting_review: p.awaiting_review,
        }
    }
}

impl From<PushReport> for PushReportJson {
    fn from(report: PushReport) -> Self {
        PushReportJson {
            dry_run: report.dry_run,
            changed: report.changed(),
            prompts: report.prompts.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ImportedPrompt> for ImportedJson {
    fn from(p: ImportedPrompt) -> Self {
        let labels = |numbers: Vec<VersionNumber>| numbers.into_iter().map(VersionNumber::label).collect();
        ImportedJson {
            name: p.name,
            created: p.created,
            added: labels(p.added),
            unchanged: labels(p.unchanged),
            promoted: p.promoted.map(VersionNumber::label),
            requested: p.requested,
            staged: p.staged.map(VersionNumber::label),
            labelled: p.labelled.into_iter().map(|(label, n)| (label, n.label())).collect(),
            label_requests: p.label_requests,
            tagged: p.tagged,
            left_out: p.left_out,
        }
    }
}

impl From<VersionDiff> for DiffJson {
    fn from(d: VersionDiff) -> Self {
        DiffJson {
            from: d.from.map(VersionNumber::label),
            to: d.to.label(),
            added: d.diff.added,
            removed: d.diff.removed,
            rows: d.diff.rows,
            messages: d.messages,
            config: d.config,
            pins: d.pins,
        }
    }
}

impl From<crate::composition::Pin> for types::PinJson {
    fn from(pin: crate::composition::Pin) -> Self {
        types::PinJson { reference: pin.reference, prompt: pin.prompt, version: types::label(pin.number) }
    }
}

impl From<Label> for LabelJson {
    fn from(label: Label) -> Self {
        LabelJson {
            name: label.name.to_string(),
            protected: label.protected,
            rule: label.rule,
            fallback: label.fallback,
            built_in: label.built_in,
            keys: label.keys,
        }
    }
}
