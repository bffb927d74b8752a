//! The Rollouts card: per protected label, the running rollout with its share, ramp and
//! guard, and the forms that change, complete or abort it; or the latest one that ended and
//! the form that starts the next.

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::{Loading, action_error, shown};
use super::{Actions, View};
use crate::api::{self, AbortRollout, ChangeRollout, CompleteRollout, RolloutLine, StartRollout};
use types::rollouts::RolloutJson;

/// The actions that steer a label's rollout.
#[derive(Clone, Copy)]
pub(super) struct RolloutActions {
    pub start: ServerAction<StartRollout>,
    pub change: ServerAction<ChangeRollout>,
    pub complete: ServerAction<CompleteRollout>,
    pub abort: ServerAction<AbortRollout>,
}

impl RolloutActions {
    pub fn new() -> Self {
        RolloutActions {
            start: ServerAction::new(),
            change: ServerAction::new(),
            complete: ServerAction::new(),
            abort: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes, for the resources that follow them.
    pub fn versions(self) -> (usize, usize, usize, usize) {
        (
            self.start.version().get(),
            self.change.version().get(),
            self.complete.version().get(),
            self.abort.version().get(),
        )
    }
}

#[component]
pub(super) fn RolloutsCard(view: Memo<View>, actions: Actions) -> impl IntoView {
    let rollouts = Resource::new(
        move || {
            (
                view.with(|v| v.name.clone()),
                actions.rollouts.versions(),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
                actions.move_label.version().get(),
                actions.save.version().get(),
                actions.reviews.version(),
            )
        },
        |(name, ..)| api::load_rollouts(name),
    );
    let fleet = move || format!("/fleet?prompt={}", view.with(|v| v.name.clone()));
    view! {
        <section class="card rollouts" aria-labelledby="rollouts-title">
            <div class="row spread">
                <h2 id="rollouts-title">"Rollouts"</h2>
                <A href=fleet attr:class="hint">"What the applications serve"</A>
            </div>
            <p class="hint">"Give a new version to a share of units (users, sessions, tenants) first; each unit keeps its version as the share grows."</p>
            <Transition fallback=Loading>
                {shown(rollouts, move |lines| {
                    view! {
                        <ul class="plain">
                            {lines.into_iter().map(|line| view! { <RolloutLineView line view actions/> }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
            {action_error(actions.rollouts.start)}
            {action_error(actions.rollouts.change)}
            {action_error(actions.rollouts.complete)}
            {action_error(actions.rollouts.abort)}
        </section>
    }
}

#[component]
fn RolloutLineView(line: RolloutLine, view: Memo<View>, actions: Actions) -> impl IntoView {
    let name = view.with_untracked(|v| v.name.clone());
    let at = line.version.map_or_else(|| "points nowhere".to_owned(), |n| format!("on v{n}"));
    let body = match line.running() {
        Some(rollout) => running(rollout, &line, &name, view, actions).into_any(),
        None => {
            let last = line.rollout.as_ref().map(ended);
            let start = (line.may_steer && !line.candidates.is_empty())
                .then(|| starting(&line, &name, view, actions));
            let why_not = why_no_start(&line).map(|why| view! { <p class="hint">{why}</p> });
            view! { {last}{start}{why_not} }.into_any()
        }
    };
    view! {
        <li class="rollout-line" data-label=line.label.clone()>
            <div class="row">
                <span class="badge">{line.label.clone()}</span>
                <span>{at}</span>
            </div>
            {body}
        </li>
    }
}

/// A running rollout: its split, what comes next, and the forms that steer it.
fn running(
    rollout: &RolloutJson,
    line: &RolloutLine,
    name: &str,
    view: Memo<View>,
    actions: Actions,
) -> impl IntoView + use<> {
    let split = format!(
        "Rolling {} out: {} % of units read {}, the rest {}.",
        rollout.to, rollout.percent, rollout.to, rollout.from
    );
    let next = rollout.schedule.first().map(|step| {
        let when = rollout.next_step_at.as_deref().map(minute).unwrap_or_default();
        let more = rollout.schedule.len() - 1;
        let more = if more == 0 {
            String::new()
        } else {
            format!(" ({more} more step{} after)", if more == 1 { "" } else { "s" })
        };
        view! { <p class="hint">"Next: "{step.percent}" % at "{when}{more}</p> }
    });
    let guard = rollout.guard.as_ref().map(|g| {
        view! {
            <p class="hint">
                {format!(
                    "Stops by itself if {} fails more than {} points more often than {}, after {} uses of it.",
                    rollout.to, g.max_failure_increase * 100.0, rollout.from, g.min_uses
                )}
            </p>
        }
    });
    let back = move || view.get().url();
    let fields = {
        let (name, label) = (name.to_owned(), line.label.clone());
        move || {
            let (name, label) = (name.clone(), label.clone());
            view! {
                <input type="hidden" name="name" value=name/>
                <input type="hidden" name="label" value=label/>
                <input type="hidden" name="back" prop:value=back value=back()/>
            }
        }
    };
    let (percent, from, to, label) =
        (rollout.percent.to_string(), rollout.from.clone(), rollout.to.clone(), line.label.clone());
    let by_request = line.by_request;
    let number = to.trim_start_matches('v').to_owned();
    let steer = line.may_steer.then(|| {
        let r = actions.rollouts;
        let share_label = format!("Share of {label}");
        let (change_fields, complete_fields) = (fields(), fields());
        let (change_number, complete_number) = (number.clone(), number.clone());
        let (set, complete) = if by_request {
            ("Request the share".to_owned(), format!("Request to complete: {label} on {to}"))
        } else {
            ("Set the share".to_owned(), format!("Complete: {label} on {to}"))
        };
        view! {
            <ActionForm action=r.change attr:class="row">
                {change_fields}
                <input type="hidden" name="number" value=change_number/>
                <label>{share_label}<input type="text" name="percent" inputmode="decimal" size="6" value=percent/></label>
                {note_field(by_request)}
                <button type="submit" class="small">{set}</button>
            </ActionForm>
            <ActionForm action=r.complete attr:class="row">
                {complete_fields}
                <input type="hidden" name="number" value=complete_number/>
                {note_field(by_request)}
                <button type="submit" class="small">{complete}</button>
            </ActionForm>
        }
    });
    let abort = line.may_abort.then(|| {
        let abort_fields = fields();
        view! {
            <ActionForm action=actions.rollouts.abort attr:class="row">
                {abort_fields}
                <input type="text" name="reason" maxlength="500" placeholder="Why (optional)" aria-label="Why abort"/>
                <button type="submit" class="small danger">{format!("Abort: back to {from}")}</button>
            </ActionForm>
        }
    });
    view! {
        <p class="rollout-split">{split}</p>
        {next}
        {guard}
        {steer}
        {abort}
    }
}

/// Under review, the note for the reviewer that makes a form a request.
fn note_field(by_request: bool) -> Option<impl IntoView + use<>> {
    by_request.then(|| {
        view! {
            <input type="text" name="note" maxlength="2000" placeholder="Note for the reviewer" aria-label="Note for the reviewer"/>
        }
    })
}

/// Why the line offers no rollout to start, when it does not.
fn why_no_start(line: &RolloutLine) -> Option<String> {
    let label = &line.label;
    if line.version.is_none() {
        Some(format!(
            "{label} points at no version of this prompt yet: move it first, then roll the next one out."
        ))
    } else if line.may_steer && line.candidates.is_empty() {
        Some(format!("No version newer than {label}'s: save one to roll it out."))
    } else {
        None
    }
}

/// The latest rollout that ended, in one line.
fn ended(rollout: &RolloutJson) -> impl IntoView + use<> {
    let how = match rollout.state.as_str() {
        "completed" => format!("The last rollout, of {}, completed.", rollout.to),
        _ => format!(
            "The last rollout, of {}, was aborted{}.",
            rollout.to,
            rollout.reason.as_deref().filter(|r| !r.is_empty()).map(|r| format!(": {r}")).unwrap_or_default()
        ),
    };
    view! { <p class="hint rollout-ended">{how}</p> }
}

/// The form that starts a rollout of one of the label's newer versions.
fn starting(line: &RolloutLine, name: &str, view: Memo<View>, actions: Actions) -> impl IntoView + use<> {
    let back = move || view.get().url();
    let options = line
        .candidates
        .iter()
        .map(|n| view! { <option value=n.to_string()>{format!("v{n}")}</option> })
        .collect_view();
    let field = format!("Roll out on {}", line.label);
    let (name, label, by_request) = (name.to_owned(), line.label.clone(), line.by_request);
    view! {
        <ActionForm action=actions.rollouts.start attr:class="rollout-start">
            <input type="hidden" name="name" value=name/>
            <input type="hidden" name="label" value=label/>
            <input type="hidden" name="back" prop:value=back value=back()/>
            <div class="row">
                <label>{field}<select name="number">{options}</select></label>
                <label>"to % of units"<input type="text" name="percent" inputmode="decimal" size="6" value="10"/></label>
            </div>
            <div class="row">
                <label>"Then (optional)"<input type="text" name="ramp" placeholder="25, 50, 100" size="12"/></label>
                <label>"one step every"<input type="text" name="every" inputmode="numeric" size="4" value="30"/>" minutes"</label>
            </div>
            <div class="row">
                <label>"Stop if it fails more by (points, optional)"<input type="text" name="max_failure_points" inputmode="decimal" size="4" placeholder="2"/></label>
                <label>"after uses"<input type="text" name="min_uses" inputmode="numeric" size="6" value="500"/></label>
            </div>
            {note_field(by_request)}
            <button type="submit" class="small">{if by_request { "Request the rollout" } else { "Start the rollout" }}</button>
        </ActionForm>
    }
}

/// `2026-12-07T16:30:00Z` as `2026-12-07 16:30 UTC`.
fn minute(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(head) => format!("{} UTC", head.replace('T', " ")),
        None => rfc3339.to_owned(),
    }
}
