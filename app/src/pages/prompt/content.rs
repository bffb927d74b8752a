//! What the editor edits beyond a text: a chat prompt's messages (add, remove, reorder, role,
//! content, placeholders — all with the keyboard), the config as JSON checked as it is
//! typed, the `{{variables}}` found, and a preview compiled in the browser with sample values
//! by the same code the server and the SDK use (`types::template`).

use leptos::prelude::*;
use types::template::Mode;
use types::{Body, ChatMessage, MessageRole, PromptType};

/// What one entry of a chat prompt is: a message of a role, or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Slot {
    Message(MessageRole),
    Placeholder,
}

impl Slot {
    /// The choices of a row's select: the named roles, the row's own role when it is
    /// another (a `tool` message imported from Langfuse keeps its role), and a placeholder.
    fn offered(own: &Slot) -> Vec<Slot> {
        let mut slots: Vec<Slot> = MessageRole::NAMED.into_iter().map(Slot::Message).collect();
        if let Slot::Message(role @ MessageRole::Other(_)) = own {
            slots.push(Slot::Message(role.clone()));
        }
        slots.push(Slot::Placeholder);
        slots
    }

    /// The option's value: the role, or nothing for a placeholder (a role is never empty).
    fn value(&self) -> &str {
        match self {
            Slot::Message(role) => role.as_str(),
            Slot::Placeholder => "",
        }
    }

    fn label(&self) -> &str {
        match self {
            Slot::Message(role) => role.as_str(),
            Slot::Placeholder => "placeholder",
        }
    }

    fn parse(raw: &str) -> Slot {
        MessageRole::parse(raw).map_or(Slot::Placeholder, Slot::Message)
    }
}

/// One entry of the chat editor: its own signals, so typing re-renders nothing else; `key`
/// keeps its row (and focus) when entries move.
#[derive(Debug, Clone, Copy)]
pub(super) struct MessageRow {
    key: u64,
    slot: RwSignal<Slot>,
    /// The content of a message, the name of a placeholder.
    text: RwSignal<String>,
    /// The choices of its select, fixed when the row is made.
    offered: StoredValue<Vec<Slot>>,
}

impl MessageRow {
    fn message(&self) -> ChatMessage {
        match self.slot.get() {
            Slot::Message(role) => ChatMessage::new(role, self.text.get()),
            Slot::Placeholder => ChatMessage::Placeholder { name: self.text.get() },
        }
    }
}

/// The editor's content, held above the parts of the page that re-render.
#[derive(Clone, Copy)]
pub(super) struct Content {
    pub kind: RwSignal<PromptType>,
    pub source: RwSignal<String>,
    pub messages: RwSignal<Vec<MessageRow>>,
    pub config: RwSignal<String>,
    /// Sample values for the preview, by variable name.
    samples: RwSignal<Vec<(String, String)>>,
    next_key: StoredValue<u64>,
}

impl Content {
    pub(super) fn new() -> Content {
        Content {
            kind: RwSignal::new(PromptType::Text),
            source: RwSignal::new(String::new()),
            messages: RwSignal::new(Vec::new()),
            config: RwSignal::new(String::new()),
            samples: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
        }
    }

    pub(super) fn set_messages(self, messages: Vec<ChatMessage>) {
        let rows = messages.into_iter().map(|m| self.row(m)).collect();
        self.messages.set(rows);
    }

    fn row(self, message: ChatMessage) -> MessageRow {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let (slot, text) = match message {
            ChatMessage::Message { role, content } => (Slot::Message(role), content),
            ChatMessage::Placeholder { name } => (Slot::Placeholder, name),
        };
        let offered = StoredValue::new(Slot::offered(&slot));
        MessageRow { key, slot: RwSignal::new(slot), text: RwSignal::new(text), offered }
    }

    /// The content as the vault reads it.
    fn body(self) -> Body {
        match self.kind.get() {
            PromptType::Text => Body::Text(self.source.get()),
            PromptType::Chat => Body::Chat(self.messages.get().iter().map(MessageRow::message).collect()),
        }
    }

    /// The messages as the form sends them: their JSON.
    fn messages_json(self) -> String {
        let messages: Vec<ChatMessage> = self.messages.get().iter().map(MessageRow::message).collect();
        serde_json::to_string(&messages).unwrap_or_default()
    }

    /// Why the config cannot be saved, if it cannot (checked as typed; the server checks too).
    pub(super) fn config_problem(self) -> Option<String> {
        let text = self.config.get();
        if text.trim().is_empty() {
            return None;
        }
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(_)) => None,
            Ok(_) => Some(r#"The config is a JSON object, such as {"model": "gpt-4o"}."#.to_owned()),
            Err(error) => Some(format!("Not valid JSON: {error}.")),
        }
    }

    fn moved(self, key: u64, by: isize) {
        self.messages.update(|rows| {
            let Some(at) = rows.iter().position(|r| r.key == key) else { return };
            let to = at.saturating_add_signed(by);
            if to < rows.len() && to != at {
                rows.swap(at, to);
            }
        });
    }

    fn add(self, message: ChatMessage) {
        let row = self.row(message);
        self.messages.update(|rows| rows.push(row));
    }
}

/// The chat editor: one row per entry, each with its role (or placeholder), its content (or
/// name), and buttons to move it up, down or away; Alt+↑ and Alt+↓ move the entry being typed
/// in. The form sends the whole list as JSON.
#[component]
pub(super) fn ChatMessages(content: Content, can_edit: bool) -> impl IntoView {
    let position = move |key: u64| content.messages.with(|rows| rows.iter().position(|r| r.key == key));
    view! {
        <fieldset class="chat-messages" disabled=!can_edit>
            <legend>"Messages"</legend>
            <input type="hidden" name="messages" prop:value=move || content.messages_json()
                value=content.messages_json()/>
            <ol>
                <For each=move || content.messages.get() key=|row| row.key let:row>
                    {
                        let key = row.key;
                        let n = move || position(key).map_or(0, |i| i + 1);
                        let on_keys = move |ev: leptos::ev::KeyboardEvent| {
                            if ev.alt_key() && (ev.key() == "ArrowUp" || ev.key() == "ArrowDown") {
                                ev.prevent_default();
                                content.moved(key, if ev.key() == "ArrowUp" { -1 } else { 1 });
                            }
                        };
                        view! {
                            <li class="chat-message" class:placeholder=move || row.slot.with(|s| *s == Slot::Placeholder)>
                                <div class="row">
                                    <select aria-label=move || format!("Role of message {}", n())
                                        on:change=move |ev| row.slot.set(Slot::parse(&event_target_value(&ev)))>
                                        {row.offered.get_value().into_iter().map(|slot| {
                                            let (value, label) = (slot.value().to_owned(), slot.label().to_owned());
                                            view! {
                                                <option value=value selected=move || row.slot.with(|s| *s == slot)>
                                                    {label}
                                                </option>
                                            }
                                        }).collect_view()}
                                    </select>
                                    <span class="grow"></span>
                                    <button type="button" class="small quiet" disabled={move || n() <= 1}
                                        aria-label=move || format!("Move message {} up", n())
                                        on:click=move |_| content.moved(key, -1)>"↑"</button>
                                    <button type="button" class="small quiet" disabled={move || n() >= content.messages.with(Vec::len)}
                                        aria-label=move || format!("Move message {} down", n())
                                        on:click=move |_| content.moved(key, 1)>"↓"</button>
                                    <button type="button" class="small quiet"
                                        aria-label=move || format!("Remove message {}", n())
                                        on:click=move |_| content.messages.update(|rows| rows.retain(|r| r.key != key))>
                                        "Remove"
                                    </button>
                                </div>
                                {move || if row.slot.with(|s| *s == Slot::Placeholder) {
                                    view! {
                                        <input type="text" class="mono" placeholder="history" spellcheck="false"
                                            aria-label=move || format!("Name of placeholder {}", n())
                                            value=row.text.get_untracked() prop:value=row.text on:input=move |ev| row.text.set(event_target_value(&ev))
                                            on:keydown=on_keys/>
                                        <p class="hint">"The application inserts its own messages here (a conversation so far)."</p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <textarea rows="4" class="mono" spellcheck="false"
                                            aria-label=move || format!("Content of message {}", n())
                                            prop:value=row.text on:input=move |ev| row.text.set(event_target_value(&ev))
                                            on:keydown=on_keys>
                                            {row.text.get_untracked()}
                                        </textarea>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }
                </For>
            </ol>
            <div class="row">
                <button type="button" class="small"
                    on:click=move |_| content.add(ChatMessage::new(MessageRole::User, ""))>"Add a message"</button>
                <button type="button" class="small"
                    on:click=move |_| content.add(ChatMessage::Placeholder { name: "history".into() })>
                    "Add a placeholder"
                </button>
            </div>
        </fieldset>
    }
}

/// The config, as JSON; what is wrong with it is said as it is typed.
#[component]
pub(super) fn ConfigField(content: Content, can_edit: bool) -> impl IntoView {
    let problem = Memo::new(move |_| content.config_problem());
    view! {
        <div class="field">
            <label for="editor-config">"Config " <span class="hint">"(JSON: model, temperature, tools…)"</span></label>
            <textarea id="editor-config" name="config" rows="5" spellcheck="false" class="mono" disabled=!can_edit
                placeholder=r#"{"model": "gpt-4o", "temperature": 0.2}"#
                aria-invalid=move || problem.get().is_some().to_string() aria-describedby="config-check"
                prop:value=content.config on:input=move |ev| content.config.set(event_target_value(&ev))>
                {content.config.get_untracked()}
            </textarea>
            <p id="config-check" class="hint" class:error=move || problem.get().is_some() aria-live="polite">
                {move || problem.get().unwrap_or_else(|| "Saved and frozen with the version.".to_owned())}
            </p>
        </div>
    }
}

/// The variables found, and the preview: sample values in, the compiled prompt out, as typed.
#[component]
pub(super) fn VariablesAndPreview(content: Content) -> impl IntoView {
    let body = Memo::new(move |_| content.body());
    let variables = Memo::new(move |_| body.with(Body::variables));
    let sample = move |name: &str| {
        content
            .samples
            .with(|s| s.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
            .unwrap_or_default()
    };
    let set_sample = move |name: String, value: String| {
        content.samples.update(|s| match s.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => s.push((name, value)),
        });
    };
    let compiled = move || {
        let samples = content.samples.get();
        let values: Vec<(&str, &str)> =
            samples.iter().filter(|(_, v)| !v.is_empty()).map(|(n, v)| (n.as_str(), v.as_str())).collect();
        body.with(|b| b.compile(&values, &[], Mode::Lenient).unwrap_or_else(|_| b.clone()))
    };
    view! {
        <div class="variables" aria-live="polite">
            <span class="hint">"Variables: "</span>
            {move || {
                let names = variables.get();
                if names.is_empty() {
                    view! { <span class="hint">"none — write " <code>"{{name}}"</code> " to add one"</span> }.into_any()
                } else {
                    names.into_iter().map(|n| view! { <code class="variable">{format!("{{{{{n}}}}}")}</code>" " }).collect_view().into_any()
                }
            }}
        </div>
        <details class="preview">
            <summary>"Preview with sample values"</summary>
            <div class="samples">
                {move || variables.get().into_iter().map(|name| {
                    let id = format!("sample-{name}");
                    let label = name.clone();
                    let typed = name.clone();
                    view! {
                        <div class="field">
                            <label for=id.clone()><code>{label}</code></label>
                            <input id=id type="text" prop:value=move || sample(&name)
                                on:input=move |ev| set_sample(typed.clone(), event_target_value(&ev))/>
                        </div>
                    }
                }).collect_view()}
            </div>
            {move || match compiled() {
                Body::Text(text) => view! { <pre class="preview-text">{text}</pre> }.into_any(),
                Body::Chat(messages) => view! {
                    <ol class="preview-chat">
                        {messages.into_iter().map(|message| match message {
                            ChatMessage::Message { role, content } => view! {
                                <li><span class="badge kind">{role.to_string()}</span><pre class="preview-text">{content}</pre></li>
                            }.into_any(),
                            ChatMessage::Placeholder { name } => view! {
                                <li class="hint">"⟨ " <code>{name}</code> ": the application's messages ⟩"</li>
                            }.into_any(),
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </details>
    }
}
