//! The Deployments timeline: every move of every label, who made it, when, from which
//! version to which, and its event id; one label's moves at a time if asked; "Roll back to
//! this" where the rules allow it.

use leptos::prelude::*;
use leptos_router::components::A;

use super::super::{Loading, Moment, shown};
use super::state::Confirm;
use super::{Actions, View};
use crate::api::{self, DeploymentRow, Deployments};

/// The Deployments timeline: every move of every label, who made it, when, from which
/// version to which, and its event id; "Roll back to this" on versions live before.
#[component]
pub(super) fn DeploymentsCard(view: Memo<View>, actions: Actions) -> impl IntoView {
    let deployments = Resource::new(
        move || {
            (
                view.with(|v| v.name.clone()),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
                actions.stage.version().get(),
                actions.delete.version().get(),
                actions.move_label.version().get(),
                actions.reviews.version(),
                actions.rollouts.versions(),
            )
        },
        |(name, ..)| api::load_deployments(name),
    );
    view! {
        <section class="card deployments" aria-labelledby="deployments-title">
            <h2 id="deployments-title">"Deployments"</h2>
            <Transition fallback=Loading>
                {shown(deployments, move |d| {
                    if d.moves.is_empty() {
                        view! { <p class="empty">"Nothing deployed yet: promote a version to make it live."</p> }.into_any()
                    } else {
                        view! { <DeploymentTable deployments=d view/> }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DeploymentTable(deployments: Deployments, view: Memo<View>) -> impl IntoView {
    let Deployments { moves } = deployments;
    // The labels the timeline names, for its filter; an empty choice shows every move.
    let mut labels: Vec<String> = moves.iter().map(|m| m.deployment.label.clone()).collect();
    labels.sort();
    labels.dedup();
    let only = RwSignal::new(String::new());
    view! {
        <div class="row filters">
            <label>"Label"
                <select name="deployments-label" on:change=move |ev| only.set(event_target_value(&ev))>
                    <option value="" selected>"Every label"</option>
                    {labels.into_iter().map(|label| view! { <option value=label.clone()>{label.clone()}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <table class="tokens timeline">
            <thead><tr>
                <th scope="col">"Label"</th><th scope="col">"Change"</th><th scope="col">"By"</th>
                <th scope="col">"When"</th><th scope="col">"Event"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {moves.into_iter().map(|DeploymentRow { deployment: m, at, roll_back }| {
                    let roll_back = roll_back.map(|to| view! {
                            <A href=move || view.get().confirming(Confirm::RollBack, to) attr:class="button small">
                                "Roll back to this"
                            </A>
                        });
                    // Live and staging have their colours; the workspace's own labels are plain.
                    let badge = match m.channel {
                        Some(channel) => format!("badge {}", channel.as_str()),
                        None => "badge".to_owned(),
                    };
                    let row_event = m.event_id.clone();
                    let label = m.label.clone();
                    let hidden = move || only.with(|only| !only.is_empty() && *only != label);
                    view! {
                        <tr class="deployment-row" data-event=row_event hidden=hidden>
                            <td><span class=badge>{m.label.clone()}</span></td>
                            <td class="mono">{m.from.unwrap_or_else(|| "nothing".into())}" → "{m.to.unwrap_or_else(|| "cleared".into())}</td>
                            <td>{m.actor}{m.requested_by.map(|r| format!(", approving {r}'s request"))}</td>
                            <td><Moment when=at/></td>
                            <td class="mono hint">{m.event_id}</td>
                            <td>{roll_back}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
