//! The dashboard's server functions over HTTP, as the browser calls them: a refusal answers
//! its 4xx with the vault's code, and a plain form post (no WASM) is sent back to its page
//! with the error and what was typed.

use app::api::{CreatePrompt, CurrentMember, Promote, RewriteDraft, SaveDraft, SignIn};
use leptos::server_fn::ServerFn;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, REFERER, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Calls server function `path` with a form body, as the WASM client does (JSON answers),
/// with the member's session cookie if any.
pub async fn call(app: &TestApp, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.base))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded(form));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.expect("server function");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish()
}

/// Signs the owner in through the dashboard's sign-in; returns the session cookie.
async fn sign_in(app: &TestApp) -> String {
    sign_in_as(app, "ada@example.com", "correct horse").await
}

/// Signs a member in through the dashboard's sign-in; returns the session cookie.
pub async fn sign_in_as(app: &TestApp, email: &str, password: &str) -> String {
    let response = app
        .client
        .post(format!("{}{}", app.base, SignIn::PATH))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded(&[("email", email), ("password", password)]))
        .send()
        .await
        .expect("sign in");
    let cookie = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).expect("a session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// A personal access token acting in `workspace`, made as its member does: signed in to
/// the dashboard with their password, switched to it, Personal access tokens. (A token
/// cannot make one: `POST /v1/manage/workspaces` answers none.)
pub async fn token_in(app: &TestApp, email: &str, password: &str, workspace: &Value) -> String {
    use app::api::{CreateAccessToken, SwitchWorkspace};
    let cookie = sign_in_as(app, email, password).await;
    let (status, body) =
        call(app, SwitchWorkspace::PATH, &[("workspace", &workspace.to_string())], Some(&cookie)).await;
    assert!(status < 400, "switched to {workspace}: {status} {body}");
    let (status, body) =
        call(app, CreateAccessToken::PATH, &[("name", "made in the dashboard")], Some(&cookie)).await;
    assert_eq!(status, 200, "{body}");
    body["secret"].as_str().expect("the new token").to_owned()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn refused_server_functions_answer_their_4xx_with_the_vaults_code() {
    let mut app = spawn_app().await;
    app.set_up().await;

    let (status, body) =
        call(&app, SignIn::PATH, &[("email", "ada@example.com"), ("password", "wrong")], None).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "{body}");
    let (status, body) = call(&app, CreatePrompt::PATH, &[("name", "support/triage")], None).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "signed out: {body}");

    let cookie = sign_in(&app).await;
    let me = Some(cookie.as_str());
    let (status, body) = call(&app, CreatePrompt::PATH, &[("name", "Support | Triage")], me).await;
    assert_eq!((status, code(&body), &body["field"]), (422, "invalid", &json!("name")), "{body}");
    // A successful call redirects to the new prompt's page.
    let (status, _) = call(&app, CreatePrompt::PATH, &[("name", "support/triage")], me).await;
    assert!(status < 400, "created: {status}");
    let (status, body) = call(&app, CreatePrompt::PATH, &[("name", "support/triage")], me).await;
    assert_eq!((status, code(&body)), (409, "already_exists"), "{body}");

    let draft = [("name", "support/triage"), ("source", "Classify."), ("message", "first")];
    assert!(call(&app, SaveDraft::PATH, &draft, me).await.0 < 400);
    let stale =
        [("name", "support/triage"), ("number", "1"), ("revision", "7"), ("source", "x"), ("message", "")];
    let (status, body) = call(&app, RewriteDraft::PATH, &stale, me).await;
    assert_eq!((status, code(&body)), (412, "stale"), "{body}");
    let promote =
        |n: &'static str| [("name", "support/triage"), ("number", n), ("back", "/prompts/support/triage")];
    let (status, body) = call(&app, Promote::PATH, &promote("9"), me).await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    assert!(call(&app, Promote::PATH, &promote("1"), me).await.0 < 400);
    let frozen =
        [("name", "support/triage"), ("number", "1"), ("revision", "1"), ("source", "x"), ("message", "")];
    let (status, body) = call(&app, RewriteDraft::PATH, &frozen, me).await;
    assert_eq!((status, code(&body)), (409, "frozen"), "{body}");

    let (status, body) = call(&app, SaveDraft::PATH, &[("name", "support/triage")], me).await;
    assert_eq!((status, code(&body)), (400, "malformed"), "a missing argument: {body}");
}

#[tokio::test]
async fn a_one_mib_source_in_any_script_fits_a_form_and_a_larger_body_is_413() {
    let mut app = spawn_app().await;
    app.set_up().await;
    app.post("/v1/manage/prompts", json!({"name": "wide"})).await;
    let cookie = sign_in(&app).await;
    // 1 MiB of a three-byte character: 3 MiB of UTF-8 percent-encoded three times over.
    let wide = "語".repeat(vault::MAX_SOURCE_BYTES / 3);
    let form = [("name", "wide"), ("source", wide.as_str()), ("message", "")];
    let (status, body) = call(&app, SaveDraft::PATH, &form, Some(&cookie)).await;
    assert!(status < 400, "{status} {body}");
    let (status, body) = app.get("/v1/manage/prompts/wide/versions/1").await;
    assert_eq!((status, body["source"].as_str().map(str::len)), (200, Some(wide.len())));

    let too_big = "x".repeat(4 * vault::MAX_SOURCE_BYTES);
    let form = [("name", "wide"), ("source", too_big.as_str()), ("message", "")];
    assert_eq!(call(&app, SaveDraft::PATH, &form, Some(&cookie)).await.0, 413);
}

#[tokio::test]
async fn a_refused_plain_form_post_returns_to_its_page_with_the_error_and_the_text() {
    let mut app = spawn_app().await;
    app.set_up().await;
    let cookie = sign_in(&app).await;
    app.post("/v1/manage/prompts", json!({"name": "support/triage"})).await;
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = format!("{}/prompts/support/triage", app.base);
    let too_long = "why ".repeat(600);
    let response = no_redirects
        .post(format!("{}{}", app.base, SaveDraft::PATH))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(REFERER, &page)
        .header(COOKIE, &cookie)
        .body(serde_urlencoded(&[
            ("name", "support/triage"),
            ("source", "Typed by hand."),
            ("message", &too_long),
        ]))
        .send()
        .await
        .expect("form post");
    assert_eq!(response.status().as_u16(), 302, "a plain form post is sent back to its page");
    let location =
        response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).expect("location").to_owned();
    assert!(location.starts_with(&page), "{location}");

    // The page it lands on shows the error, and the editor holds what was typed.
    let html = app
        .client
        .get(&location)
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("message is larger than the limit of 2000 bytes"), "the error is shown");
    assert!(html.contains("Typed by hand."), "the text typed is kept");
}

#[tokio::test]
async fn signing_in_ends_the_session_the_browser_came_with() {
    let mut app = spawn_app().await;
    app.set_up().await;
    let planted = sign_in(&app).await;
    // Signing in again from a browser holding `planted`: it gets a new session, and the
    // old one stops working (whoever else holds it is out).
    let response = app
        .client
        .post(format!("{}{}", app.base, SignIn::PATH))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, &planted)
        .body(serde_urlencoded(&[("email", "ada@example.com"), ("password", "correct horse")]))
        .send()
        .await
        .expect("sign in");
    let fresh = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).expect("a new cookie");
    let fresh = fresh.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(fresh, planted);
    let (status, _) = call(&app, CurrentMember::PATH, &[], Some(&planted)).await;
    assert_eq!(status, 401, "the session the browser came with has ended");
    let (status, _) = call(&app, CurrentMember::PATH, &[], Some(&fresh)).await;
    assert_eq!(status, 200);
}

/// The `Set-Cookie` a dashboard sign-in answers with, sent with `headers`.
async fn sign_in_cookie(app: &TestApp, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}{}", app.base, SignIn::PATH))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded(&[("email", "ada@example.com"), ("password", "correct horse")]));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sign in");
    let cookie =
        response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (response.status().as_u16(), cookie)
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_the_cookie_is_secure_and_the_public_origin_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = crate::helpers::spawn_app_with(dir, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        config.public_url = Some("https://prompts.example.com".parse().expect("url"));
    })
    .await;
    // A browser on the public URL says so in its Origin.
    app.client = crate::helpers::browser_client("https://prompts.example.com");
    app.set_up().await;
    let (status, cookie) = sign_in_cookie(&app, &[("origin", "https://prompts.example.com")]).await;
    assert_eq!(status, 200, "the public origin is this site");
    assert!(cookie.starts_with("__Host-pv_session=") && cookie.contains("; Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap_or_default();
    let (status, _) = call(&app, CurrentMember::PATH, &[], Some(session)).await;
    assert_eq!(status, 200, "the __Host- cookie is the session");
    let planted = session.replace("__Host-pv_session", "pv_session");
    let (status, _) = call(&app, CurrentMember::PATH, &[], Some(&planted)).await;
    assert_eq!(status, 401, "over HTTPS a cookie without the prefix (one a subdomain could set) is not");
    let (status, _) = sign_in_cookie(&app, &[("origin", "https://evil.example.net")]).await;
    assert_eq!(status, 403, "another site is still refused");
    // Links people pass on are made with the public URL.
    let (status, invitation) =
        app.post("/v1/manage/invitations", json!({"email": "grace@example.com", "role": "editor"})).await;
    assert_eq!(status, 201, "{invitation}");
    let url = invitation["url"].as_str().expect("url");
    assert!(url.starts_with("https://prompts.example.com/join/pv_inv_"), "{url}");
}

#[tokio::test]
async fn only_a_trusted_proxy_makes_the_cookie_secure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut plain = crate::helpers::spawn_app_with(dir, |_| {}).await;
    plain.set_up().await;
    let (_, cookie) = sign_in_cookie(&plain, &[("x-forwarded-proto", "https")]).await;
    assert!(!cookie.contains("Secure"), "a client's own header is ignored: {cookie}");
    let invite = plain
        .request(reqwest::Method::POST, "/v1/manage/invitations")
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "grace@example.com", "role": "editor"}));
    let invitation: Value = invite.send().await.expect("invite").json().await.expect("json");
    let url = invitation["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/join/", plain.base)), "nor does it change the links: {url}");

    let dir = tempfile::tempdir().expect("temp dir");
    let mut proxied = crate::helpers::spawn_app_with(dir, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]
    })
    .await;
    proxied.set_up().await;
    // Over HTTPS the browser's Origin says https (the scheme counts: an http one is refused).
    let https_origin = proxied.base.replace("http://", "https://");
    let (_, cookie) =
        sign_in_cookie(&proxied, &[("x-forwarded-proto", "https"), ("origin", &https_origin)]).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    let (status, _) = sign_in_cookie(&proxied, &[("x-forwarded-proto", "https")]).await;
    assert_eq!(status, 403, "an http Origin over HTTPS is another site");
    let (_, cookie) = sign_in_cookie(&proxied, &[]).await;
    assert!(!cookie.contains("Secure"), "plain HTTP through the proxy: {cookie}");
}

#[tokio::test]
async fn a_server_function_call_must_say_it_came_from_this_site() {
    let mut app = spawn_app().await;
    app.set_up().await;
    let cookie = sign_in(&app).await;
    let create = |headers: &[(&'static str, String)]| {
        let mut request = reqwest::Client::new()
            .post(format!("{}{}", app.base, CreatePrompt::PATH))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, &cookie)
            .body(serde_urlencoded(&[("name", "support/triage")]));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        async move { request.send().await.expect("server function").status().as_u16() }
    };
    assert_eq!(create(&[]).await, 403, "no Sec-Fetch-Site, Origin or Referer: refused");
    let cross = [("sec-fetch-site", "cross-site".to_owned()), ("origin", app.base.clone())];
    assert_eq!(create(&cross).await, 403, "the browser's Sec-Fetch-Site outranks an Origin");
    assert_eq!(create(&[("referer", "http://evil.example/x".to_owned())]).await, 403);
    assert_eq!(app.get("/v1/manage/prompts/support/triage").await.0, 404, "nothing made");
    let referer = [("referer", format!("{}/prompts", app.base))];
    assert!(create(&referer).await < 400, "a Referer from this site will do");
    let same = [("sec-fetch-site", "same-origin".to_owned())];
    assert_eq!(create(&same).await, 409, "so will Sec-Fetch-Site (the name is taken now)");
}

#[tokio::test]
async fn dashboard_pages_are_not_framed_sniffed_or_kept() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/sign-in", app.base)).send().await.expect("page");
    let header = |name: &str| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("content-security-policy"), "frame-ancestors 'none'");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("cache-control"), "no-store");
}
