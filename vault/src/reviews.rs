//! Review ("four eyes"): a label whose rule is `review` moves only by request. For live (the
//! workspace's `live_changes`), every promote and rollback is a request; for a label of the
//! workspace's own, every move. Another member entitled to move the label approves it (it is
//! applied at once, with both names recorded) or rejects it with a note. The requester may
//! cancel; a request whose version is deleted goes stale.

use sqlx::{Any, AssertSqlSafe, Transaction};
use types::EventRequestJson;

use crate::access::ChangeRule;
use crate::access::{Actor, Permission};
use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::events::{self, EventKind};
use crate::labels::{Found, Pointer, find_label};
use crate::names::LabelName;
use crate::names::VersionNumber;
use crate::prompts::model::roll_back_refusal;
use crate::prompts::moves::{move_label_in, moves_by_request, promote_in, roll_back_in};
use crate::prompts::rollout_steps::complete_in;
use crate::prompts::steps::{find_prompt, find_version, lock_prompt, own_labels_of};
use crate::prompts::{PromptRow, PromptState};
use crate::quotas::Quota;
use crate::requests::{
    Asked, ChangeRequest, Moving, REQUEST_QUERY, RequestAction, RequestState, decide, load, note,
    open_request, open_request_for, request_from_row,
};
use crate::rollout_requests::{approve_rollout, completes_rollout};
use crate::{Conflict, Result, Vault, VaultError};

/// Refuses a request's decision by someone the label's rule does not entitle.
fn entitled(actor: &Actor, found: &Found) -> Result<ChangeRule> {
    actor.change_right(found.label.name.as_str(), found.label.rule)?;
    Ok(found.label.rule)
}

/// The label a request of `action` moves: live for promote and rollback; for a move, the
/// label it names (one of the workspace's own: live moves by promote and rollback).
async fn label_of_request(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: RequestAction,
    label: Option<&str>,
) -> Result<Found> {
    let name = match (action, label) {
        (RequestAction::Move | RequestAction::Rollout, None) => {
            return Err(VaultError::invalid("label", "a move or a rollout names its label"));
        }
        (RequestAction::Move | RequestAction::Rollout, Some(raw)) => LabelName::parse(raw)?,
        (_, None | Some(LabelName::LIVE)) => LabelName::live(),
        (_, Some(_)) => {
            return Err(VaultError::invalid(
                "label",
                "promote and rollback move live; to move another label, ask to move it",
            ));
        }
    };
    if action == RequestAction::Move && name.as_str() == LabelName::LIVE {
        return Err(VaultError::invalid("action", "live moves by promote or rollback"));
    }
    find_label(tx, actor.workspace_id, &name).await
}

impl Vault {
    /// Opens a request to promote or roll back to version `number` of prompt `name`, or to
    /// move `label` to it; only for a label whose rule is review, and only for what the
    /// operation itself would allow now (a rollback to an older published version, …).
    pub async fn request_change(
        &self,
        actor: &Actor,
        name: &str,
        action: RequestAction,
        label: Option<&str>,
        number: VersionNumber,
        note_text: &str,
    ) -> Result<ChangeRequest> {
        actor.require(Permission::ChangeLive)?;
        if action == RequestAction::Rollout {
            return Err(VaultError::invalid(
                "action",
                "a rollout request says its share: POST …/labels/{label}/rollout/request",
            ));
        }
        let note = note(note_text)?;
        let mut tx = self.db.write.begin().await?;
        // The workspace's quota lock first, as every quota-checked write takes it (see the
        // quotas): opening the request counts the open ones under it.
        self.room(&mut tx, Quota::OpenRequestsPerWorkspace, actor.workspace_id).await?;
        // Locked, as a rewrite locks it: a rewrite committing beside this request lands
        // before it opens (and the request sees it), never after (see the review freeze).
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let version = find_version(&mut tx, &prompt, number).await?;
        let found = label_of_request(&mut tx, actor, action, label).await?;
        entitled(actor, &found)?;
        if !moves_by_request(&mut tx, actor, &found, version.status).await? {
            let message = match found.pointer {
                Pointer::Live => {
                    "this workspace does not review changes to live: promote or roll back directly".to_owned()
                }
                _ => format!("{} is not under review: move it directly", found.label.name),
            };
            return Err(VaultError::conflict(Conflict::ReviewOff, message));
        }
        if action == RequestAction::RollBack
            && let Some(refusal) = roll_back_refusal(&prompt.name, prompt.live, version.status, number)
        {
            return Err(refusal);
        }
        let moved = (action == RequestAction::Move).then_some(&found.label.name);
        let request =
            self.open_request_in(&mut tx, actor, &prompt, Asked::new(action, moved, number), &note).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(request)
    }

    /// The workspace's requests, newest first (the last 200), of one state and one prompt if
    /// given.
    pub async fn requests(
        &self,
        actor: &Actor,
        state: Option<RequestState>,
        prompt: Option<&str>,
    ) -> Result<Vec<ChangeRequest>> {
        actor.require(Permission::Read)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{REQUEST_QUERY} and ($2 = '' or r.state = $2) and ($3 = '' or p.name = $3) order by r.id desc limit 200"
        )))
        .bind(actor.workspace_id)
        .bind(state.map_or("", RequestState::as_str))
        .bind(prompt.unwrap_or(""))
        .fetch_all(&self.db.read)
        .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Approves an open request: it is applied at once, the approver as the actor and the
    /// requester named. Nobody approves their own request; of two approvals, one applies it
    /// and the other is refused (409 `not_open`).
    pub async fn approve_request(&self, actor: &Actor, id: i64) -> Result<PromptState> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let (request, requester) = open_request(&mut tx, actor, id).await?;
        let found = find_label(&mut tx, actor.workspace_id, &request.label).await?;
        entitled(actor, &found)?;
        if requester.account_id == actor.account_id {
            return Err(VaultError::Forbidden(
                "you cannot approve your own request: another member must".into(),
            ));
        }
        // The prompt first, as every change to a prompt does (see `lock_prompt`).
        let prompt = lock_prompt(&mut tx, actor, &request.prompt).await?;
        decide(&mut tx, actor, id, RequestState::Applied, None).await?;
        let completes = completes_rollout(&mut tx, &prompt, &found, &request).await?;
        match request.action {
            // Moving a label onto its running rollout's new version completes the rollout.
            RequestAction::Promote | RequestAction::Move if completes => {
                complete_in(&mut tx, actor, &prompt, &found, Some(&requester)).await?;
            }
            RequestAction::Promote => {
                promote_in(&mut tx, actor, &prompt, request.number, Some(&requester)).await?
            }
            RequestAction::Rollout => approve_rollout(&mut tx, actor, &prompt, &found, &request).await?,
            RequestAction::RollBack => {
                roll_back_in(&mut tx, actor, &prompt, request.number, Some(&requester)).await?;
            }
            RequestAction::Move => {
                move_label_in(&mut tx, actor, &prompt, &found, Some(request.number), Some(&requester))
                    .await?;
            }
        }
        let request = load(&mut tx, actor, id).await?;
        self.announce(&mut tx, actor, &prompt, &request, ActivityKind::RequestApproved, None).await?;
        self.finish_live_change(tx, actor, &request.prompt).await
    }

    /// Rejects an open request, with a note; the requester cancels instead.
    pub async fn reject_request(&self, actor: &Actor, id: i64, note_text: &str) -> Result<ChangeRequest> {
        actor.require(Permission::ChangeLive)?;
        let note = note(note_text)?;
        let mut tx = self.db.write.begin().await?;
        let (request, requester) = open_request(&mut tx, actor, id).await?;
        entitled(actor, &find_label(&mut tx, actor.workspace_id, &request.label).await?)?;
        if requester.account_id == actor.account_id {
            return Err(VaultError::Forbidden("cancel your own request instead of rejecting it".into()));
        }
        decide(&mut tx, actor, id, RequestState::Rejected, Some(&note)).await?;
        let prompt = find_prompt(&mut tx, actor, &request.prompt).await?;
        let request = load(&mut tx, actor, id).await?;
        let event = Some(EventKind::RequestRejected);
        self.announce(&mut tx, actor, &prompt, &request, ActivityKind::RequestRejected, event).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(request)
    }

    /// Cancels one's own open request.
    pub async fn cancel_request(&self, actor: &Actor, id: i64) -> Result<ChangeRequest> {
        let mut tx = self.db.write.begin().await?;
        let (request, requester) = open_request(&mut tx, actor, id).await?;
        if requester.account_id != actor.account_id {
            return Err(VaultError::Forbidden("only the member who opened a request cancels it".into()));
        }
        decide(&mut tx, actor, id, RequestState::Cancelled, None).await?;
        let prompt = find_prompt(&mut tx, actor, &request.prompt).await?;
        let request = load(&mut tx, actor, id).await?;
        self.announce(&mut tx, actor, &prompt, &request, ActivityKind::RequestCancelled, None).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// Opens a request for what is `asked`, inside the caller's transaction, which has
    /// checked that the label is under review and that the action is possible.
    pub(crate) async fn open_request_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        asked: Asked<'_>,
        note: &str,
    ) -> Result<ChangeRequest> {
        let Asked { action, label, number, rollout } = asked;
        // The caller took the workspace's quota lock first (a request, a push, an import).
        self.room(tx, Quota::OpenRequestsPerWorkspace, actor.workspace_id).await?.take(1)?;
        let rollout =
            rollout.map(serde_json::to_string).transpose().map_err(|e| VaultError::Internal(Box::new(e)))?;
        let id: i64 = sqlx::query_scalar(
            "insert into requests (workspace_id, prompt_id, action, number, note, requested_by, created_at, label, rollout) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        )
        .bind(actor.workspace_id)
        .bind(prompt.id)
        .bind(action.as_str())
        .bind(number.get())
        .bind(note)
        .bind(actor.account_id)
        .bind(Timestamp::now().0)
        .bind(label.map(LabelName::as_str))
        .bind(rollout)
        .fetch_one(&mut **tx)
        .await?;
        let request = load(tx, actor, id).await?;
        let (kind, event) = (ActivityKind::RequestOpened, Some(EventKind::RequestOpened));
        self.announce(tx, actor, prompt, &request, kind, event).await?;
        Ok(request)
    }

    /// Makes version `number` live as the workspace's rule allows the actor, inside the
    /// caller's transaction: directly, or under review by opening a request to promote it
    /// (unless one is open already). Nothing when it is live already.
    pub(crate) async fn promote_or_request_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        number: VersionNumber,
        note: &str,
    ) -> Result<Moving> {
        if prompt.live == Some(number) {
            return Ok(Moving::AlreadyThere);
        }
        let live = find_label(tx, actor.workspace_id, &LabelName::live()).await?;
        if entitled(actor, &live)? != ChangeRule::Review {
            promote_in(tx, actor, prompt, number, None).await?;
            return Ok(Moving::Moved);
        }
        if let Some(open) = open_request_for(tx, actor, prompt, RequestAction::Promote, None, number).await? {
            return Ok(Moving::Requested { request: open.id, opened: false });
        }
        let request = self
            .open_request_in(tx, actor, prompt, Asked::new(RequestAction::Promote, None, number), note)
            .await?;
        Ok(Moving::Requested { request: request.id, opened: true })
    }

    /// Moves the workspace's own label `found` to version `number` as its rule allows the
    /// actor, inside the caller's transaction: directly, or under review by opening a request
    /// to move it (unless one is open already). Nothing when it is there already. Refuses
    /// (403) an actor the rule forbids.
    pub(crate) async fn move_or_request_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        found: &Found,
        number: VersionNumber,
        note: &str,
    ) -> Result<Moving> {
        let label = &found.label.name;
        if own_labels_of(tx, prompt.id).await?.get(label) == Some(&number) {
            return Ok(Moving::AlreadyThere);
        }
        let status = find_version(tx, prompt, number).await?.status;
        if !moves_by_request(tx, actor, found, status).await? {
            move_label_in(tx, actor, prompt, found, Some(number), None).await?;
            return Ok(Moving::Moved);
        }
        let action = RequestAction::Move;
        if let Some(open) = open_request_for(tx, actor, prompt, action, Some(label), number).await? {
            return Ok(Moving::Requested { request: open.id, opened: false });
        }
        let request =
            self.open_request_in(tx, actor, prompt, Asked::new(action, Some(label), number), note).await?;
        Ok(Moving::Requested { request: request.id, opened: true })
    }

    /// Records a request's step in the activity log and, for `event`, tells the webhooks.
    async fn announce(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        request: &ChangeRequest,
        kind: ActivityKind,
        event: Option<EventKind>,
    ) -> Result<()> {
        let details = EventRequestJson::from(request);
        let entry = serde_json::to_value(&details).map_err(|e| VaultError::Internal(Box::new(e)))?;
        activity::record(tx, actor, kind, Some(&prompt.name), entry).await?;
        let Some(event) = event else { return Ok(()) };
        let version = find_version(tx, prompt, request.number).await?;
        let previous = match request.current {
            Some(current) => Some(find_version(tx, prompt, current).await?),
            None => None,
        };
        let change = events::Change {
            id: events::new_event_id(),
            kind: event,
            prompt: Some(&prompt.name),
            label: None,
            version: Some(&version),
            previous: previous.as_ref(),
            requested_by: None,
            request: Some(details),
            rollout: None,
        };
        events::record(tx, actor, change, None).await
    }
}
