//! The pages of the dashboard. Forms are `ActionForm`s: they post to their server function
//! and work before (or without) the WASM bundle.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::api::{self, AppError, SetUp, SignIn, SignOut};

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
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <main class="auth">
            <div class="auth-card">
                <p class="brand">"PromptVault"</p>
                <h1>"Set up your workspace"</h1>
                <p class="hint">"You will be its owner. You can invite your team afterwards."</p>
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
                    {move || error().map(|e| view! { <ErrorNote error=e/> })}
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
    let error = move || action.value().get().and_then(Result::err);
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
                    {move || error().map(|e| view! { <ErrorNote error=e/> })}
                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                        "Sign in"
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}

/// The workspace's prompts with their live and staging versions.
#[component]
pub fn PromptsPage() -> impl IntoView {
    let prompts = Resource::new(|| (), |_| api::list_prompts());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <A href="/prompts" attr:class="brand">"PromptVault"</A>
            <ActionForm action=sign_out>
                <button type="submit" class="quiet">"Sign out"</button>
            </ActionForm>
        </header>
        <main class="page">
            <h1>"Prompts"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match prompts.await {
                        Err(e) if e.signed_out => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="empty">"No prompts yet."</p> }.into_any()
                        }
                        Ok(rows) => view! { <PromptTable rows/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn PromptTable(rows: Vec<api::PromptRow>) -> impl IntoView {
    let marker = |label: Option<String>, class: &'static str| match label {
        Some(label) => view! { <span class=class>{label}</span> }.into_any(),
        None => view! { <span class="none">"—"</span> }.into_any(),
    };
    view! {
        <table class="prompts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Live"</th>
                    <th scope="col">"Staging"</th>
                    <th scope="col">"Versions"</th>
                    <th scope="col">"Last change"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        view! {
                            <tr class="prompt-row">
                                <td class="name">{row.name}</td>
                                <td>{marker(row.live, "badge live")}</td>
                                <td>{marker(row.staging, "badge staging")}</td>
                                <td>{row.versions}</td>
                                <td><time datetime=row.updated_at.clone()>{row.updated_at.clone()}</time></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}

#[component]
fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="auth">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <A href="/">"Go to the dashboard"</A>
            </div>
        </main>
    }
}
