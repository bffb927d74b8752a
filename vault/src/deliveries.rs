//! The delivery queue, shared fairly. Deliveries are not sent in one global due order: a
//! workspace with many slow receivers would hold every slot, and everyone else's
//! notifications would wait behind its backlog for hours. Instead:
//!
//! - each claim takes the head (the earliest due delivery) of each enabled webhook, and
//!   hands them out round-robin across workspaces, earliest first within a round;
//! - a workspace has at most [`IN_FLIGHT_PER_WORKSPACE`] deliveries being sent at once,
//!   over every instance (a delivery being sent is marked `claimed_until`);
//! - test events and redeliveries, which a member can ask for at will, are limited per
//!   workspace ([`MANUAL_SENDS_PER_MINUTE`]).
//!
//! A claim looks at one row per enabled webhook (their number is bounded by the webhook
//! quota) and at the deliveries being sent, never at a workspace's whole backlog.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::Row;

use crate::attempts::DueDelivery;
use crate::db::Timestamp;
use crate::{Result, Vault, VaultError};

/// Deliveries of one workspace being sent at once, over all instances.
pub const IN_FLIGHT_PER_WORKSPACE: usize = 4;
/// Test events and redeliveries a workspace may ask for in a minute.
pub const MANUAL_SENDS_PER_MINUTE: u32 = 30;
/// PostgreSQL advisory lock that makes claims one at a time across instances, so that two
/// claiming at once cannot both see room in the same workspace.
const CLAIM_LOCK: i64 = 0x0050_5663_6c61_696d; // "PVclaim"

/// Limits on what members send by hand, per workspace.
#[derive(Clone)]
pub(crate) struct ManualSends(Arc<DefaultKeyedRateLimiter<i64>>);

impl Default for ManualSends {
    fn default() -> Self {
        let per_minute = NonZeroU32::new(MANUAL_SENDS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        ManualSends(Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))))
    }
}

impl ManualSends {
    /// Counts a test event or a redelivery of workspace `workspace_id`; refused as busy
    /// (429, with how long to wait) past the limit.
    pub(crate) fn count(&self, workspace_id: i64) -> Result<()> {
        use governor::clock::{Clock, DefaultClock};
        self.0.check_key(&workspace_id).map_err(|not_until| VaultError::Limited {
            what: "too many test events and redeliveries in this workspace",
            retry_after: crate::limits::wait_for(not_until.wait_time_from(DefaultClock::default().now())),
        })
    }

    pub(crate) fn forget_old(&self) {
        self.0.retain_recent();
    }
}

/// The earliest due delivery of one webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub workspace_id: i64,
    pub delivery_id: i64,
    pub due_at: i64,
}

/// Which of `heads` to send now, at most `limit`: round-robin across workspaces (each
/// round, one per workspace, the workspace whose head is due earliest first), a
/// workspace's earliest first, none for a workspace with `per_workspace` already being
/// sent (`busy`).
pub(crate) fn fair_pick(
    heads: &[Head],
    busy: &HashMap<i64, usize>,
    limit: usize,
    per_workspace: usize,
) -> Vec<i64> {
    let mut queues: BTreeMap<i64, VecDeque<Head>> = BTreeMap::new();
    let mut sorted = heads.to_vec();
    sorted.sort_by_key(|head| (head.due_at, head.delivery_id));
    for head in sorted {
        queues.entry(head.workspace_id).or_default().push_back(head);
    }
    // Workspaces in the order of their earliest head.
    let mut order: Vec<i64> = queues.keys().copied().collect();
    order.sort_by_key(|ws| queues[ws].front().map(|head| (head.due_at, head.delivery_id)));
    let mut sending: HashMap<i64, usize> = busy.clone();
    let mut picked = Vec::new();
    while picked.len() < limit {
        let mut took = false;
        for workspace_id in &order {
            if picked.len() >= limit {
                break;
            }
            let held = sending.entry(*workspace_id).or_default();
            if *held >= per_workspace {
                continue;
            }
            if let Some(head) = queues.get_mut(workspace_id).and_then(VecDeque::pop_front) {
                *held += 1;
                picked.push(head.delivery_id);
                took = true;
            }
        }
        if !took {
            break;
        }
    }
    picked
}

impl Vault {
    /// Takes up to `limit` deliveries that are due, for one worker, shared fairly across
    /// workspaces (see the module). Each is held for `hold` (longer than a send may take),
    /// so another worker does not send it too; if this one crashes mid-send, the delivery
    /// is due again after that, repeated but never lost.
    pub async fn claim_due_deliveries(&self, limit: i64, hold: Duration) -> Result<Vec<DueDelivery>> {
        let now = Timestamp::now();
        let mut tx = self.db.write.begin().await?;
        if self.db.backend == crate::Backend::Postgres {
            sqlx::query("select pg_advisory_xact_lock($1)").bind(CLAIM_LOCK).execute(&mut *tx).await?;
        }
        let heads = sqlx::query(
            "select w.workspace_id, d.id, d.next_attempt_at from webhooks w join deliveries d on d.id = \
                 (select h.id from deliveries h where h.webhook_id = w.id and h.state = 'pending' \
                      and h.next_attempt_at <= $1 and (h.claimed_until is null or h.claimed_until <= $1) \
                  order by h.next_attempt_at, h.id limit 1) \
             where w.enabled = 1",
        )
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Head { workspace_id: row.try_get(0)?, delivery_id: row.try_get(1)?, due_at: row.try_get(2)? })
        })
        .collect::<Result<Vec<_>>>()?;
        let busy = sqlx::query(
            "select w.workspace_id, count(*) from deliveries d join webhooks w on w.id = d.webhook_id \
             where d.claimed_until > $1 and d.state = 'pending' group by w.workspace_id",
        )
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<i64, _>(0)?, usize::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0))))
        .collect::<Result<HashMap<_, _>>>()?;
        let limit = usize::try_from(limit).unwrap_or(0);
        let mut due = Vec::new();
        for delivery_id in fair_pick(&heads, &busy, limit, IN_FLIGHT_PER_WORKSPACE) {
            let until = now.plus(hold).0;
            sqlx::query("update deliveries set next_attempt_at = $1, claimed_until = $1 where id = $2")
                .bind(until)
                .bind(delivery_id)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(
                "select d.webhook_id, w.url, w.secret, d.event_id, e.type, e.body, d.attempts \
                 from deliveries d join webhooks w on w.id = d.webhook_id join events e on e.id = d.event_id \
                 where d.id = $1",
            )
            .bind(delivery_id)
            .fetch_one(&mut *tx)
            .await?;
            due.push(DueDelivery {
                delivery_id,
                webhook_id: row.try_get("webhook_id")?,
                url: row.try_get("url")?,
                secret: row.try_get("secret")?,
                event_id: row.try_get("event_id")?,
                event_type: row.try_get("type")?,
                body: row.try_get("body")?,
                attempt: row.try_get::<i64, _>("attempts")? + 1,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    /// When the next pending delivery falls due, if any (for the worker's sleep).
    pub async fn next_delivery_due(&self) -> Result<Option<Timestamp>> {
        let next: Option<i64> = sqlx::query_scalar(
            "select min(d.next_attempt_at) from deliveries d join webhooks w on w.id = d.webhook_id \
             where d.state = 'pending' and w.enabled = 1",
        )
        .fetch_one(&self.db.read)
        .await?;
        Ok(next.map(Timestamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(workspace_id: i64, delivery_id: i64, due_at: i64) -> Head {
        Head { workspace_id, delivery_id, due_at }
    }

    #[test]
    fn workspaces_take_turns_and_none_takes_more_than_its_share() {
        // Workspace 1 has ten webhooks whose deliveries are all older than workspace 2's.
        let mut heads: Vec<Head> = (0..10).map(|i| head(1, 100 + i, i)).collect();
        heads.push(head(2, 200, 50));
        heads.push(head(3, 300, 60));
        let picked = fair_pick(&heads, &HashMap::new(), 16, 4);
        assert_eq!(picked, [100, 200, 300, 101, 102, 103], "one each a round, four at most for 1");
        // Room for two only: the two oldest workspaces get one each.
        assert_eq!(fair_pick(&heads, &HashMap::new(), 2, 4), [100, 200]);
        // Deliveries already being sent count against the share.
        let busy = HashMap::from([(1, 4), (2, 3)]);
        assert_eq!(fair_pick(&heads, &busy, 16, 4), [200, 300]);
        assert_eq!(fair_pick(&[], &HashMap::new(), 16, 4), Vec::<i64>::new());
    }
}
