//! Settings: Enable staging (admins), and the member's personal access tokens.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{ErrorNote, Loading, Moment, SignedIn, action_error};
use crate::api::{self, CreateAccessToken, RevokeAccessToken, SetStagingEnabled, SettingsView};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let toggle = ServerAction::<SetStagingEnabled>::new();
    let create = ServerAction::<CreateAccessToken>::new();
    let revoke = ServerAction::<RevokeAccessToken>::new();
    let settings = Resource::new(
        move || (toggle.version().get(), create.version().get(), revoke.version().get()),
        |_| api::load_settings(),
    );
    view! {
        <SignedIn>
            <h1>"Settings"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) if e.signed_out => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(s) => view! { <SettingsBody settings=s toggle create revoke/> }.into_any(),
                    }
                })}
            </Suspense>
        </SignedIn>
    }
}

#[component]
fn SettingsBody(
    settings: SettingsView,
    toggle: ServerAction<SetStagingEnabled>,
    create: ServerAction<CreateAccessToken>,
    revoke: ServerAction<RevokeAccessToken>,
) -> impl IntoView {
    let enabled = settings.staging_enabled;
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
    let created = move || {
        create.value().get().and_then(Result::ok).map(|token| {
            view! {
                <div class="secret" role="status">
                    <p>"Token " <strong>{token.name}</strong> " created. Copy it now: it will not be shown again."</p>
                    <code class="mono">{token.secret}</code>
                </div>
            }
        })
    };
    let tokens = settings.tokens;
    view! {
        <section class="card" aria-labelledby="staging-title">
            <h2 id="staging-title">"Staging"</h2>
            <p class="hint">
                "When on, each prompt can point staging at any version — a draft too — and applications with "
                <code>"pv_test_"</code> " keys read it. When off, every staging control is hidden and test keys read the live version. Nothing is deleted either way."
            </p>
            {staging}
        </section>
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
                                    <td>{t.name.clone()}</td>
                                    <td class="mono">{t.hint}</td>
                                    <td><Moment when=t.created/></td>
                                    <td>{match t.last_used { Some(when) => view! { <Moment when/> }.into_any(), None => view! { <span class="none">"never"</span> }.into_any() }}</td>
                                    <td><div class="actions">
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=t.id/>
                                            <button type="submit" class="small danger" aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
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
                {action_error(create)}
            </ActionForm>
        </section>
    }
}
