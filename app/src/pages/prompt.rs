//! One prompt: its pointers, the editor, and the Versions tab with the actions the rules
//! allow on each version. Which draft is open (`?edit=`, `?from=`) and which confirmation
//! is showing (`?confirm=promote:4`) live in the URL, so every step works without WASM
//! and can be linked to.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::diff::DiffPanel;
use super::{
    AuthorCell, ErrorNote, LoadMore, Loading, MarkedText, Moment, SearchBox, SignedIn, action_error,
    with_query,
};
use crate::api::{
    self, DeleteDraft, Deployments, EditorContent, EditorMode, Promote, PromptOverview, RewriteDraft,
    RollBack, SaveDraft, SetStaging, VersionRow,
};

/// The actions that change the prompt, shared by the parts of the page.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveDraft>,
    rewrite: ServerAction<RewriteDraft>,
    promote: ServerAction<Promote>,
    roll_back: ServerAction<RollBack>,
    stage: ServerAction<SetStaging>,
    delete: ServerAction<DeleteDraft>,
}

/// The editor's text, held above the parts of the page that re-render, so that nothing
/// typed is lost when they do. Reset only when the editor opens on other content.
#[derive(Clone, Copy)]
struct Draft {
    source: RwSignal<String>,
    message: RwSignal<String>,
    opened: StoredValue<Option<EditorContent>>,
}

impl Draft {
    fn new() -> Self {
        Draft {
            source: RwSignal::new(String::new()),
            message: RwSignal::new(String::new()),
            opened: StoredValue::new(None),
        }
    }

    /// Takes the loaded content unless it is what is already open (a re-render).
    fn open(self, content: &EditorContent) {
        if self.opened.with_value(|opened| opened.as_ref() != Some(content)) {
            self.source.set(content.source.clone());
            self.message.set(content.message.clone());
            self.opened.set_value(Some(content.clone()));
        }
    }
}

/// What the URL says the page shows.
#[derive(Clone, Debug, PartialEq)]
struct View {
    name: String,
    edit: Option<i64>,
    from: Option<i64>,
    rolled_back: bool,
    confirm: Option<(Confirm, i64)>,
    /// The version whose diff is open, and the one it is compared with.
    diff: Option<i64>,
    against: Option<i64>,
    /// The history's search words, and where its page starts (`None`: the newest).
    q: Option<String>,
    before: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confirm {
    Promote,
    RollBack,
    Delete,
}

impl View {
    /// This page's URL with the editor and diff state kept and no confirmation showing.
    fn url(&self) -> String {
        with_query(&self.page(), &self.kept())
    }

    fn page(&self) -> String {
        format!("/prompts/{}", self.name)
    }

    /// The query parameters that survive a navigation within the page.
    fn kept(&self) -> Vec<(&'static str, String)> {
        let mut kept = Vec::new();
        if let Some(n) = self.edit {
            kept.push(("edit", n.to_string()));
        }
        if let Some(n) = self.from {
            kept.push(("from", n.to_string()));
        }
        if self.rolled_back {
            kept.push(("rolled_back", "true".to_owned()));
        }
        if let Some(n) = self.diff {
            kept.push(("diff", n.to_string()));
        }
        if let Some(n) = self.against {
            kept.push(("against", n.to_string()));
        }
        if let Some(q) = &self.q {
            kept.push(("q", q.clone()));
        }
        if let Some(cursor) = &self.before {
            kept.push(("before", cursor.clone()));
        }
        kept
    }

    /// What a new search, or a move in the history, keeps: the editor's state.
    fn editor_kept(&self) -> Vec<(&'static str, String)> {
        View { diff: None, against: None, q: None, before: None, confirm: None, ..self.clone() }.kept()
    }

    /// The URL of this page showing the newest versions (of the same search).
    fn newest(&self) -> String {
        View { before: None, diff: None, against: None, ..self.clone() }.url()
    }

    /// The URL that opens (or, if open, closes) version `n`'s diff.
    fn toggling_diff(&self, n: i64) -> String {
        let diff = if self.diff == Some(n) { None } else { Some(n) };
        View { diff, against: None, confirm: None, ..self.clone() }.url()
    }

    fn confirming(&self, what: Confirm, n: i64) -> String {
        let url = self.url();
        let glue = if url.contains('?') { '&' } else { '?' };
        let what = match what {
            Confirm::Promote => "promote",
            Confirm::RollBack => "rollback",
            Confirm::Delete => "delete",
        };
        format!("{url}{glue}confirm={what}:{n}")
    }

    /// Opens the editor on version `n` (`edit` or `from`), keeping the history's search.
    fn editing(&self, key: &'static str, n: i64) -> String {
        let mut query = vec![(key, n.to_string())];
        query.extend(self.q.clone().map(|q| ("q", q)));
        with_query(&self.page(), &query)
    }
}

#[component]
pub fn PromptPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let view_state = Memo::new(move |_| {
        let query = query.read();
        let number = |key: &str| query.get(key).and_then(|v| v.trim_start_matches('v').parse::<i64>().ok());
        let confirm = query.get("confirm").and_then(|c| {
            let (what, n) = c.split_once(':')?;
            let what = match what {
                "promote" => Confirm::Promote,
                "rollback" => Confirm::RollBack,
                "delete" => Confirm::Delete,
                _ => return None,
            };
            Some((what, n.parse::<i64>().ok()?))
        });
        View {
            name: params.read().get("name").unwrap_or_default(),
            edit: number("edit"),
            from: number("from"),
            rolled_back: query.get("rolled_back").is_some(),
            confirm,
            diff: number("diff"),
            against: number("against"),
            q: query.get("q").filter(|q| !q.trim().is_empty()),
            before: query.get("before").filter(|c| !c.is_empty()),
        }
    });
    let revision = Memo::new(move |_| query.read().get("r"));
    // The search box re-renders only when what it shows changes, not on every navigation.
    let search_state = Memo::new(move |_| view_state.with(|v| (v.page(), v.q.clone(), v.editor_kept())));
    let actions = Actions {
        save: ServerAction::new(),
        rewrite: ServerAction::new(),
        promote: ServerAction::new(),
        roll_back: ServerAction::new(),
        stage: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // The overview follows every action; the editor only the URL, so an action that fails
    // (or one on another version) never replaces what the person typed.
    let overview = Resource::new(
        move || {
            (
                view_state.with(|v| (v.name.clone(), v.q.clone(), v.before.clone())),
                actions.save.version().get(),
                actions.rewrite.version().get(),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
                actions.stage.version().get(),
                actions.delete.version().get(),
            )
        },
        |((name, q, before), ..)| api::load_overview(name, q, before),
    );
    let draft = Draft::new();
    // Keyed on the editor's part of the URL only: opening a confirmation leaves it alone.
    let editor_key = Memo::new(move |_| {
        let v = view_state.get();
        (v.name, v.edit, v.from, v.rolled_back, revision.get())
    });
    let editor = Resource::new(
        move || editor_key.get(),
        |(name, edit, from, rolled_back, _)| api::load_editor(name, edit, from, rolled_back),
    );
    let with_overview = move |body: fn(PromptOverview, Memo<View>, Actions) -> AnyView| {
        move || {
            Suspend::new(async move {
                match overview.await {
                    Err(e) if e.signed_out => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(o) => body(o, view_state, actions),
                }
            })
        }
    };

    view! {
        <SignedIn>
            <p class="crumbs"><A href="/prompts">"← All prompts"</A></p>
            <Suspense fallback=Loading>
                {with_overview(|o, view, actions| view! { <PromptHead overview=o view actions/> }.into_any())}
            </Suspense>
            <div class="prompt-grid">
                // The editor is outside the overview's Suspense: the overview reloads after
                // every action, and must never replace what the person typed.
                <section class="card editor" aria-labelledby="editor-title">
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match editor.await {
                                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                                Ok(content) => view! { <Editor content draft view=view_state actions/> }.into_any(),
                            }
                        })}
                    </Suspense>
                </section>
                <section class="card history" aria-labelledby="versions-title">
                    <h2 id="versions-title">"Versions"</h2>
                    {move || {
                        let (page, q, keep) = search_state.get();
                        let clear = with_query(&page, &keep);
                        view! {
                            <SearchBox action=page q=q.unwrap_or_default() keep
                                label="Search messages and authors" clear/>
                        }
                    }}
                    {action_error(actions.stage)}
                    <Suspense fallback=Loading>
                        {with_overview(|o, view, actions| {
                            view! { <VersionTable overview=StoredValue::new(o) view actions/> }.into_any()
                        })}
                    </Suspense>
                </section>
            </div>
            <DeploymentsCard view=view_state actions/>
        </SignedIn>
    }
}

/// The Deployments timeline: every move of live and staging, who made it, when, from which
/// version to which, and its event id; "Roll back to this" on versions live before.
#[component]
fn DeploymentsCard(view: Memo<View>, actions: Actions) -> impl IntoView {
    let deployments = Resource::new(
        move || {
            (
                view.with(|v| v.name.clone()),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
                actions.stage.version().get(),
                actions.delete.version().get(),
            )
        },
        |(name, ..)| api::load_deployments(name),
    );
    view! {
        <section class="card deployments" aria-labelledby="deployments-title">
            <h2 id="deployments-title">"Deployments"</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match deployments.await {
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        Ok(d) if d.moves.is_empty() => {
                            view! { <p class="empty">"Nothing deployed yet: promote a version to make it live."</p> }.into_any()
                        }
                        Ok(d) => view! { <DeploymentTable deployments=d view/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DeploymentTable(deployments: Deployments, view: Memo<View>) -> impl IntoView {
    let label = |n: Option<i64>, none: &str| n.map_or_else(|| none.to_owned(), |n| format!("v{n}"));
    let Deployments { live, can_edit, moves } = deployments;
    view! {
        <table class="tokens timeline">
            <thead><tr>
                <th scope="col">"Channel"</th><th scope="col">"Change"</th><th scope="col">"By"</th>
                <th scope="col">"When"</th><th scope="col">"Event"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {moves.into_iter().map(|m| {
                    let roll_back = (can_edit && m.channel == "live")
                        .then_some(m.to)
                        .flatten()
                        .filter(|&to| live.is_some_and(|live| to < live))
                        .map(|to| view! {
                            <A href=move || view.get().confirming(Confirm::RollBack, to) attr:class="button small">
                                "Roll back to this"
                            </A>
                        });
                    let badge = if m.channel == "live" { "badge live" } else { "badge staging" };
                    let row_event = m.event_id.clone();
                    view! {
                        <tr class="deployment-row" data-event=row_event>
                            <td><span class=badge>{m.channel.clone()}</span></td>
                            <td class="mono">{label(m.from, "nothing")}" → "{label(m.to, "cleared")}</td>
                            <td>{m.actor}</td>
                            <td><Moment when=m.at/></td>
                            <td class="mono hint">{m.event_id}</td>
                            <td>{roll_back}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The prompt's name, its pointers, and the confirmation the URL asks for.
#[component]
fn PromptHead(overview: PromptOverview, view: Memo<View>, actions: Actions) -> impl IntoView {
    let live = match overview.live {
        Some(n) => view! { <span class="badge live">"live v"{n}</span> }.into_any(),
        None => view! { <span class="badge none">"nothing live yet"</span> }.into_any(),
    };
    let staging = overview.staging_enabled.then(|| match overview.staging {
        Some(n) => view! { <span class="badge staging">"staging v"{n}</span> }.into_any(),
        None => view! { <span class="badge none" title="Test keys read the live version">"staging reads live"</span> }
            .into_any(),
    });
    let name = overview.name.clone();
    let overview = StoredValue::new(overview);
    view! {
        <div class="page-head">
            <h1 class="mono">{name}</h1>
            <div class="pointers">{live}{staging}</div>
        </div>
        {move || view.get().confirm.map(|(what, n)| view! { <Confirmation overview view what n actions/> })}
    }
}

/// The editor: a new draft (from the newest version, or the one named in the URL), or a
/// rewrite of a draft. On an error the text stays exactly as typed.
#[component]
fn Editor(content: EditorContent, draft: Draft, view: Memo<View>, actions: Actions) -> impl IntoView {
    let name = view.get_untracked().name;
    let can_edit = content.can_edit;
    draft.open(&content);
    let fields = move || {
        view! {
            <label>"Source"
                <textarea name="source" rows="16" spellcheck="false" class="mono" disabled=!can_edit
                    prop:value=draft.source on:input=move |ev| draft.source.set(event_target_value(&ev))>
                    {draft.source.get_untracked()}
                </textarea>
            </label>
            <label>"Message"
                <input type="text" name="message" maxlength="2000" placeholder="What changed, and why?"
                    value=draft.message.get_untracked() prop:value=draft.message
                    on:input=move |ev| draft.message.set(event_target_value(&ev)) disabled=!can_edit/>
            </label>
        }
    };
    match content.mode {
        EditorMode::NewDraft { based_on, rolled_back } => {
            let note = match (based_on, rolled_back) {
                (Some(n), true) => format!(
                    "Live was rolled back to v{n}. Continue from its source: saving creates a new draft."
                ),
                (Some(n), false) => format!("New draft, based on v{n}."),
                (None, _) => "The first draft of this prompt.".to_owned(),
            };
            view! {
                <h2 id="editor-title">"New draft"</h2>
                <p class="hint based-on">{note}</p>
                <ActionForm action=actions.save>
                    <input type="hidden" name="name" value=name/>
                    {fields()}
                    {action_error(actions.save)}
                    <button type="submit" class="primary" disabled=move || !can_edit || actions.save.pending().get()>
                        "Save as new draft"
                    </button>
                </ActionForm>
            }
            .into_any()
        }
        EditorMode::Rewrite { number, revision } => {
            let fresh = view.with_untracked(|v| v.editing("from", number));
            let close = format!("/prompts/{name}");
            view! {
                <h2 id="editor-title">"Editing draft v"{number}</h2>
                <p class="hint">"Saving changes v"{number}" in place. It is not live until you promote it."</p>
                <ActionForm action=actions.rewrite>
                    <input type="hidden" name="name" value=name/>
                    <input type="hidden" name="number" value=number/>
                    <input type="hidden" name="revision" value=revision/>
                    {fields()}
                    {action_error(actions.rewrite)}
                    <div class="row">
                        <button type="submit" class="primary" disabled=move || !can_edit || actions.rewrite.pending().get()>
                            "Save changes to v"{number}
                        </button>
                        <A href=fresh>"Start a new draft from v"{number}</A>
                        <A href=close>"Close"</A>
                    </div>
                </ActionForm>
            }
            .into_any()
        }
    }
}

/// The history, newest first, with "load more" for long ones; only the matching versions
/// while searching.
#[component]
fn VersionTable(overview: StoredValue<PromptOverview>, view: Memo<View>, actions: Actions) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let rows = RwSignal::new(o.versions.clone());
    let next = RwSignal::new(o.next_cursor.clone());
    let (name, q) = (o.name.clone(), v.q.clone());
    let load_more =
        Action::new(move |cursor: &String| api::more_versions(name.clone(), cursor.clone(), q.clone()));
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            rows.update(|rows| rows.extend(page.items));
            next.set(page.next_cursor);
        }
    });
    let older_page = v.before.is_some().then(|| {
        view! {
            <p class="hint">"Showing older versions. "<A href=v.newest()>"Back to the newest"</A></p>
        }
    });
    if o.versions.is_empty() {
        let empty = match &v.q {
            Some(q) => format!("No versions match \u{201c}{q}\u{201d}."),
            None if v.before.is_some() => "No older versions.".to_owned(),
            None => "No versions yet: save the first draft in the editor.".to_owned(),
        };
        return view! { {older_page}<p class="empty">{empty}</p> }.into_any();
    }
    let keep = View { before: None, diff: None, against: None, confirm: None, ..v.clone() }.kept();
    let page = v.page();
    view! {
        {older_page}
        <table class="versions">
            <thead>
                <tr>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Message"</th>
                    <th scope="col">"Author"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|row| row.number let:row>
                    <VersionRowView row overview view actions/>
                </For>
            </tbody>
        </table>
        {move || next.get().map(|cursor| view! {
            <LoadMore action=page.clone() keep=keep.clone() cursor pending=load_more.pending().into()
                load=Callback::new(move |cursor| { load_more.dispatch(cursor); })/>
        })}
    }
    .into_any()
}

#[component]
fn VersionRowView(
    row: VersionRow,
    overview: StoredValue<PromptOverview>,
    view: Memo<View>,
    actions: Actions,
) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let n = row.number;
    let is_live = o.live == Some(n);
    let is_staging = o.staging_enabled && o.staging == Some(n);
    let older_published = row.published && o.live.is_some_and(|live| n < live);
    let label = row.label.clone();
    let back = v.url();
    let (name, versions) = (o.name.clone(), o.versions.clone());
    let markers = view! {
        <A href=move || view.get().toggling_diff(n) attr:class="label mono" attr:title="Show what changed">{label}</A>
        {if row.published { view! { <span class="status">"published"</span> } } else { view! { <span class="status draft">"draft"</span> } }}
        {is_live.then(|| view! { <span class="badge live">"live"</span> })}
        {is_staging.then(|| view! { <span class="badge staging">"staging"</span> })}
    };
    let edit_actions = o.can_edit.then(|| {
        let stage_form = o.staging_enabled.then(|| {
            let (value, text) = if is_staging { (String::new(), "Unstage") } else { (n.to_string(), "Stage") };
            view! {
                <ActionForm action=actions.stage>
                    <input type="hidden" name="name" value=o.name.clone()/>
                    <input type="hidden" name="number" value=value/>
                    // Read when the form is rendered and whenever the URL changes: rows
                    // outlive navigations, and a stale URL would close the open draft.
                    <input type="hidden" name="back" prop:value=move || view.get().url() value=back.clone()/>
                    <button type="submit" class="small" aria-label=format!("{text} v{n}")>{text}</button>
                </ActionForm>
            }
        });
        view! {
            {(!row.published).then(|| view! { <A href=v.editing("edit", n) attr:class="button small">"Edit"</A> })}
            {(!is_live && !older_published).then(|| view! {
                <A href=move || view.get().confirming(Confirm::Promote, n) attr:class="button small">"Promote"</A>
            })}
            {older_published.then(|| view! {
                <A href=move || view.get().confirming(Confirm::RollBack, n) attr:class="button small">"Roll back"</A>
            })}
            {stage_form}
            {(!row.published).then(|| view! {
                <A href=move || view.get().confirming(Confirm::Delete, n) attr:class="button small danger">"Delete"</A>
            })}
        }
        .into_any()
    });
    let diff_panel = move || {
        let v = view.get();
        (v.diff == Some(n)).then(|| {
            let (name, versions, keep) =
                (name.clone(), versions.clone(), View { diff: None, against: None, ..v.clone() }.kept());
            view! {
                <tr class="diff-row"><td colspan="5">
                    <DiffPanel name to=n against=v.against versions page=v.page() keep/>
                </td></tr>
            }
        })
    };
    view! {
        <tr class="version-row" data-version=row.label.clone()>
            <td class="markers">{markers}</td>
            <td class="message"><MarkedText text=row.message/></td>
            <AuthorCell author=row.author email=row.author_email/>
            <td><Moment when=row.created/></td>
            <td><div class="actions">{edit_actions}</div></td>
        </tr>
        {diff_panel}
    }
}

/// "Live moves from v7 to v4": what will change, before it does.
#[component]
fn Confirmation(
    overview: StoredValue<PromptOverview>,
    view: Memo<View>,
    what: Confirm,
    n: i64,
    actions: Actions,
) -> impl IntoView {
    let o = overview.get_value();
    let v = view.get_untracked();
    let cancel = v.url();
    let back = match what {
        // Deleting the open draft closes it; promoting it freezes it, so the editor moves on
        // to a new draft based on it.
        Confirm::Delete if v.edit == Some(n) => View { edit: None, ..v.clone() }.url(),
        Confirm::Promote if v.edit == Some(n) => v.editing("from", n),
        _ => v.url(),
    };
    let from = o.live.map_or_else(|| "nothing".to_owned(), |l| format!("v{l}"));
    let is_draft = o.versions.iter().find(|r| r.number == n).is_some_and(|r| !r.published);
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_button.get() {
            let _ = button.focus();
        }
    });
    let (title, explanation, label, class) = match what {
        Confirm::Promote => (
            format!("Promote v{n}?"),
            format!(
                "Live moves from {from} to v{n}: applications with live keys read v{n} from now on.{}",
                if is_draft {
                    format!(" v{n} is published and frozen: it can no longer be edited or deleted.")
                } else {
                    String::new()
                }
            ),
            format!("Promote v{n}"),
            "primary",
        ),
        Confirm::RollBack => (
            format!("Roll back to v{n}?"),
            format!(
                "Live moves back from {from} to v{n}. Newer versions stay in the history and can be promoted again. The editor opens with v{n}'s source."
            ),
            format!("Roll back to v{n}"),
            "primary",
        ),
        Confirm::Delete => (
            format!("Delete draft v{n}?"),
            format!(
                "v{n} is deleted for good; its number is not used again.{}",
                if o.staging == Some(n) && o.staging_enabled {
                    " Staging points at it and is cleared."
                } else {
                    ""
                }
            ),
            format!("Delete v{n}"),
            "danger",
        ),
    };
    let hidden = move || {
        view! {
            <input type="hidden" name="name" value=o.name.clone()/>
            <input type="hidden" name="number" value=n/>
        }
    };
    let buttons = move |error: AnyView| {
        view! {
            {error}
            <div class="row">
                <button type="submit" class=class node_ref=confirm_button>{label.clone()}</button>
                <A href=cancel.clone() attr:class="button">"Cancel"</A>
            </div>
        }
    };
    let form = match what {
        Confirm::Promote => view! {
            <ActionForm action=actions.promote>
                {hidden()}<input type="hidden" name="back" value=back/>
                {buttons(action_error(actions.promote).into_any())}
            </ActionForm>
        }
        .into_any(),
        Confirm::RollBack => view! {
            <ActionForm action=actions.roll_back>
                {hidden()}
                {buttons(action_error(actions.roll_back).into_any())}
            </ActionForm>
        }
        .into_any(),
        Confirm::Delete => view! {
            <ActionForm action=actions.delete>
                {hidden()}<input type="hidden" name="back" value=back/>
                {buttons(action_error(actions.delete).into_any())}
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="card confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
            <h2 id="confirm-title">{title}</h2>
            <p id="confirm-text">{explanation}</p>
            {form}
        </section>
    }
}
