//! The pages of the dashboard, and the pieces they share. Forms are `ActionForm`s: they
//! post to their server function and work before (or without) the WASM bundle. State a
//! person can link to (which draft is open, which confirmation is showing) lives in the URL.

mod activity;
mod auth;
mod diff;
mod fleet;
mod integrations;
mod join;
mod labels;
mod members;
mod prompt;
mod prompts;
mod requests;
mod search;
mod settings;

use leptos::prelude::*;
use leptos_router::components::{A, Form, Redirect};

use crate::api::{self, AppError, Marked, SignOut, Status, SwitchWorkspace, When};

pub use activity::ActivityPage;
pub use auth::{Home, SetupPage, SignInPage};
pub use fleet::FleetPage;
pub use integrations::IntegrationsPage;
pub use join::JoinPage;
pub use labels::LabelsPage;
pub use members::MembersPage;
pub use prompt::PromptPage;
pub use prompts::PromptsPage;
pub use requests::RequestsPage;
pub use search::SearchPage;
pub use settings::SettingsPage;

/// The frame of every signed-in page: the top bar, then the page. Sends a signed-out
/// visitor to sign in.
#[component]
fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let member = Resource::new(|| (), |_| api::current_member());
    let workspaces = Resource::new(|| (), |_| api::load_workspaces());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match member.await {
                        Err(e) if e.signed_out() => view! { <Redirect path="/sign-in"/> }.into_any(),
                        // Refused as a member (removed from the workspace): say so, and offer
                        // the way on or out.
                        Err(e) => view! {
                            <main class="page">
                                <ErrorNote error=e/>
                                <div class="row">
                                    <A href="/">"Continue"</A>
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="quiet">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            </main>
                        }
                        .into_any(),
                        Ok(m) => view! {
                            <header class="topbar">
                                <nav aria-label="Main">
                                    <A href="/prompts" attr:class="brand">"PromptVault"</A>
                                    <A href="/prompts">"Prompts"</A>
                                    <A href="/search">"Search"</A>
                                    <A href="/requests">"Requests"</A>
                                    <A href="/activity">"Activity"</A>
                                    <A href="/fleet">"Fleet"</A>
                                    <A href="/settings">"Settings"</A>
                                </nav>
                                <div class="who">
                                    <span class="hint">{m.name}" · "</span>
                                    <WorkspaceSwitcher current=m.workspace choices=workspaces.await.unwrap_or_default()/>
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

/// The workspace's name, and for a person in several, a switcher: a plain form, so it
/// works before and without WASM.
#[component]
fn WorkspaceSwitcher(current: String, choices: Vec<api::WorkspaceChoice>) -> impl IntoView {
    if choices.len() < 2 {
        return view! { <span class="hint workspace-name">{current}</span> }.into_any();
    }
    let switch = ServerAction::<SwitchWorkspace>::new();
    let options = choices
        .into_iter()
        .map(
            |w| view! { <option value=w.workspace.id selected=w.current>{format!("{} ({})", w.workspace.name, w.workspace.role)}</option> },
        )
        .collect_view();
    view! {
        <ActionForm action=switch attr:class="switcher">
            <select name="workspace" aria-label="Workspace">{options}</select>
            <button type="submit" class="quiet">"Switch"</button>
            {action_error(switch)}
        </ActionForm>
    }
    .into_any()
}

/// An error in plain words, next to what caused it.
#[component]
fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.body.message}</p> }
}

/// The error of the last submission of `action`, if it failed.
fn action_error<I, O>(action: ServerAction<I>) -> impl IntoView
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })
}

/// What a loaded resource shows: `body` of its value. An error shows in an error boundary
/// where the value would be, and a signed-out member is sent to sign in. Inside a
/// `Transition`, what was shown stays while the resource reloads after an action.
fn shown<T>(
    resource: Resource<Result<T, AppError>>,
    body: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let body = std::sync::Arc::new(body);
    let fallback = |errors: ArcRwSignal<Errors>| view! { <ErrorList errors/> };
    // The boundary stays; the closure inside it re-runs whenever the resource reloads.
    view! {
        <ErrorBoundary fallback>
            {move || {
                let body = body.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(e) if e.signed_out() => Ok(view! { <Redirect path="/sign-in"/> }.into_any()),
                        Err(e) => Err(e),
                        Ok(value) => Ok(body(value)),
                    }
                })
            }}
        </ErrorBoundary>
    }
}

/// The errors an error boundary caught, in plain words.
#[component]
fn ErrorList(errors: ArcRwSignal<Errors>) -> impl IntoView {
    move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| view! { <p class="error" role="alert">{error.to_string()}</p> })
            .collect_view()
    }
}

#[component]
fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

/// A version's status as the history shows it: "published" or "draft".
#[component]
fn StatusMark(status: Status) -> impl IntoView {
    match status {
        Status::Published => view! { <span class="status">"published"</span> },
        Status::Draft => view! { <span class="status draft">"draft"</span> },
    }
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

/// Text with the words a search matched in `<mark>`.
#[component]
fn MarkedText(text: Marked) -> impl IntoView {
    text.pieces()
        .into_iter()
        .map(|(piece, marked)| {
            let piece = piece.to_owned();
            if marked { view! { <mark>{piece}</mark> }.into_any() } else { piece.into_any() }
        })
        .collect_view()
}

/// The author's name, and their email when a search matched it.
#[component]
fn AuthorCell(author: Marked, email: Marked) -> impl IntoView {
    let email =
        (!email.marks.is_empty()).then(|| view! { <span class="email"><MarkedText text=email/></span> });
    view! { <td class="author"><MarkedText text=author/>{email}</td> }
}

/// A search form that navigates to `action?q=…`, keeping the page's other state (`keep`)
/// in hidden fields. A plain GET form underneath, so it works without WASM too.
#[component]
fn SearchBox(
    action: String,
    q: String,
    keep: Vec<(&'static str, String)>,
    label: &'static str,
    /// Where "Clear" goes, shown while searching.
    clear: String,
) -> impl IntoView {
    let searching = !q.is_empty();
    view! {
        <Form method="get" action=action noscroll=true>
            <div class="search-box" role="search">
                <HiddenFields fields=keep/>
                <input type="search" name="q" value=q aria-label=label placeholder=label/>
                <button type="submit">"Search"</button>
                {searching.then(|| view! { <A href=clear>"Clear"</A> })}
            </div>
        </Form>
    }
}

#[component]
fn HiddenFields(fields: Vec<(&'static str, String)>) -> impl IntoView {
    fields
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view()
}

/// "Load older versions": a GET form to the next page (`before=cursor`) that works without
/// WASM; with WASM, `load` appends the next page in place instead.
#[component]
fn LoadMore(
    action: String,
    keep: Vec<(&'static str, String)>,
    cursor: String,
    pending: Signal<bool>,
    load: Callback<String>,
) -> impl IntoView {
    let next = cursor.clone();
    view! {
        <form method="get" action=action class="load-more"
            on:submit=move |ev| { ev.prevent_default(); load.run(next.clone()); }>
            <HiddenFields fields=keep/>
            <input type="hidden" name="before" value=cursor/>
            <button type="submit" disabled=move || pending.get()>"Load older versions"</button>
        </form>
    }
}

/// `value` percent-encoded for a URL's query.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path?key=value&…`, or just `path`.
fn with_query(path: &str, pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", query_value(v))).collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_built_with_every_value_encoded() {
        assert_eq!(with_query("/search", &[]), "/search");
        let pairs = [("q", "refund & \"tone\"/ü".to_owned()), ("before", "abc-_.~".to_owned())];
        assert_eq!(
            with_query("/search", &pairs),
            "/search?q=refund%20%26%20%22tone%22%2F%C3%BC&before=abc-_.~"
        );
    }
}
