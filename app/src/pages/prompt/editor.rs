//! The editor: a new draft, or a rewrite of a draft in place.

use leptos::prelude::*;
use leptos_router::components::A;
use types::MAX_MESSAGE_BYTES;

use super::super::action_error;
use super::content::{ChatMessages, ConfigField, VariablesAndPreview};
use super::includes::{IncludePicker, IncludesPreview};
use super::{Actions, Draft, View};
use crate::api::{EditorContent, EditorMode, PromptType};

/// The editor: a new draft (from the newest version, or the one named in the URL), or a
/// rewrite of a draft. On an error the text stays exactly as typed.
#[component]
pub(super) fn Editor(
    content: EditorContent,
    draft: Draft,
    view: Memo<View>,
    actions: Actions,
) -> impl IntoView {
    let name = view.get_untracked().name;
    let can_edit = content.can_edit;
    // A save refused without WASM comes back as a new page load carrying what was typed.
    let refused = [actions.save.value().get_untracked(), actions.rewrite.value().get_untracked()]
        .into_iter()
        .flatten()
        .find_map(Result::err);
    draft.open(&content, refused);
    let body = draft.content;
    let kind = content.kind;
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let prompt = StoredValue::new(name.clone());
    let fields = move || {
        let text_or_messages = match kind {
            PromptType::Text => view! {
                // Labels name their field with `for`, not by wrapping it: a wrapping label would
                // make the whole text part of the textarea's accessible name.
                <div class="field">
                    <label for="editor-source">"Source"</label>
                    <textarea id="editor-source" name="source" rows="16" spellcheck="false" class="mono" disabled=!can_edit
                        node_ref=textarea
                        prop:value=body.source on:input=move |ev| body.source.set(event_target_value(&ev))>
                        {body.source.get_untracked()}
                    </textarea>
                </div>
                {can_edit.then(|| view! { <IncludePicker name=prompt.get_value() source=body.source textarea/> })}
                <IncludesPreview name=prompt.get_value() source=body.source/>
            }
            .into_any(),
            PromptType::Chat => view! { <ChatMessages content=body can_edit/> }.into_any(),
        };
        view! {
            {text_or_messages}
            <VariablesAndPreview content=body/>
            <ConfigField content=body can_edit/>
            <div class="field">
                <label for="editor-message">"Message"</label>
                <input id="editor-message" type="text" name="message" maxlength=MAX_MESSAGE_BYTES
                    placeholder="What changed, and why?"
                    value=draft.message.get_untracked() prop:value=draft.message
                    on:input=move |ev| draft.message.set(event_target_value(&ev)) disabled=!can_edit/>
            </div>
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
                    {can_edit.then(|| view! {
                        <button type="submit" class="primary"
                            disabled=move || actions.save.pending().get() || body.config_problem().is_some()>
                            "Save as new draft"
                        </button>
                    })}
                    {read_only(can_edit)}
                </ActionForm>
            }
            .into_any()
        }
        EditorMode::Rewrite { number, revision } => {
            let fresh = view.with_untracked(|v| v.editing("from", number));
            let close = types::prompt_page(&name);
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
                        {can_edit.then(|| view! {
                            <button type="submit" class="primary"
                                disabled=move || actions.rewrite.pending().get() || body.config_problem().is_some()>
                                "Save changes to v"{number}
                            </button>
                            <A href=fresh>"Start a new draft from v"{number}</A>
                        })}
                        <A href=close>"Close"</A>
                    </div>
                    {read_only(can_edit)}
                </ActionForm>
            }
            .into_any()
        }
    }
}

/// For a viewer, why the editor offers no way to save: the role, in words.
fn read_only(can_edit: bool) -> Option<impl IntoView> {
    (!can_edit).then(
        || view! { <p class="hint">"You can read this prompt; editors, admins and owners change it."</p> },
    )
}
