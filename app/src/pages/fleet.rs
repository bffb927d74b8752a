//! Fleet: what the applications really serve, from their reports and reads — per prompt and
//! label, which versions, by how many instances, how many uses (last 5 and 60 minutes), and
//! the instances still on a version older than the label's. The whole workspace, or one
//! prompt (`/fleet?prompt=…`). It reloads itself every few seconds, so that a promote shows
//! as it lands.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use types::fleet::{FleetItemJson, FleetJson};

use super::{Loading, SignedIn, shown};
use crate::api;

/// How often the page asks again.
const EVERY: Duration = Duration::from_secs(2);

#[component]
pub fn FleetPage() -> impl IntoView {
    let query = use_query_map();
    let prompt = Memo::new(move |_| query.read().get("prompt").filter(|p| !p.is_empty()));
    let tick = RwSignal::new(0u64);
    // In the browser only (effects do not run on the server).
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let fleet = Resource::new(move || (prompt.get(), tick.get()), |(prompt, _)| api::load_fleet(prompt));
    let title = move || match prompt.get() {
        Some(name) => format!("Fleet: {name}"),
        None => "Fleet".to_owned(),
    };
    view! {
        <SignedIn>
            <div class="page-head">
                <h1>{title}</h1>
                {move || prompt.get().map(|name| view! {
                    <A href=format!("/prompts/{name}") attr:class="hint">"Back to the prompt"</A>
                })}
            </div>
            <p class="hint">"What the applications serve, from what their SDKs read and report: the instances serving each version now (seen in the last 15 seconds) and in the last 5 minutes, the uses in the last 5 and 60. Greyed: served earlier in the hour, not now."</p>
            <Transition fallback=Loading>
                {shown(fleet, move |fleet| view! { <FleetTable fleet/> }.into_any())}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn FleetTable(fleet: FleetJson) -> impl IntoView {
    if fleet.items.iter().all(|item| item.versions.is_empty()) {
        return view! {
            <p class="empty">"No application has reported in the last hour. The SDK reports what it serves when it is given an application name."</p>
        }
        .into_any();
    }
    view! {
        <div class="fleet">
            {fleet.items.into_iter().map(|item| view! { <FleetItem item/> }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn FleetItem(item: FleetItemJson) -> impl IntoView {
    let FleetItemJson { prompt, label, version, versions, stale } = item;
    let at = version.clone().map_or_else(|| "points nowhere".to_owned(), |v| format!("on {v}"));
    let stale = (!stale.is_empty()).then(|| {
        view! {
            <p class="stale">"Still on an older version: "
                {stale.into_iter().map(|s| view! {
                    <span class="badge none" title=format!("last seen {}", s.last_seen)>{format!("{} {} ({})", s.app, s.instance, s.version)}</span>
                }).collect_view()}
            </p>
        }
    });
    let current = version.unwrap_or_default();
    let (href, data_prompt, data_label) = (format!("/prompts/{prompt}"), prompt.clone(), label.clone());
    view! {
        <section class="card fleet-item" data-prompt=data_prompt data-label=data_label>
            <div class="row">
                <A href=href attr:class="mono">{prompt}</A>
                <span class="badge">{label}</span>
                <span>{at}</span>
            </div>
            <table class="tokens">
                <thead><tr>
                    <th scope="col">"Version"</th><th scope="col">"Instances now"</th><th scope="col">"Instances (5 min)"</th>
                    <th scope="col">"Uses (5 min)"</th><th scope="col">"Uses (60 min)"</th><th scope="col">"Failures (60 min)"</th>
                </tr></thead>
                <tbody>
                    {versions.into_iter().map(|v| {
                        let mark = (v.version == current).then(|| view! { <span class="badge live">"the label's"</span> });
                        // Served now (seen in the last seconds), or only earlier in the hour.
                        let class = if v.instances_now > 0 { "fleet-version now" } else { "fleet-version earlier" };
                        view! {
                            <tr class=class data-version=v.version.clone()>
                                <td class="mono">{v.version.clone()}" "{mark}</td>
                                <td class="instances-now">{v.instances_now}</td>
                                <td class="instances">{v.instances}</td>
                                <td>{v.uses_5m}</td>
                                <td>{v.uses_60m}</td>
                                <td>{v.failures_60m}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {stale}
        </section>
    }
}
