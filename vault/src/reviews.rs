//! Review ("four eyes"): in a workspace whose `live_changes` is `review`, every promote and
//! rollback is a request with a note, which another member entitled to change live approves
//! (it is applied at once, with both names recorded) or rejects with a note. The requester
//! may cancel; a request whose version is deleted goes stale.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::events::{self, EventKind};
use crate::members::{Actor, Permission};
use crate::names::{MAX_MESSAGE_BYTES, VersionNumber};
use crate::prompts::{
    PromptRow, PromptState, Requester, find_prompt, find_version, lock_prompt, promote_in, roll_back_in,
    roll_back_refusal,
};
use crate::quotas::Quota;
use crate::settings::{self, LiveChanges};
use crate::{Conflict, Result, Vault, VaultError};

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RequestAction {
    #[serde(rename = "promote")]
    Promote,
    #[serde(rename = "rollback")]
    RollBack,
}

impl RequestAction {
    pub fn parse(raw: &str) -> Result<RequestAction> {
        match raw {
            "promote" => Ok(RequestAction::Promote),
            "rollback" => Ok(RequestAction::RollBack),
            _ => Err(VaultError::invalid("action", "action is promote or rollback")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Promote => "promote",
            RequestAction::RollBack => "rollback",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    Open,
    Applied,
    Rejected,
    Cancelled,
    /// Its version was deleted.
    Stale,
}

impl RequestState {
    pub fn parse(raw: &str) -> Result<RequestState> {
        match raw {
            "open" => Ok(RequestState::Open),
            "applied" => Ok(RequestState::Applied),
            "rejected" => Ok(RequestState::Rejected),
            "cancelled" => Ok(RequestState::Cancelled),
            "stale" => Ok(RequestState::Stale),
            _ => Err(VaultError::invalid("state", "state is open, applied, rejected, cancelled or stale")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Applied => "applied",
            RequestState::Rejected => "rejected",
            RequestState::Cancelled => "cancelled",
            RequestState::Stale => "stale",
        }
    }
}

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
    /// What `actor` may do with this request while the workspace's setting is `rule`.
    pub fn offered(&self, actor: &Actor, rule: LiveChanges) -> RequestOffered {
        let open = self.state == RequestState::Open;
        let own = self.requester_id == actor.account_id;
        RequestOffered { decide: open && !own && actor.role.may_change_live(rule), cancel: open && own }
    }
}

/// What making a version live came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoingLive {
    AlreadyLive,
    Promoted,
    /// Under review: request `request` asks for it (`opened` now, or open already).
    Requested {
        request: i64,
        opened: bool,
    },
}

/// A request to change live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRequest {
    pub id: i64,
    pub prompt: String,
    pub action: RequestAction,
    pub number: VersionNumber,
    pub state: RequestState,
    pub note: String,
    pub requested_by: String,
    pub requested_by_email: String,
    /// The requester's account: nobody approves their own request.
    pub requester_id: i64,
    /// The prompt's live version now: what the request would change from.
    pub live: Option<VersionNumber>,
    pub created_at: Timestamp,
    /// Who approved, rejected or cancelled it.
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// A rejection's note.
    pub decision_note: Option<String>,
}

const REQUEST_QUERY: &str = "select r.id, p.name as prompt, r.action, r.number, r.state, r.note, \
     a.name as requested_by, a.email as requested_by_email, r.requested_by as requester_id, \
     p.live_number as live, r.created_at, d.name as decided_by, r.decided_at, r.decision_note from requests r join prompts p on p.id = r.prompt_id \
     join accounts a on a.id = r.requested_by left join accounts d on d.id = r.decided_by \
     where r.workspace_id = $1";

fn request_from_row(row: &AnyRow) -> Result<ChangeRequest> {
    Ok(ChangeRequest {
        id: row.try_get("id")?,
        prompt: row.try_get("prompt")?,
        action: RequestAction::parse(&row.try_get::<String, _>("action")?)?,
        number: VersionNumber::new(row.try_get("number")?)?,
        state: RequestState::parse(&row.try_get::<String, _>("state")?)?,
        note: row.try_get("note")?,
        requested_by: row.try_get("requested_by")?,
        requested_by_email: row.try_get("requested_by_email")?,
        requester_id: row.try_get("requester_id")?,
        live: row.try_get::<Option<i64>, _>("live")?.map(VersionNumber::new).transpose()?,
        created_at: Timestamp(row.try_get("created_at")?),
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(Timestamp),
        decision_note: row.try_get("decision_note")?,
    })
}

fn note(raw: &str) -> Result<String> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(VaultError::TooLarge { field: "note", limit: MAX_MESSAGE_BYTES });
    }
    crate::names::no_nul("note", raw)?;
    Ok(raw.trim().to_owned())
}

/// Refuses a request's decision by someone the workspace's rule does not entitle.
async fn entitled(tx: &mut Transaction<'_, Any>, actor: &Actor) -> Result<LiveChanges> {
    let rule = settings::live_changes(tx, actor.workspace_id).await?;
    actor.require_live_right(rule)?;
    Ok(rule)
}

impl Vault {
    /// Opens a request to promote or roll back to version `number` of prompt `name`; only
    /// in a workspace that reviews changes to live, and only for what the operation itself
    /// would allow now (a rollback to an older published version, …).
    pub async fn request_change(
        &self,
        actor: &Actor,
        name: &str,
        action: RequestAction,
        number: VersionNumber,
        note_text: &str,
    ) -> Result<ChangeRequest> {
        actor.require(Permission::ChangeLive)?;
        let note = note(note_text)?;
        let mut tx = self.db.write.begin().await?;
        // The workspace's quota lock first, as every quota-checked write takes it (see the
        // quotas): opening the request counts the open ones under it.
        self.room(&mut tx, Quota::OpenRequestsPerWorkspace, actor.workspace_id).await?;
        // Locked, as a rewrite locks it: a rewrite committing beside this request lands
        // before it opens (and the request sees it), never after (see the review freeze).
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let version = find_version(&mut tx, &prompt, number).await?;
        if entitled(&mut tx, actor).await? != LiveChanges::Review {
            return Err(VaultError::conflict(
                Conflict::ReviewOff,
                "this workspace does not review changes to live: promote or roll back directly",
            ));
        }
        if action == RequestAction::RollBack
            && let Some(refusal) = roll_back_refusal(&prompt.name, prompt.live, version.status, number)
        {
            return Err(refusal);
        }
        let request = self.open_request_in(&mut tx, actor, &prompt, action, number, &note).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(request)
    }

    /// The workspace's requests, newest first (the last 200), of one state if given.
    pub async fn requests(&self, actor: &Actor, state: Option<RequestState>) -> Result<Vec<ChangeRequest>> {
        actor.require(Permission::Read)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{REQUEST_QUERY} and ($2 = '' or r.state = $2) order by r.id desc limit 200"
        )))
        .bind(actor.workspace_id)
        .bind(state.map_or("", RequestState::as_str))
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
        entitled(&mut tx, actor).await?;
        if requester.account_id == actor.account_id {
            return Err(VaultError::Forbidden(
                "you cannot approve your own request: another member must".into(),
            ));
        }
        // The prompt first, as every change to a prompt does (see `lock_prompt`).
        let prompt = lock_prompt(&mut tx, actor, &request.prompt).await?;
        decide(&mut tx, actor, id, RequestState::Applied, None).await?;
        match request.action {
            RequestAction::Promote => {
                promote_in(&mut tx, actor, &prompt, request.number, Some(&requester)).await?
            }
            RequestAction::RollBack => {
                roll_back_in(&mut tx, actor, &prompt, request.number, Some(&requester)).await?;
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
        entitled(&mut tx, actor).await?;
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

    /// Records a request's step in the activity log and, for `event`, tells the webhooks.
    /// Opens a request inside the caller's transaction, which has checked that the workspace
    /// reviews changes and that the action is possible.
    pub(crate) async fn open_request_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        action: RequestAction,
        number: VersionNumber,
        note: &str,
    ) -> Result<ChangeRequest> {
        // The caller took the workspace's quota lock first (a request, a push, an import).
        self.room(tx, Quota::OpenRequestsPerWorkspace, actor.workspace_id).await?.take(1)?;
        let id: i64 = sqlx::query_scalar(
            "insert into requests (workspace_id, prompt_id, action, number, note, requested_by, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(actor.workspace_id)
        .bind(prompt.id)
        .bind(action.as_str())
        .bind(number.get())
        .bind(note)
        .bind(actor.account_id)
        .bind(Timestamp::now().0)
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
    ) -> Result<GoingLive> {
        if prompt.live == Some(number) {
            return Ok(GoingLive::AlreadyLive);
        }
        if entitled(tx, actor).await? != LiveChanges::Review {
            promote_in(tx, actor, prompt, number, None).await?;
            return Ok(GoingLive::Promoted);
        }
        if let Some(open) = open_request_for(tx, actor, prompt, RequestAction::Promote, number).await? {
            return Ok(GoingLive::Requested { request: open.id, opened: false });
        }
        let request = self.open_request_in(tx, actor, prompt, RequestAction::Promote, number, note).await?;
        Ok(GoingLive::Requested { request: request.id, opened: true })
    }

    async fn announce(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        prompt: &PromptRow,
        request: &ChangeRequest,
        kind: ActivityKind,
        event: Option<EventKind>,
    ) -> Result<()> {
        let details = request_json(request);
        activity::record(tx, actor, kind, Some(&prompt.name), details.clone()).await?;
        let Some(event) = event else { return Ok(()) };
        let version = find_version(tx, prompt, request.number).await?;
        let previous = match prompt.live {
            Some(live) => Some(find_version(tx, prompt, live).await?),
            None => None,
        };
        let change = events::Change {
            id: events::new_event_id(),
            kind: event,
            prompt: Some(&prompt.name),
            version: Some(&version),
            previous: previous.as_ref(),
            extra: Some(("request", details)),
        };
        events::record(tx, actor, change, None).await
    }
}

/// A request as events and the activity log describe it.
fn request_json(request: &ChangeRequest) -> Value {
    json!({
        "id": request.id,
        "action": request.action.as_str(),
        "version": request.number.label(),
        "state": request.state.as_str(),
        "note": request.note,
        "requested_by": request.requested_by,
        "decision_note": request.decision_note,
    })
}

async fn load(tx: &mut Transaction<'_, Any>, actor: &Actor, id: i64) -> Result<ChangeRequest> {
    let row = sqlx::query(AssertSqlSafe(format!("{REQUEST_QUERY} and r.id = $2")))
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| VaultError::NotFound(format!("no request {id} in this workspace")))?;
    request_from_row(&row)
}

/// The request, if it is still open, and who opened it.
async fn open_request(
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
async fn decide(
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

fn not_open(request: &ChangeRequest) -> VaultError {
    VaultError::conflict(
        Conflict::NotOpen,
        format!(
            "request {} is {} already; nothing more can be done with it",
            request.id,
            request.state.as_str()
        ),
    )
}

/// The drafts open requests ask to promote, by prompt name (of one prompt, or of the
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
         and r.action = 'promote' and v.status = 'draft' order by p.name, r.number",
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

/// Refuses to change draft `number` while an open request asks to promote it: the approval
/// would publish content its reviewer never saw (the database refuses it too).
pub(crate) async fn refuse_under_review(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    number: VersionNumber,
) -> Result<()> {
    let open: Option<i64> = sqlx::query_scalar(
        "select id from requests where prompt_id = $1 and number = $2 and action = 'promote' \
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

/// The open request to do `action` with version `number` of the prompt, if there is one.
async fn open_request_for(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    action: RequestAction,
    number: VersionNumber,
) -> Result<Option<ChangeRequest>> {
    let id: Option<i64> = sqlx::query_scalar(
        "select id from requests where prompt_id = $1 and action = $2 and number = $3 and state = 'open' \
         order by id limit 1",
    )
    .bind(prompt.id)
    .bind(action.as_str())
    .bind(number.get())
    .fetch_optional(&mut **tx)
    .await?;
    match id {
        Some(id) => Ok(Some(load(tx, actor, id).await?)),
        None => Ok(None),
    }
}
