//! Requests to move a label (promote and rollback move live): what they ask, their states,
//! and their rows — reading them, deciding them, finding the open one, and the review freeze
//! (a draft under an open request to promote it, or to move a label to it, is not changed,
//! and a deleted draft's requests go stale).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::Result;
use crate::access::{Actor, ChangeRule};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::names::{LabelName, MAX_MESSAGE_BYTES, VersionNumber};
use crate::prompts::model::{PromptRow, Requester};

/// What a request asks for, and where it stands: words of the API's vocabulary.
pub use types::{RequestAction, RequestState};

/// What a member may do with a request now: the dashboard offers this; the operations
/// refuse the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOffered {
    /// Approve or reject: another member entitled to change live.
    pub decide: bool,
    /// Cancel: its requester.
    pub cancel: bool,
}

impl ChangeRequest {
    /// What `actor` may do with this request under its label's rule now.
    pub fn offered(&self, actor: &Actor) -> RequestOffered {
        let open = self.state == RequestState::Open;
        let own = self.requester_id == actor.account_id;
        let entitled = actor.change_right(self.label.as_str(), self.rule).is_ok();
        RequestOffered { decide: open && !own && entitled, cancel: open && own }
    }
}

/// What moving a label (making a version live, too) under its rule came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moving {
    /// The label was on the version already.
    AlreadyThere,
    Moved,
    /// Under review: request `request` asks for it (`opened` now, or open already).
    Requested {
        request: i64,
        opened: bool,
    },
}

/// What a request being opened asks: `action` (of `label`, for a move or a rollout) with
/// version `number`, and for a rollout its share, ramp and guard.
pub(crate) struct Asked<'a> {
    pub action: RequestAction,
    pub label: Option<&'a LabelName>,
    pub number: VersionNumber,
    pub rollout: Option<&'a types::rollouts::RolloutAskJson>,
}

impl<'a> Asked<'a> {
    /// A move (or a promote or rollback: `label` none).
    pub fn new(action: RequestAction, label: Option<&'a LabelName>, number: VersionNumber) -> Self {
        Asked { action, label, number, rollout: None }
    }
}

/// A request to move a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRequest {
    pub id: i64,
    pub prompt: String,
    pub action: RequestAction,
    /// The label it moves: `live` for promote and rollback.
    pub label: LabelName,
    /// That label's change rule now (`review` if the label was deleted since).
    pub rule: ChangeRule,
    pub number: VersionNumber,
    pub state: RequestState,
    pub note: String,
    pub requested_by: String,
    pub requested_by_email: String,
    /// The requester's account: nobody approves their own request.
    pub requester_id: i64,
    /// The label's version now: what the request would change from.
    pub current: Option<VersionNumber>,
    pub created_at: Timestamp,
    /// Who approved, rejected or cancelled it.
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// A rejection's note.
    pub decision_note: Option<String>,
    /// What a rollout request asks: the share, and the ramp and guard of one it starts.
    pub rollout: Option<types::rollouts::RolloutAskJson>,
}

pub(crate) const REQUEST_QUERY: &str = "select r.id, p.name as prompt, r.action, coalesce(r.label, 'live') as label, \
     case when r.label is null then w.live_changes else coalesce(l.rule, 'review') end as rule, \
     r.number, r.state, r.note, a.name as requested_by, a.email as requested_by_email, r.requested_by as requester_id, \
     case when r.label is null then p.live_number else pl.number end as current, \
     r.created_at, d.name as decided_by, r.decided_at, r.decision_note, r.rollout \
     from requests r join prompts p on p.id = r.prompt_id join workspaces w on w.id = r.workspace_id \
     left join labels l on l.workspace_id = r.workspace_id and l.name = r.label \
     left join prompt_labels pl on pl.prompt_id = r.prompt_id and pl.label_id = l.id \
     join accounts a on a.id = r.requested_by left join accounts d on d.id = r.decided_by \
     where r.workspace_id = $1";

pub(crate) fn request_from_row(row: &AnyRow) -> Result<ChangeRequest> {
    Ok(ChangeRequest {
        id: row.try_get("id")?,
        prompt: row.try_get("prompt")?,
        action: RequestAction::parse(&row.try_get::<String, _>("action")?)?,
        label: LabelName::parse(&row.try_get::<String, _>("label")?)?,
        rule: ChangeRule::parse(&row.try_get::<String, _>("rule")?)?,
        number: VersionNumber::new(row.try_get("number")?)?,
        state: RequestState::parse(&row.try_get::<String, _>("state")?)?,
        note: row.try_get("note")?,
        requested_by: row.try_get("requested_by")?,
        requested_by_email: row.try_get("requested_by_email")?,
        requester_id: row.try_get("requester_id")?,
        current: row.try_get::<Option<i64>, _>("current")?.map(VersionNumber::new).transpose()?,
        created_at: Timestamp(row.try_get("created_at")?),
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(Timestamp),
        decision_note: row.try_get("decision_note")?,
        rollout: row
            .try_get::<Option<String>, _>("rollout")?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| VaultError::Internal(format!("unreadable rollout request: {e}").into()))?,
    })
}

pub(crate) fn note(raw: &str) -> Result<String> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(VaultError::TooLarge { field: "note", limit: MAX_MESSAGE_BYTES });
    }
    crate::names::no_nul("note", raw)?;
    Ok(raw.trim().to_owned())
}

pub(crate) async fn load(tx: &mut Transaction<'_, Any>, actor: &Actor, id: i64) -> Result<ChangeRequest> {
    let row = sqlx::query(AssertSqlSafe(format!("{REQUEST_QUERY} and r.id = $2")))
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| VaultError::NotFound(format!("no request {id} in this workspace")))?;
    request_from_row(&row)
}

/// The request, if it is still open, and who opened it.
pub(crate) async fn open_request(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    id: i64,
) -> Result<(ChangeRequest, Requester)> {
    let request = load(tx, actor, id).await?;
    if request.state != RequestState::Open {
        return Err(not_open(&request));
    }
    let requester = Requester {
        account_id: request.requester_id,
        name: request.requested_by.clone(),
        email: request.requested_by_email.clone(),
    };
    Ok((request, requester))
}

/// Closes an open request; the condition on `state` makes one of two racing decisions win.
pub(crate) async fn decide(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    id: i64,
    state: RequestState,
    decision_note: Option<&str>,
) -> Result<()> {
    let done = sqlx::query(
        "update requests set state = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
         where id = $5 and state = 'open'",
    )
    .bind(state.as_str())
    .bind(actor.account_id)
    .bind(Timestamp::now().0)
    .bind(decision_note)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_open(&load(tx, actor, id).await?));
    }
    Ok(())
}

pub(crate) fn not_open(request: &ChangeRequest) -> VaultError {
    VaultError::conflict(
        Conflict::NotOpen,
        format!(
            "request {} is {} already; nothing more can be done with it",
            request.id,
            request.state.as_str()
        ),
    )
}

/// The drafts open requests ask to publish or to move a label to, by prompt name (of one prompt, or of the
/// workspace), in order.
pub(crate) async fn drafts_under_review<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    workspace_id: i64,
    prompt_id: Option<i64>,
) -> Result<HashMap<String, Vec<VersionNumber>>> {
    let rows = sqlx::query(
        "select p.name, r.number from requests r join prompts p on p.id = r.prompt_id \
         join versions v on v.prompt_id = r.prompt_id and v.number = r.number \
         where r.workspace_id = $1 and ($2 = 0 or r.prompt_id = $2) and r.state = 'open' \
         and r.action in ('promote', 'move', 'rollout') and v.status = 'draft' order by p.name, r.number",
    )
    .bind(workspace_id)
    .bind(prompt_id.unwrap_or(0))
    .fetch_all(db)
    .await?;
    let mut drafts: HashMap<String, Vec<VersionNumber>> = HashMap::new();
    for row in rows {
        let number = VersionNumber::new(row.try_get("number")?)?;
        drafts.entry(row.try_get("name")?).or_default().push(number);
    }
    Ok(drafts)
}

/// Refuses to change draft `number` while an open request asks to promote it (or to move a
/// label to it): the approval would apply content its reviewer never saw (the database
/// refuses it too).
pub(crate) async fn refuse_under_review(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    number: VersionNumber,
) -> Result<()> {
    let open: Option<i64> = sqlx::query_scalar(
        "select id from requests where prompt_id = $1 and number = $2 and action in ('promote', 'move', 'rollout') \
         and state = 'open' order by id limit 1",
    )
    .bind(prompt.id)
    .bind(number.get())
    .fetch_optional(&mut **tx)
    .await?;
    match open {
        Some(request) => Err(VaultError::conflict(
            Conflict::UnderReview,
            format!(
                "{number} of {} is under review (request {request}): it stays as the reviewer sees it \
                 until the request is decided; save a new draft, or cancel the request first",
                prompt.name
            ),
        )),
        None => Ok(()),
    }
}

/// The open request to do `action` with version `number` of the prompt (for a move, of
/// label `label`), if there is one.
pub(crate) async fn open_request_for(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    action: RequestAction,
    label: Option<&LabelName>,
    number: VersionNumber,
) -> Result<Option<ChangeRequest>> {
    let id: Option<i64> = sqlx::query_scalar(
        "select id from requests where prompt_id = $1 and action = $2 and number = $3 and state = 'open' \
         and coalesce(label, '') = $4 order by id limit 1",
    )
    .bind(prompt.id)
    .bind(action.as_str())
    .bind(number.get())
    .bind(label.map_or("", LabelName::as_str))
    .fetch_optional(&mut **tx)
    .await?;
    match id {
        Some(id) => Ok(Some(load(tx, actor, id).await?)),
        None => Ok(None),
    }
}

/// Makes the open requests to promote or roll back to version `number` stale: it was
/// deleted, so they can no longer be applied.
pub(crate) async fn make_stale(
    tx: &mut Transaction<'_, Any>,
    prompt_id: i64,
    number: VersionNumber,
) -> Result<()> {
    sqlx::query(
        "update requests set state = 'stale', decided_at = $1 \
         where prompt_id = $2 and number = $3 and state = 'open'",
    )
    .bind(Timestamp::now().0)
    .bind(prompt_id)
    .bind(number.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
