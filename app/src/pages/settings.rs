//! Settings: your account, the way to Members, new workspaces, Enable staging, API keys
//! and the way to Integrations (admins), and the member's personal access tokens.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Loading, Moment, SignedIn, action_error, shown};
use types::{ChangeRule, KeyKind, MAX_SHORT_TEXT_CHARS};

use crate::api::{
    self, ApiKeyRow, ChangePassword, CreateAccessToken, CreateApiKey, CreateWorkspace, CreatedToken,
    RenameSelf, RevokeAccessToken, RevokeApiKey, SetLiveChanges, SetStagingEnabled, SettingsView,
    SignOutEverywhere, When,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let toggle = ServerAction::<SetStagingEnabled>::new();
    let create = ServerAction::<CreateAccessToken>::new();
    let revoke = ServerAction::<RevokeAccessToken>::new();
    let keys = KeyActions { create: ServerAction::new(), revoke: ServerAction::new() };
    let account = AccountActions {
        rename: ServerAction::new(),
        password: ServerAction::new(),
        everywhere: ServerAction::new(),
    };
    let settings = Resource::new(
        move || {
            (
                toggle.version().get(),
                create.version().get(),
                revoke.version().get(),
                keys.create.version().get(),
                keys.revoke.version().get(),
                account.rename.version().get(),
            )
        },
        |_| api::load_settings(),
    );
    view! {
        <SignedIn>
            <h1>"Settings"</h1>
            <Transition fallback=Loading>
                {shown(settings, move |s| view! { <SettingsBody settings=s toggle create revoke keys account/> }.into_any())}
            </Transition>
        </SignedIn>
    }
}

#[component]
fn SettingsBody(
    settings: SettingsView,
    toggle: ServerAction<SetStagingEnabled>,
    create: ServerAction<CreateAccessToken>,
    revoke: ServerAction<RevokeAccessToken>,
    keys: KeyActions,
    account: AccountActions,
) -> impl IntoView {
    let enabled = settings.settings.staging_enabled;
    let api_keys = settings.can_administer.then(
        || view! { <ApiKeys keys=settings.api_keys.clone() labels=settings.labels.clone() actions=keys/> },
    );
    let integrations = settings.can_administer.then(|| {
        view! {
            <section class="card" aria-labelledby="integrations-title">
                <h2 id="integrations-title">"Integrations"</h2>
                <p class="hint">"Webhooks: signed events to Slack bots, CI and cache busters when a version is promoted, live is rolled back, staging moves or a draft is deleted."</p>
                <A href="/settings/integrations" attr:class="button">"Manage webhooks"</A>
            </section>
        }
    });
    let staging = if settings.can_administer {
        view! {
            <ActionForm action=toggle>
                <input type="hidden" name="enabled" value=(!enabled).to_string()/>
                <div class="row">
                    <button type="submit" role="switch" aria-checked=enabled.to_string() class="switch"
                        disabled=move || toggle.pending().get()>
                        {if enabled { "Disable staging" } else { "Enable staging" }}
                    </button>
                    <span class="hint">{if enabled { "Staging is on." } else { "Staging is off." }}</span>
                </div>
                {action_error(toggle)}
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="hint">{if enabled { "Staging is on." } else { "Staging is off." }}" Only admins change this."</p> }
            .into_any()
    };
    let created =
        move || create.value().get().and_then(Result::ok).map(|created| view! { <ShownOnce created/> });
    let tokens = settings.tokens;
    let name = settings.name.clone();
    view! {
        <AccountCard name account/>
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <p class="hint">"Who is in this workspace, and their roles. Admins invite people and change roles; owners make owners."</p>
            <A href="/settings/members" attr:class="button">"Members and invitations"</A>
        </section>
        <WorkspacesCard/>
        <section class="card" aria-labelledby="labels-title">
            <h2 id="labels-title">"Labels"</h2>
            <p class="hint">"Named pointers beside live and staging (eu, canary, qa…), each with its rule; keys read one."</p>
            <A href="/settings/labels" attr:class="button">"Manage labels"</A>
        </section>
        <LiveChangesCard rule=settings.settings.live_changes can_administer=settings.can_administer/>
        <section class="card" aria-labelledby="staging-title">
            <h2 id="staging-title">"Staging"</h2>
            <p class="hint">
                "When on, each prompt can point staging at any version — a draft too — and applications with "
                <code>"pv_test_"</code> " keys read it. When off, every staging control is hidden and test keys read the live version. Nothing is deleted either way."
            </p>
            {staging}
        </section>
        {api_keys}
        {integrations}
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Personal access tokens"</h2>
            <p class="hint">"For scripts and CI calling the management API as you: " <code>"Authorization: Bearer pv_pat_…"</code></p>
            {created}
            {if tokens.is_empty() {
                view! { <p class="empty">"You have no tokens."</p> }.into_any()
            } else {
                view! {
                    <table class="tokens">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Token"</th><th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|t| view! {
                                <tr class="token-row">
                                    <td>{t.token.name.clone()}{t.token.abort_only.then(|| view! { " " <span class="badge">"aborts rollouts only"</span> })}</td>
                                    <td class="mono">{t.token.hint()}</td>
                                    <td><Moment when=t.created/></td>
                                    <td>{last_used(t.last_used)}</td>
                                    <td><div class="actions">
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=t.token.id/>
                                            <button type="submit" class="small danger" aria-label=format!("Revoke {}", t.token.name)>"Revoke"</button>
                                        </ActionForm>
                                    </div></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {action_error(revoke)}
            <ActionForm action=create>
                <div class="row">
                    <label class="grow">"Token name"<input type="text" name="name" required maxlength="100" placeholder="ci"/></label>
                    <button type="submit" disabled=move || create.pending().get()>"Create token"</button>
                </div>
                <label class="check">
                    <input type="checkbox" name="abort_only" value="on"/>
                    " Only to abort rollouts (for the monitoring that watches one: it can do nothing else)"
                </label>
                {action_error(create)}
            </ActionForm>
        </section>
    }
}

#[derive(Clone, Copy)]
struct KeyActions {
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
}

/// A secret just created, shown this once.
#[component]
pub(super) fn ShownOnce(created: CreatedToken) -> impl IntoView {
    view! {
        <div class="secret" role="status">
            <p><strong>{created.name}</strong> " created. Copy it now: it will not be shown again."</p>
            <code class="mono">{created.secret}</code>
        </div>
    }
}

/// Settings -> API keys (admins): what applications read prompts with.
#[component]
fn ApiKeys(keys: Vec<ApiKeyRow>, labels: Vec<String>, actions: KeyActions) -> impl IntoView {
    let created = move || {
        actions.create.value().get().and_then(Result::ok).map(|created| view! { <ShownOnce created/> })
    };
    let list = if keys.is_empty() {
        view! { <p class="empty">"No API keys yet."</p> }.into_any()
    } else {
        view! {
            <table class="tokens">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Kind"</th><th scope="col">"Reads"</th><th scope="col">"Key"</th>
                    <th scope="col">"Created"</th><th scope="col">"Last used"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {keys.into_iter().map(|k| view! {
                        <tr class="key-row">
                            <td>{k.key.name.clone()}</td>
                            <td><span class=format!("badge {}", if k.key.kind == KeyKind::Live { "live" } else { "staging" })>{k.key.kind.as_str()}</span></td>
                            <td><span class="badge">{k.key.label.clone()}</span></td>
                            <td class="mono">{k.key.hint()}</td>
                            <td><Moment when=k.created/></td>
                            <td>{last_used(k.last_used)}</td>
                            <td><div class="actions">
                                <ActionForm action=actions.revoke>
                                    <input type="hidden" name="id" value=k.key.id/>
                                    <button type="submit" class="small danger" aria-label=format!("Revoke {}", k.key.name)>"Revoke"</button>
                                </ActionForm>
                            </div></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="keys-title">
            <h2 id="keys-title">"API keys"</h2>
            <p class="hint">
                "Applications read prompts with these: " <code>"GET /v1/prompts/{name}"</code> " with "
                <code>"Authorization: Bearer …"</code> ". Live keys read the live version; test keys read staging, or live when staging is off or unset. A revoked key stops working at once."
            </p>
            {created}
            {list}
            {action_error(actions.revoke)}
            <ActionForm action=actions.create>
                <div class="row">
                    <label class="grow">"Key name"<input type="text" name="name" required maxlength="100" placeholder="production web"/></label>
                    <label>"Kind"
                        <select name="kind">
                            <option value="live">"Live (pv_live_)"</option>
                            <option value="test">"Test (pv_test_)"</option>
                        </select>
                    </label>
                    <label>"Reads"
                        <select name="label">
                            <option value="">"live for a live key, staging for a test key"</option>
                            {labels.into_iter().map(|label| view! { <option value=label.clone()>{label.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" disabled=move || actions.create.pending().get()>"Create key"</button>
                </div>
                {action_error(actions.create)}
            </ActionForm>
        </section>
    }
}

/// When a token or key was last used, or "never".
fn last_used(when: Option<When>) -> AnyView {
    match when {
        Some(when) => view! { <Moment when/> }.into_any(),
        None => view! { <span class="none">"never"</span> }.into_any(),
    }
}

#[derive(Clone, Copy)]
struct AccountActions {
    rename: ServerAction<RenameSelf>,
    password: ServerAction<ChangePassword>,
    everywhere: ServerAction<SignOutEverywhere>,
}

/// Who can change live: editors (directly), admins only, or review by a second person.
#[component]
fn LiveChangesCard(rule: ChangeRule, can_administer: bool) -> impl IntoView {
    const RULES: [(ChangeRule, &str); 3] = [
        (ChangeRule::Editors, "Editors, admins and owners promote and roll back directly."),
        (ChangeRule::Admins, "Only admins and owners promote and roll back; editors still draft and stage."),
        (ChangeRule::Review, "Every promote and rollback is a request that a second person approves."),
    ];
    let save = ServerAction::<SetLiveChanges>::new();
    let current = RULES.iter().find(|(r, _)| *r == rule).map_or("", |(_, words)| words);
    let body = if can_administer {
        let options = RULES
            .into_iter()
            .map(|(value, words)| {
                view! {
                    <label class="choice">
                        <input type="radio" name="rule" value=value.as_str() checked=value == rule/>
                        {words}
                    </label>
                }
            })
            .collect_view();
        view! {
            <ActionForm action=save>
                <fieldset>
                    <legend class="visually-hidden">"Who can change live"</legend>
                    {options}
                </fieldset>
                {action_error(save)}
                <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                {move || save.value().get().and_then(Result::ok).map(|()| view! { <span class="hint" role="status">" Saved."</span> })}
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="hint">{current}" Only admins change this."</p> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="live-changes-title">
            <h2 id="live-changes-title">"Who can change live"</h2>
            {body}
        </section>
    }
}

/// Workspaces: anyone may start a new one, which they own; the header switches between
/// them.
#[component]
fn WorkspacesCard() -> impl IntoView {
    let create = ServerAction::<CreateWorkspace>::new();
    view! {
        <section class="card" aria-labelledby="workspaces-title">
            <h2 id="workspaces-title">"Workspaces"</h2>
            <p class="hint">"A new workspace starts empty, with you as its owner. Nothing crosses workspaces: prompts, keys, tokens and webhooks belong to one."</p>
            <ActionForm action=create>
                <div class="row">
                    <label class="grow">"Workspace name"
                        <input type="text" name="name" required maxlength=MAX_SHORT_TEXT_CHARS autocomplete="organization"/>
                    </label>
                    <button type="submit" disabled=move || create.pending().get()>"Create workspace"</button>
                </div>
                {action_error(create)}
            </ActionForm>
        </section>
    }
}

/// Your account: your name, your password, and signing out of every session.
#[component]
fn AccountCard(name: String, account: AccountActions) -> impl IntoView {
    let changed = move || {
        account.password.value().get().and_then(Result::ok).map(|()| {
            view! { <p class="hint" role="status">"Password changed. Your other sessions have ended, and your personal access tokens are revoked."</p> }
        })
    };
    view! {
        <section class="card" aria-labelledby="account-title">
            <h2 id="account-title">"Your account"</h2>
            <ActionForm action=account.rename>
                <div class="row">
                    <label class="grow">"Your name"
                        <input type="text" name="name" required maxlength=MAX_SHORT_TEXT_CHARS value=name autocomplete="name"/>
                    </label>
                    <button type="submit" disabled=move || account.rename.pending().get()>"Save name"</button>
                </div>
                {action_error(account.rename)}
            </ActionForm>
            <ActionForm action=account.password>
                <div class="row">
                    <label class="grow">"Current password"
                        <input type="password" name="current_password" required autocomplete="current-password"/>
                    </label>
                    <label class="grow">"New password"
                        <input type="password" name="new_password" required minlength="8" autocomplete="new-password"/>
                    </label>
                    <button type="submit" disabled=move || account.password.pending().get()>"Change password"</button>
                </div>
                {action_error(account.password)}
                {changed}
            </ActionForm>
            <ActionForm action=account.everywhere>
                <button type="submit" class="danger">"Sign out everywhere"</button>
                {action_error(account.everywhere)}
            </ActionForm>
        </section>
    }
}
