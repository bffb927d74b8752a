//! The pages of the dashboard, and the pieces they share. Forms are `ActionForm`s: they
//! post to their server function and work before (or without) the WASM bundle. State a
//! person can link to (which draft is open, which confirmation is showing) lives in the URL.

mod auth;
mod diff;
mod prompt;
mod prompts;
mod settings;

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::api::{self, AppError, SignOut, When};

pub use auth::{Home, SetupPage, SignInPage};
pub use prompt::PromptPage;
pub use prompts::PromptsPage;
pub use settings::SettingsPage;

/// The frame of every signed-in page: the top bar, then the page. Sends a signed-out
/// visitor to sign in.
#[component]
fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let member = Resource::new(|| (), |_| api::current_member());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match member.await {
                        Err(e) if e.signed_out => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <main class="page"><ErrorNote error=e/></main> }.into_any(),
                        Ok(m) => view! {
                            <header class="topbar">
                                <nav aria-label="Main">
                                    <A href="/prompts" attr:class="brand">"PromptVault"</A>
                                    <A href="/prompts">"Prompts"</A>
                                    <A href="/settings">"Settings"</A>
                                </nav>
                                <div class="who">
                                    <span class="hint">{m.name}" · "{m.workspace}</span>
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="quiet">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            </header>
                            <main class="page">{children()}</main>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// An error in plain words, next to what caused it.
#[component]
fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}

/// The error of the last submission of `action`, if it failed.
fn action_error<I, O>(action: ServerAction<I>) -> impl IntoView
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })
}

#[component]
fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

/// "5 min ago", with the exact time on hover.
#[component]
fn Moment(when: When) -> impl IntoView {
    view! { <time datetime=when.iso title=when.exact>{when.relative}</time> }
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
