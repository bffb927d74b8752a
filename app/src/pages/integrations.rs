//! Settings → Integrations (admins): webhooks. Which webhook's delivery log is open
//! (`?log=3`) and which is being edited (`?edit=3`) live in the URL.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::settings::ShownOnce;
use super::{Loading, Moment, SignedIn, action_error, shown};
use crate::api::{
    self, AddWebhook, AttemptRow, EditWebhook, EventKind, Redeliver, RemoveWebhook, RotateSecret,
    SendTestEvent, SetWebhookEnabled, WebhookRow,
};

const PAGE: &str = "/settings/integrations";

#[derive(Clone, Copy)]
struct Actions {
    add: ServerAction<AddWebhook>,
    edit: ServerAction<EditWebhook>,
    enable: ServerAction<SetWebhookEnabled>,
    rotate: ServerAction<RotateSecret>,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<SendTestEvent>,
    redeliver: ServerAction<Redeliver>,
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let query = use_query_map();
    let number = move |key: &str| query.read().get(key).and_then(|v| v.parse::<i64>().ok());
    let log = Memo::new(move |_| number("log"));
    let editing = Memo::new(move |_| number("edit"));
    let actions = Actions {
        add: ServerAction::new(),
        edit: ServerAction::new(),
        enable: ServerAction::new(),
        rotate: ServerAction::new(),
        remove: ServerAction::new(),
        test: ServerAction::new(),
        redeliver: ServerAction::new(),
    };
    let webhooks = Resource::new(
        move || {
            (
                actions.add.version().get(),
                actions.edit.version().get(),
                actions.enable.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| api::load_webhooks(),
    );
    let shown_once = move || {
        let made = actions.add.value().get().and_then(Result::ok);
        let rotated = actions.rotate.value().get().and_then(Result::ok);
        made.or(rotated).map(|created| view! { <ShownOnce created/> })
    };
    view! {
        <SignedIn>
            <p class="crumbs"><A href="/settings">"← Settings"</A></p>
            <h1>"Integrations"</h1>
            <section class="card" aria-labelledby="webhooks-title">
                <h2 id="webhooks-title">"Webhooks"</h2>
                <p class="hint">
                    "PromptVault POSTs a signed JSON event to each webhook when something happens to a prompt. "
                    "Verify the " <code>"PromptVault-Signature"</code> " header with the webhook's secret, and dedupe on "
                    <code>"PromptVault-Delivery"</code> " (the event id): a delivery can repeat, it is never lost. "
                    "Failed deliveries are retried for about a day."
                </p>
                {shown_once}
                {action_error(actions.enable)}
                {action_error(actions.remove)}
                {action_error(actions.rotate)}
                {action_error(actions.test)}
                <Transition fallback=Loading>
                    {shown(webhooks, move |list| {
                        if list.is_empty() {
                            view! { <p class="empty">"No webhooks yet."</p> }.into_any()
                        } else {
                            view! { <WebhookTable list log editing actions/> }.into_any()
                        }
                    })}
                </Transition>
                <h3>"Add a webhook"</h3>
                <ActionForm action=actions.add>
                    <WebhookFields url=String::new() events=EventKind::ticked_by_default()/>
                    <label class="check"><input type="checkbox" name="enabled" checked/>"Enabled: send events from now on"</label>
                    {action_error(actions.add)}
                    <button type="submit" class="primary" disabled=move || actions.add.pending().get()>"Add webhook"</button>
                </ActionForm>
            </section>
        </SignedIn>
    }
}

/// The URL field and one checkbox per event type.
#[component]
fn WebhookFields(url: String, events: Vec<EventKind>) -> impl IntoView {
    view! {
        <label>"Payload URL"
            <input type="url" name="url" required value=url placeholder="https://example.com/hooks/promptvault"/>
        </label>
        <fieldset class="events">
            <legend>"Events"</legend>
            {EventKind::SUBSCRIBABLE.iter().map(|kind| {
                let checked = events.contains(kind);
                let (kind, label) = (kind.as_str(), kind.description());
                let name = format!("events[{}]", kind.replace('.', "_"));
                view! {
                    <label class="check">
                        <input type="checkbox" name=name checked=checked/>
                        {label}" " <code>{kind}</code>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn WebhookTable(
    list: Vec<WebhookRow>,
    log: Memo<Option<i64>>,
    editing: Memo<Option<i64>>,
    actions: Actions,
) -> impl IntoView {
    view! {
        <table class="tokens webhooks">
            <thead><tr>
                <th scope="col">"URL"</th><th scope="col">"Events"</th><th scope="col">"Status"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|w| view! { <WebhookRowView w log editing actions/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn WebhookRowView(
    w: WebhookRow,
    log: Memo<Option<i64>>,
    editing: Memo<Option<i64>>,
    actions: Actions,
) -> impl IntoView {
    let w = w.webhook;
    let id = w.id;
    let status = if w.enabled {
        view! { <span class="badge live">"enabled"</span> }.into_any()
    } else {
        let reason = w.disabled_reason.clone().unwrap_or_else(|| "disabled".to_owned());
        view! { <span class="badge none" title=reason.clone()>"disabled"</span><span class="hint reason">{reason}</span> }.into_any()
    };
    let toggle_label = if w.enabled { "Disable" } else { "Enable" };
    let (url, events) = (w.url.clone(), w.events.clone());
    let log_link = move || if log.get() == Some(id) { PAGE.to_owned() } else { format!("{PAGE}?log={id}") };
    let (row_url, delete_label) = (w.url.clone(), format!("Delete {}", w.url));
    view! {
        <tr class="webhook-row" data-url=row_url>
            <td class="mono url">{w.url.clone()}</td>
            <td>{w.events.iter().map(|e| view! { <code class="event">{e.as_str()}</code>" " }).collect_view()}</td>
            <td>{status}</td>
            <td><div class="actions">
                <A href=log_link attr:class="button small">"Delivery log"</A>
                <ActionForm action=actions.test>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="small" disabled=!w.enabled>"Send test event"</button>
                </ActionForm>
                <A href=format!("{PAGE}?edit={id}") attr:class="button small">"Edit"</A>
                <ActionForm action=actions.enable>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="enabled" value=(!w.enabled).to_string()/>
                    <button type="submit" class="small">{toggle_label}</button>
                </ActionForm>
                <ActionForm action=actions.rotate>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="small">"Rotate secret"</button>
                </ActionForm>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="small danger" aria-label=delete_label>"Delete"</button>
                </ActionForm>
            </div></td>
        </tr>
        {move || (editing.get() == Some(id)).then(|| {
            let (url, events) = (url.clone(), events.clone());
            view! {
                <tr class="edit-row"><td colspan="4">
                    <ActionForm action=actions.edit>
                        <input type="hidden" name="id" value=id/>
                        <WebhookFields url events/>
                        {action_error(actions.edit)}
                        <div class="row">
                            <button type="submit" class="primary">"Save webhook"</button>
                            <A href=PAGE>"Cancel"</A>
                        </div>
                    </ActionForm>
                </td></tr>
            }
        })}
        {move || (log.get() == Some(id)).then(|| view! {
            <tr class="log-row"><td colspan="4"><DeliveryLog id actions/></td></tr>
        })}
    }
}

/// Every attempt to deliver to one webhook, newest first, with "Redeliver" per event.
#[component]
fn DeliveryLog(id: i64, actions: Actions) -> impl IntoView {
    let attempts = Resource::new(
        move || (actions.test.version().get(), actions.redeliver.version().get()),
        move |_| api::load_delivery_log(id),
    );
    view! {
        <div class="delivery-log">
            <div class="row">
                <h3>"Delivery log"</h3>
                <button type="button" class="small quiet" on:click=move |_| attempts.refetch()>"Refresh"</button>
            </div>
            {action_error(actions.redeliver)}
            <Transition fallback=Loading>
                {shown(attempts, move |list| {
                    if list.is_empty() {
                        view! { <p class="empty">"Nothing sent yet."</p> }.into_any()
                    } else {
                        view! { <AttemptTable id list actions/> }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn AttemptTable(id: i64, list: Vec<AttemptRow>, actions: Actions) -> impl IntoView {
    let mut seen = std::collections::HashSet::new();
    view! {
        <table class="tokens attempts">
            <thead><tr>
                <th scope="col">"Event"</th><th scope="col">"Attempt"</th><th scope="col">"Sent"</th>
                <th scope="col">"Answer"</th><th scope="col">"Took"</th><th scope="col">"Delivery"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|AttemptRow { attempt: a, at }| {
                    // "Redeliver" once per event, on its newest attempt.
                    let first_of_event = seen.insert(a.event_id.clone());
                    let answer = match (a.status_code, &a.error) {
                        (Some(code), _) => code.to_string(),
                        (None, Some(error)) => error.clone(),
                        (None, None) => "—".to_owned(),
                    };
                    let (event_id, row_event, row_delivery) = (a.event_id.clone(), a.event_id.clone(), a.delivery.as_str());
                    view! {
                        <tr class="attempt-row" data-event=row_event data-delivery=row_delivery>
                            <td><code class="event">{a.event_type.as_str()}</code><br/><span class="mono hint">{a.event_id}</span></td>
                            <td>{a.attempt}</td>
                            <td><Moment when=at/></td>
                            <td class="answer" title=a.error.clone().unwrap_or_default()>{answer}</td>
                            <td>{a.duration_ms}" ms"</td>
                            <td><span class=format!("delivery {}", a.delivery)>{a.delivery.as_str()}</span></td>
                            <td>{first_of_event.then(|| view! {
                                <ActionForm action=actions.redeliver>
                                    <input type="hidden" name="id" value=id/>
                                    <input type="hidden" name="event_id" value=event_id/>
                                    <button type="submit" class="small">"Redeliver"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
