//! Including other prompts from the editor: a picker that writes the reference (prompt,
//! then label or version) where the cursor is, and a preview of the text with what it
//! includes in place, each included part marked with the version it comes from.

use leptos::html::Textarea;
use leptos::prelude::*;
use types::IncludedPart;

use super::super::Loading;
use crate::api::{self, AppError, ReferenceTargets};

/// The reference Langfuse and PromptVault read: `label=…` or `version=N`.
fn reference(prompt: &str, target: &str) -> String {
    format!("@@@langfusePrompt:name={prompt}|{target}@@@")
}

/// The picker: which prompt, which label (or version); "Insert" writes the reference into
/// `source` at the cursor of `textarea`. What it offers is loaded when it is first opened,
/// not with the page: the editor hydrates without waiting for it, and a page load does not
/// list every prompt of the workspace.
#[component]
pub(super) fn IncludePicker(
    name: String,
    source: RwSignal<String>,
    textarea: NodeRef<Textarea>,
) -> impl IntoView {
    let targets = Action::new(move |name: &String| api::load_reference_targets(name.clone()));
    let requested = StoredValue::new(false);
    let opened = move |_| {
        if !requested.get_value() {
            requested.set_value(true);
            targets.dispatch(name.clone());
        }
    };
    view! {
        <details class="include-picker" on:toggle=opened>
            <summary>"Include another prompt"</summary>
            {move || match targets.value().get() {
                // Nothing until it is opened: the page's own updates never show a "Loading…".
                None if targets.pending().get() => view! { <Loading/> }.into_any(),
                None => ().into_any(),
                Some(Ok(targets)) => view! { <Picker targets source textarea/> }.into_any(),
                Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            }}
        </details>
    }
}

#[component]
fn Picker(targets: ReferenceTargets, source: RwSignal<String>, textarea: NodeRef<Textarea>) -> impl IntoView {
    if targets.prompts.is_empty() {
        return view! { <p class="hint">"No other text prompt to include yet."</p> }.into_any();
    }
    let prompt = RwSignal::new(targets.prompts[0].clone());
    let target = RwSignal::new("label=production".to_owned());
    let version = RwSignal::new(String::new());
    let tag = move || {
        let chosen = match target.get().as_str() {
            "version" => format!("version={}", version.get().trim()),
            other => other.to_owned(),
        };
        reference(&prompt.get(), &chosen)
    };
    let insert = move |_| {
        let tag = tag();
        let at = textarea.get().and_then(|t| t.selection_start().ok().flatten()).map(|n| n as usize);
        source.update(|text| {
            // The cursor counts UTF-16 units; a position inside a character goes to the end.
            let byte = at.and_then(|units| utf16_to_byte(text, units)).unwrap_or(text.len());
            text.insert_str(byte, &tag);
        });
    };
    let prompts = targets.prompts.into_iter().map(|p| {
        let value = p.clone();
        view! { <option value=value>{p}</option> }
    });
    let labels = targets.labels.into_iter().map(|l| {
        let value = format!("label={l}");
        view! { <option value=value>{format!("label {l}")}</option> }
    });
    view! {
        <div class="row">
            <label>"Prompt"
                <select name="include-prompt" on:change=move |ev| prompt.set(event_target_value(&ev))>
                    {prompts.collect_view()}
                </select>
            </label>
            <label>"Which version"
                <select name="include-target" on:change=move |ev| target.set(event_target_value(&ev))>
                    {labels.collect_view()}
                    <option value="version">"a version number"</option>
                </select>
            </label>
            <label hidden=move || target.get() != "version">"Version"
                <input type="number" min="1" name="include-version" prop:value=version
                    on:input=move |ev| version.set(event_target_value(&ev))/>
            </label>
            <button type="button" class="small" on:click=insert>"Insert"</button>
        </div>
        <p class="hint">"Inserts "<code>{tag}</code>". A published version keeps the version it \
            included when it was published; a draft shows the included prompt as it is now."</p>
    }
    .into_any()
}

/// The byte index of UTF-16 position `units` in `text`, if it falls between characters.
fn utf16_to_byte(text: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    for (byte, c) in text.char_indices() {
        if counted == units {
            return Some(byte);
        }
        counted += c.len_utf16();
    }
    (counted == units).then_some(text.len())
}

/// The text with what it includes in place, on demand (each reference is looked up on the
/// server), the included parts marked.
#[component]
pub(super) fn IncludesPreview(name: String, source: RwSignal<String>) -> impl IntoView {
    let preview =
        Action::new(move |(name, text): &(String, String)| api::preview_includes(name.clone(), text.clone()));
    let has_references = move || source.with(|s| s.contains("@@@langfusePrompt:"));
    let shown = move || {
        preview.value().get().map(|parts: Result<Vec<IncludedPart>, AppError>| match parts {
            Ok(parts) => view! {
                <pre class="preview-text included-preview">
                    {parts.into_iter().map(|part| match part.included {
                        Some(from) => view! { <mark class="included" title=from.clone() data-from=from>{part.text}</mark> }.into_any(),
                        None => view! { <span>{part.text}</span> }.into_any(),
                    }).collect_view()}
                </pre>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="includes-preview" hidden=move || !has_references()>
            <button type="button" class="small"
                on:click=move |_| { preview.dispatch((name.clone(), source.get_untracked())); }>
                "Show with the included prompts"
            </button>
            {shown}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_in_utf16_units_is_a_byte_index() {
        assert_eq!(utf16_to_byte("abc", 1), Some(1));
        assert_eq!(utf16_to_byte("é😀x", 1), Some(2));
        assert_eq!(utf16_to_byte("é😀x", 2), None, "inside the emoji");
        assert_eq!(utf16_to_byte("é😀x", 3), Some(6));
        assert_eq!(utf16_to_byte("é😀x", 4), Some(7));
        assert_eq!(utf16_to_byte("ab", 9), None);
    }
}
