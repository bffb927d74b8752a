//! Before signing in: the front door, first-run setup, sign-in.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{ErrorNote, Loading, action_error};
use crate::api::{self, SetUp, SignIn};

/// `/`: sends a visitor where they belong: setup, sign-in or their prompts.
#[component]
pub fn Home() -> impl IntoView {
    let visitor = Resource::new(|| (), |_| api::current_visitor());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match visitor.await {
                    Ok(v) if v.needs_setup => view! { <Redirect path="/setup"/> }.into_any(),
                    Ok(v) if v.member.is_some() => view! { <Redirect path="/prompts"/> }.into_any(),
                    Ok(_) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// First-run setup: only while the server has no member.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetUp>::new();
    view! {
        <main class="auth">
            <div class="auth-card">
                <p class="brand">"PromptVault"</p>
                <h1>"Set up your workspace"</h1>
                <p class="hint">"You will be its owner."</p>
                <ActionForm action=action>
                    <label>"Workspace name"
                        <input type="text" name="workspace" required maxlength="100" autocomplete="organization"/>
                    </label>
                    <label>"Your name"
                        <input type="text" name="name" required maxlength="100" autocomplete="name"/>
                    </label>
                    <label>"Email"
                        <input type="email" name="email" required autocomplete="username"/>
                    </label>
                    <label>"Password"
                        <input type="password" name="password" required minlength="8" autocomplete="new-password"/>
                        <span class="hint">"At least 8 characters."</span>
                    </label>
                    {action_error(action)}
                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                        "Create workspace"
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    view! {
        <main class="auth">
            <div class="auth-card">
                <p class="brand">"PromptVault"</p>
                <h1>"Sign in"</h1>
                <ActionForm action=action>
                    <label>"Email"
                        <input type="email" name="email" required autocomplete="username"/>
                    </label>
                    <label>"Password"
                        <input type="password" name="password" required autocomplete="current-password"/>
                    </label>
                    {action_error(action)}
                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                        "Sign in"
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
