//! Requests (`/requests`): a reviewing workspace's open requests to change live, each with
//! the diff of what would change, to approve, reject (with a note) or cancel. The prompt
//! page shows its own with the same list.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Loading, Moment, SignedIn, action_error, shown};
use crate::api::{self, ApproveRequest, CancelRequest, RejectRequest, RequestRow};
use types::RequestState;

/// What a request's buttons do.
#[derive(Clone, Copy)]
pub(super) struct RequestActions {
    pub approve: ServerAction<ApproveRequest>,
    pub reject: ServerAction<RejectRequest>,
    pub cancel: ServerAction<CancelRequest>,
}

impl RequestActions {
    pub fn new() -> Self {
        RequestActions {
            approve: ServerAction::new(),
            reject: ServerAction::new(),
            cancel: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes, for the resources that follow them.
    pub fn version(self) -> (usize, usize, usize) {
        (self.approve.version().get(), self.reject.version().get(), self.cancel.version().get())
    }
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let actions = RequestActions::new();
    let requests =
        Resource::new(move || actions.version(), |_| api::load_requests(None, Some(RequestState::Open)));
    view! {
        <SignedIn>
            <h1>"Requests"</h1>
            <p class="hint">"Changes to live waiting for a second person, when the workspace reviews them (Settings → Who can change live)."</p>
            <Transition fallback=Loading>
                {shown(requests, move |rows| view! { <RequestList rows actions show_prompt=true/> }.into_any())}
            </Transition>
        </SignedIn>
    }
}

/// Requests, each with its note, the diff of what would change, and the buttons the viewer
/// may use: Approve and Reject for another entitled member, Cancel for the requester.
#[component]
pub(super) fn RequestList(
    rows: Vec<RequestRow>,
    actions: RequestActions,
    show_prompt: bool,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No open requests."</p> }.into_any();
    }
    let items = rows
        .into_iter()
        .map(|RequestRow { request: r, what, created, yours, may_decide, diff }| {
            let prompt = show_prompt.then(|| {
                view! { <A href=types::prompt_page(&r.prompt) attr:class="mono">{r.prompt.clone()}</A>" · " }
            });
            let note = (!r.note.is_empty()).then(|| view! { <blockquote class="note">{r.note.clone()}</blockquote> });
            let approve_label = format!("Approve: {what}");
            let decide = may_decide.then(|| {
                view! {
                    <ActionForm action=actions.approve>
                        <input type="hidden" name="id" value=r.id/>
                        <button type="submit" class="primary small">{approve_label}</button>
                    </ActionForm>
                    <ActionForm action=actions.reject>
                        <input type="hidden" name="id" value=r.id/>
                        <div class="row">
                            <input type="text" name="note" aria-label=format!("Why reject request {}", r.id)
                                placeholder="Why not?" maxlength="2000"/>
                            <button type="submit" class="small danger">"Reject"</button>
                        </div>
                    </ActionForm>
                }
            });
            let cancel = yours.then(|| {
                view! {
                    <ActionForm action=actions.cancel>
                        <input type="hidden" name="id" value=r.id/>
                        <button type="submit" class="small">"Cancel request"</button>
                    </ActionForm>
                }
            });
            view! {
                <li class="request" data-request=r.id>
                    <p>{prompt}<strong>{r.requested_by.clone()}</strong>" asks to "<strong>{what.clone()}</strong>
                        " · "<Moment when=created/>" · "<A href=diff>"What would change"</A></p>
                    {note}
                    <div class="row">{decide}{cancel}</div>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="requests">{items}</ul>
        {action_error(actions.approve)}
        {action_error(actions.reject)}
        {action_error(actions.cancel)}
    }
    .into_any()
}
