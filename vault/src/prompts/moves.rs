//! Moving labels, each inside the caller's transaction: promote, roll back and stage (live
//! and staging, the prompt's own two pointers), and the workspace's own labels. Every move is
//! recorded (who, when, from, to), in the activity log and as events.

use serde_json::json;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use types::PersonJson;

use crate::Result;
use crate::access::Actor;
use crate::activity::{self, ActivityKind};
use crate::composition::{self, When};
use crate::content;
use crate::db::Timestamp;
use crate::events::{self, EventKind};
use crate::labels::{Found, Pointer};
use crate::names::{LabelName, VersionNumber};
use crate::prompts::model::{Channel, PromptRow, Requester, roll_back_refusal};
use crate::prompts::steps::{find_version, optional_number};
use crate::version::{Status, Version};

/// Makes version `number` live (publishing a draft); nothing changes if it is live already.
pub(crate) async fn promote_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
    requested_by: Option<&Requester>,
) -> Result<()> {
    let version = find_version(tx, prompt, number).await?;
    if prompt.live == Some(number) {
        return Ok(());
    }
    if version.status == Status::Draft {
        publish(tx, prompt, number).await?;
    }
    move_pointer(tx, actor, prompt, Channel::Live, Some(number), EventKind::VersionPromoted, requested_by)
        .await
}

/// Points staging at version `to`, or clears it with `None`; the caller has checked that
/// staging is enabled and that `to` is not where staging points already.
pub(crate) async fn stage_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    to: Option<VersionNumber>,
) -> Result<()> {
    move_pointer(tx, actor, prompt, Channel::Staging, to, EventKind::StagingChanged, None).await
}

/// Points live back at older published version `number`; returns that version.
pub(crate) async fn roll_back_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
    requested_by: Option<&Requester>,
) -> Result<Version> {
    let version = find_version(tx, prompt, number).await?;
    if let Some(refusal) = roll_back_refusal(&prompt.name, prompt.live, version.status, number) {
        return Err(refusal);
    }
    move_pointer(tx, actor, prompt, Channel::Live, Some(number), EventKind::VersionRolledBack, requested_by)
        .await?;
    Ok(version)
}

/// Moves label `found` of the prompt to version `to` (or off it, with `None`) as its kind
/// of label wants: live by promote or rollback (it is never cleared), staging as set, a label
/// of the workspace's own as below. The caller checked the label's rule (and for staging
/// that it is enabled). Nothing when the label is there already.
pub(crate) async fn move_label_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    found: &Found,
    to: Option<VersionNumber>,
    requested_by: Option<&Requester>,
) -> Result<()> {
    match (found.pointer, to) {
        (Pointer::Live, None) => Err(crate::VaultError::invalid(
            "version",
            "live is never cleared: promote or roll back to another version instead",
        )),
        (Pointer::Live, Some(number)) if prompt.live == Some(number) => Ok(()),
        (Pointer::Live, Some(number)) => {
            let version = find_version(tx, prompt, number).await?;
            let older = roll_back_refusal(&prompt.name, prompt.live, version.status, number).is_none();
            if older {
                roll_back_in(tx, actor, prompt, number, requested_by).await.map(drop)
            } else {
                promote_in(tx, actor, prompt, number, requested_by).await
            }
        }
        (Pointer::Staging, to) if prompt.staging == to => Ok(()),
        (Pointer::Staging, to) => stage_in(tx, actor, prompt, to).await,
        (Pointer::Own(id), to) => move_own_label_in(tx, actor, prompt, id, found, to, requested_by).await,
    }
}

/// Points the workspace's own label `id` of the prompt at version `to`, or takes it off the
/// prompt with `None`. A protected label moved to a draft publishes the draft, as promote
/// does (the database refuses a protected label on a draft too).
async fn move_own_label_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    id: i64,
    found: &Found,
    to: Option<VersionNumber>,
    requested_by: Option<&Requester>,
) -> Result<()> {
    let from = own_label_at(tx, prompt.id, id).await?;
    if from == to {
        return Ok(());
    }
    crate::prompts::splits::refuse_while_running(tx, prompt, &found.label.name).await?;
    if let Some(number) = to {
        let version = find_version(tx, prompt, number).await?;
        if found.label.protected && version.status == Status::Draft {
            // Publishing takes the right to change live (a published version is served as
            // Langfuse's `latest`); an approved request was that review.
            if requested_by.is_none() {
                require_publishing(tx, actor, &found.label.name).await?;
            }
            publish(tx, prompt, number).await?;
        }
    }
    let statement = match (from, to) {
        (_, None) => "delete from prompt_labels where prompt_id = $1 and label_id = $2",
        (None, Some(_)) => "insert into prompt_labels (prompt_id, label_id, number) values ($1, $2, $3)",
        (Some(_), Some(_)) => "update prompt_labels set number = $3 where prompt_id = $1 and label_id = $2",
    };
    let query = sqlx::query(statement).bind(prompt.id).bind(id);
    match to {
        Some(number) => query.bind(number.get()).execute(&mut **tx).await?,
        None => query.execute(&mut **tx).await?,
    };
    crate::prompts::steps::touch(tx, prompt).await?;
    let moved = Moved { label: &found.label.name, from, to, requested_by };
    record_move(tx, actor, prompt, moved, None).await
}

/// Refuses to publish a draft by moving protected label `label` onto it when the workspace's
/// rule for live does not let the actor publish directly.
pub(crate) async fn require_publishing(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    label: &LabelName,
) -> Result<()> {
    let rule = crate::settings::live_changes(tx, actor.workspace_id).await?;
    let forbidden = |_| {
        crate::VaultError::Forbidden(format!(
            "moving {label} to a draft publishes it, and in this workspace only admins and owners publish"
        ))
    };
    match actor.live_right(rule).map_err(forbidden)? {
        crate::access::ChangeRight::Directly => Ok(()),
        crate::access::ChangeRight::ByRequest => Err(crate::VaultError::conflict(
            crate::error::Conflict::ReviewRequired,
            format!(
                "moving {label} to a draft publishes it, and this workspace reviews every change to live: \
                 request the move, or move it to a published version"
            ),
        )),
    }
}

/// Whether the actor moves label `found` to a version of `status` by request: its rule is
/// review, or the move would publish a draft where live's rule is review. Refuses (403) an
/// actor who may not move it at all.
pub(crate) async fn moves_by_request(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    found: &Found,
    status: Status,
) -> Result<bool> {
    use crate::access::ChangeRight;
    if actor.change_right(found.label.name.as_str(), found.label.rule)? == ChangeRight::ByRequest {
        return Ok(true);
    }
    if found.pointer != Pointer::Live && found.label.protected && status == Status::Draft {
        let rule = crate::settings::live_changes(tx, actor.workspace_id).await?;
        return Ok(actor.live_right(rule)? == ChangeRight::ByRequest);
    }
    Ok(false)
}

/// Where the workspace's own label `id` points on prompt `prompt_id`.
pub(crate) async fn own_label_at(
    tx: &mut Transaction<'_, Any>,
    prompt_id: i64,
    id: i64,
) -> Result<Option<VersionNumber>> {
    let row = sqlx::query("select number from prompt_labels where prompt_id = $1 and label_id = $2")
        .bind(prompt_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) => optional_number(&row, "number"),
        None => Ok(None),
    }
}

/// Takes every label of the workspace's own off draft `number` (preview labels may point at
/// drafts), recording each move: the draft is about to be deleted.
pub(crate) async fn clear_own_labels_on(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    number: VersionNumber,
) -> Result<()> {
    let rows = sqlx::query(
        "select l.id, l.name from prompt_labels pl join labels l on l.id = pl.label_id \
         where pl.prompt_id = $1 and pl.number = $2 order by l.name",
    )
    .bind(prompt.id)
    .bind(number.get())
    .fetch_all(&mut **tx)
    .await?;
    for row in &rows {
        let name = LabelName::parse(&row.try_get::<String, _>("name")?)?;
        sqlx::query("delete from prompt_labels where prompt_id = $1 and label_id = $2")
            .bind(prompt.id)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut **tx)
            .await?;
        let moved = Moved { label: &name, from: Some(number), to: None, requested_by: None };
        record_move(tx, actor, prompt, moved, None).await?;
    }
    Ok(())
}

/// Publishes draft `number`: its references are resolved and pinned (refused, 422, when one
/// names anything but a published version of a text prompt), and it serves that content, with
/// the variables of that content, for ever.
pub(crate) async fn publish(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    number: VersionNumber,
) -> Result<()> {
    let draft = find_version(tx, prompt, number).await?;
    let composed = composition::compose(tx, prompt.id, &prompt.name, &draft.body, When::Publishing).await?;
    let served = composed.resolved.as_ref().unwrap_or(&draft.body);
    let version_id: i64 = sqlx::query_scalar(
        "update versions set status = 'live', resolved = $3, depth = $4, variables = $5 \
         where prompt_id = $1 and number = $2 returning id",
    )
    .bind(prompt.id)
    .bind(number.get())
    .bind(composed.resolved.as_ref().map(content::stored_source))
    .bind(i64::try_from(composed.depth).unwrap_or(i64::MAX))
    .bind(content::stored_variables(served))
    .fetch_one(&mut **tx)
    .await?;
    composition::write_pins(tx, version_id, &composed).await
}

async fn move_pointer(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    channel: Channel,
    to: Option<VersionNumber>,
    kind: EventKind,
    requested_by: Option<&Requester>,
) -> Result<()> {
    let (column, from) = match channel {
        Channel::Live => ("live_number", prompt.live),
        Channel::Staging => ("staging_number", prompt.staging),
    };
    if channel == Channel::Live {
        crate::prompts::splits::refuse_while_running(tx, prompt, &LabelName::live()).await?;
    }
    sqlx::query(AssertSqlSafe(format!("update prompts set {column} = $1, updated_at = $2 where id = $3")))
        .bind(to.map(VersionNumber::get))
        .bind(Timestamp::now().0)
        .bind(prompt.id)
        .execute(&mut **tx)
        .await?;
    let label = LabelName::parse(channel.as_str())?;
    let moved = Moved { label: &label, from, to, requested_by };
    record_move(tx, actor, prompt, moved, Some(kind)).await
}

/// One move of a label.
struct Moved<'a> {
    label: &'a LabelName,
    from: Option<VersionNumber>,
    to: Option<VersionNumber>,
    requested_by: Option<&'a Requester>,
}

/// Records a move: its row in the deployments, its activity entry, a `label.moved` event,
/// and for live and staging their own event (`built_in`) as well, whose id the row keeps.
async fn record_move(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    moved: Moved<'_>,
    built_in: Option<EventKind>,
) -> Result<()> {
    let Moved { label, from, to, requested_by } = moved;
    let event_id = events::new_event_id();
    sqlx::query(
        "insert into pointer_moves (prompt_id, label, from_number, to_number, actor_id, at, event_id, requested_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(prompt.id)
    .bind(label.as_str())
    .bind(from.map(VersionNumber::get))
    .bind(to.map(VersionNumber::get))
    .bind(actor.account_id)
    .bind(Timestamp::now().0)
    .bind(&event_id)
    .bind(requested_by.map(|r| r.account_id))
    .execute(&mut **tx)
    .await?;
    let version = match to {
        Some(n) => Some(find_version(tx, prompt, n).await?),
        None => None,
    };
    let previous = match from {
        Some(n) => Some(find_version(tx, prompt, n).await?),
        None => None,
    };
    let mut details = json!({
        "label": label.as_str(),
        "from": from.map(VersionNumber::label),
        "to": to.map(VersionNumber::label),
        "event_id": event_id,
    });
    if let Some(channel) = Channel::parse(label.as_str()) {
        details["channel"] = json!(channel.as_str());
    }
    if let Some(requester) = requested_by {
        details["requested_by"] = json!(requester.name);
    }
    let activity_kind = match built_in {
        Some(EventKind::VersionPromoted) => ActivityKind::VersionPromoted,
        Some(EventKind::VersionRolledBack) => ActivityKind::VersionRolledBack,
        Some(_) => ActivityKind::StagingChanged,
        None => ActivityKind::LabelMoved,
    };
    activity::record(tx, actor, activity_kind, Some(&prompt.name), details).await?;
    let requester = || requested_by.map(|r| PersonJson { name: r.name.clone(), email: r.email.clone() });
    let event = |id: String, kind: EventKind| events::Change {
        id,
        kind,
        prompt: Some(&prompt.name),
        label: Some(label.as_str()),
        version: version.as_ref(),
        previous: previous.as_ref(),
        requested_by: requester(),
        request: None,
        rollout: None,
    };
    let label_event_id = match built_in {
        Some(kind) => {
            events::record(tx, actor, event(event_id, kind), None).await?;
            events::new_event_id()
        }
        None => event_id,
    };
    events::record(tx, actor, event(label_event_id, EventKind::LabelMoved), None).await
}
