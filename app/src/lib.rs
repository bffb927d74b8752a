//! The dashboard: Leptos pages and components, rendered on the server and hydrated in the
//! browser, and the thin server functions they call. With feature `ssr` the server
//! functions call the `vault`; with feature `hydrate` this crate is the browser side.

#![recursion_limit = "256"]

pub mod api;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

#[cfg(feature = "ssr")]
pub use api::{Reached, ServerContext, origin_of};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page once the browser side has taken over, so end-to-end tests wait for
    // hydration instead of sleeping.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/promptvault.css"/>
        <Title text="PromptVault"/>
        <Router>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                // Async: these pages may redirect, which must happen before any byte is sent.
                <Route path=path!("/") view=pages::Home ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=pages::SetupPage/>
                <Route path=path!("/sign-in") view=pages::SignInPage/>
                <Route path=path!("/prompts") view=pages::PromptsPage ssr=SsrMode::Async/>
                <Route path=path!("/prompts/*name") view=pages::PromptPage ssr=SsrMode::Async/>
                <Route path=path!("/search") view=pages::SearchPage ssr=SsrMode::Async/>
                <Route path=path!("/activity") view=pages::ActivityPage ssr=SsrMode::Async/>
                <Route path=path!("/fleet") view=pages::FleetPage ssr=SsrMode::Async/>
                <Route path=path!("/requests") view=pages::RequestsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings") view=pages::SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/integrations") view=pages::IntegrationsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/members") view=pages::MembersPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/labels") view=pages::LabelsPage ssr=SsrMode::Async/>
                <Route path=path!("/join/:token") view=pages::JoinPage/>
            </Routes>
        </Router>
    }
}
