//! `/join/<token>`: an invitation link. A new person picks a name and password; a person
//! with an account here gives its password. A used, revoked or expired link says so.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::{ErrorNote, Loading, action_error};
use crate::api::{self, Join};
use types::InvitationPreviewJson;

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invitation = Resource::new(token, api::load_invitation);
    view! {
        <main class="auth">
            <div class="auth-card">
                <p class="brand">"PromptVault"</p>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match invitation.await {
                            Ok(info) => view! { <JoinForm info token=token()/> }.into_any(),
                            Err(error) => view! {
                                <h1>"This invitation cannot be used"</h1>
                                <ErrorNote error/>
                                <p class="hint">"Ask whoever invited you for a new link, or "<A href="/sign-in">"sign in"</A>"."</p>
                            }
                            .into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
fn JoinForm(info: InvitationPreviewJson, token: String) -> impl IntoView {
    let action = ServerAction::<Join>::new();
    let fields = if info.has_account {
        view! {
            <p class="hint">"You have an account here: sign in with its password to join."</p>
            <input type="hidden" name="name" value=""/>
            <label>"Password"
                <input type="password" name="password" required autocomplete="current-password"/>
            </label>
        }
        .into_any()
    } else {
        view! {
            <label>"Your name"
                <input type="text" name="name" required maxlength="100" autocomplete="name"/>
            </label>
            <label>"Password"
                <input type="password" name="password" required minlength="8" autocomplete="new-password"/>
                <span class="hint">"At least 8 characters."</span>
            </label>
        }
        .into_any()
    };
    view! {
        <h1>"Join " {info.workspace.clone()}</h1>
        <p class="hint">{info.invited_by}" invited "<strong>{info.email.clone()}</strong>" as "{info.role.as_str()}"."</p>
        <ActionForm action=action>
            <input type="hidden" name="token" value=token/>
            <label>"Email"<input type="email" value=info.email readonly autocomplete="username"/></label>
            {fields}
            {action_error(action)}
            <button type="submit" class="primary" disabled=move || action.pending().get()>
                {format!("Join {}", info.workspace)}
            </button>
        </ActionForm>
    }
}
