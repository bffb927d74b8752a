//! Prompts that include prompts: pinned when published (by promote, by a protected label
//! moved onto a draft, by a Langfuse create), resolved when a draft is read, and the
//! refusals (a draft pinned, a missing prompt, a chat prompt, a cycle, too many levels).

use serde_json::{Value, json};
use types::diff::DiffRow;
use vault::{ChangeRule, KeyKind, LangfuseCreate, NewLabel, PromptType, SettingsPatch};

use crate::helpers::{Fixture, assert_refused, draft, v};

fn tag(name: &str, target: &str) -> String {
    format!("@@@langfusePrompt:name={name}|{target}@@@")
}

/// A workspace with live and test keys, staging on, and text prompt `tone` live at v1
/// ("Be kind.").
async fn fixture() -> Fixture {
    let f = Fixture::new("Ada").await.with_keys().await;
    f.staging(true).await;
    publish(&f, "tone", "Be kind.").await;
    f
}

/// Saves `source` as a new version of `name` (made if missing) and promotes it.
async fn publish(f: &Fixture, name: &str, source: &str) -> i64 {
    let number = save(f, name, source).await;
    f.vault.promote(&f.owner, name, v(number)).await.expect("promote");
    number
}

/// Saves `source` as a new draft of `name` (made if missing); its number.
async fn save(f: &Fixture, name: &str, source: &str) -> i64 {
    if f.vault.prompt(&f.owner, name).await.is_err() {
        f.vault.create_prompt(&f.owner, name).await.expect("create");
    }
    f.vault.save_draft(&f.owner, name, draft(source)).await.expect("save").number.get()
}

/// What `token` reads of `name`: its source (or messages) and variables.
async fn read(f: &Fixture, token: &str, name: &str) -> Value {
    let served = f.vault.read_prompt(token, name, None).await.expect("read");
    serde_json::from_slice(&served.body).expect("json")
}

#[tokio::test]
async fn a_published_version_pins_what_it_includes_and_keeps_it() {
    let f = fixture().await;
    let source = format!("Start. {} Reply to {{{{name}}}}.", tag("tone", "label=production"));
    publish(&f, "reply", &source).await;
    let served = read(&f, &f.live, "reply").await;
    assert_eq!(served["source"], "Start. Be kind. Reply to {{name}}.");
    assert_eq!(served["variables"], json!(["name"]));

    publish(&f, "tone", "Be brief, {{customer}}.").await;
    let served = read(&f, &f.live, "reply").await;
    assert_eq!(served["source"], "Start. Be kind. Reply to {{name}}.", "live stays frozen");
    let written = f.vault.version(&f.owner, "reply", v(1)).await.expect("v1");
    assert_eq!(written.text(), source, "the version keeps its text as written");

    publish(&f, "reply", &source).await;
    let served = read(&f, &f.live, "reply").await;
    assert_eq!(
        served["source"], "Start. Be brief, {{customer}}. Reply to {{name}}.",
        "a new version pins anew"
    );
    assert_eq!(served["variables"], json!(["customer", "name"]), "variables of the resolved text");
    let raw = f.vault.read_langfuse(&f.live, "reply", (None, None), false).await.expect("raw");
    let raw: Value = serde_json::from_slice(&raw).expect("json");
    assert_eq!(raw["prompt"], source.as_str(), "resolve=false: the text as written");
    let resolved = f.vault.read_langfuse(&f.live, "reply", (None, None), true).await.expect("resolved");
    let resolved: Value = serde_json::from_slice(&resolved).expect("json");
    assert_eq!(resolved["prompt"], "Start. Be brief, {{customer}}. Reply to {{name}}.");

    let diff = f.vault.diff(&f.owner, "reply", None, v(2)).await.expect("diff");
    let new_side: Vec<String> = diff
        .diff
        .rows
        .iter()
        .filter_map(|row| match row {
            DiffRow::Changed { new: Some(side), .. } => {
                Some(side.segments.iter().map(|s| s.text.as_str()).collect::<String>())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        new_side,
        ["Start. Be brief, {{customer}}. Reply to {{name}}."],
        "the diff is of the resolved texts"
    );
    let pins: Vec<_> =
        diff.pins.iter().map(|p| (p.prompt.as_str(), p.from.as_deref(), p.to.as_deref())).collect();
    assert_eq!(pins, [("tone", Some("v1"), Some("v2"))], "a line per changed pin");
}

#[tokio::test]
async fn every_kind_of_publish_pins() {
    let f = fixture().await;
    let eu = NewLabel { name: "eu".into(), protected: true, rule: ChangeRule::Editors, fallback: None };
    f.vault.create_label(&f.owner, eu).await.expect("eu");
    let eu_key =
        f.vault.create_label_key(&f.owner, KeyKind::Live, "eu", Some("eu")).await.expect("key").token;
    save(&f, "reply", &format!("EU: {}", tag("tone", "version=1"))).await;
    f.vault.move_label(&f.owner, "reply", "eu", Some(v(1))).await.expect("eu publishes the draft");
    assert_eq!(read(&f, &eu_key, "reply").await["source"], "EU: Be kind.");

    let create = LangfuseCreate {
        name: "greeting".into(),
        kind: Some(PromptType::Chat),
        prompt: json!([{"role": "system", "content": format!("Hello. {}", tag("tone", "label=latest"))}]),
        config: None,
        labels: vec!["production".into()],
        tags: None,
        commit_message: None,
    };
    let created = f.vault.langfuse_create(&f.owner, create).await.expect("Langfuse create publishes");
    assert!(created.prompt.to_string().contains("@@@langfusePrompt"), "a write answers what it was sent");
    let served = read(&f, &f.live, "greeting").await;
    assert_eq!(served["messages"][0]["content"], "Hello. Be kind.", "a chat message includes a text prompt");
}

#[tokio::test]
async fn a_draft_resolves_when_read_and_follows_what_it_includes() {
    let f = fixture().await;
    let piece = save(&f, "tone", "Be curt.").await;
    f.vault.set_staging(&f.owner, "tone", Some(v(piece))).await.expect("tone staging on its draft");
    let own = save(&f, "reply", &format!("Preview: {}", tag("tone", "label=staging"))).await;
    f.vault.set_staging(&f.owner, "reply", Some(v(own))).await.expect("reply staging");
    assert_eq!(
        read(&f, &f.test, "reply").await["source"],
        "Preview: Be curt.",
        "a preview shows what would ship"
    );

    let newer = save(&f, "tone", "Be warm.").await;
    f.vault.set_staging(&f.owner, "tone", Some(v(newer))).await.expect("tone staging moves");
    assert_eq!(
        read(&f, &f.test, "reply").await["source"],
        "Preview: Be warm.",
        "the included label as it is now"
    );

    f.vault.set_staging(&f.owner, "tone", None).await.expect("tone staging cleared");
    f.vault.delete_draft(&f.owner, "tone", v(newer)).await.expect("the included draft deleted");
    let refused = f.vault.read_prompt(&f.test, "reply", None).await;
    assert_eq!(
        refused.err(),
        Some(vault::ReadRefused::NotFound),
        "a draft that no longer resolves is not served"
    );

    let publishing = f.vault.promote(&f.owner, "reply", v(own)).await;
    assert_refused(publishing, 422, "name=tone|label=staging");
}

#[tokio::test]
async fn references_that_cannot_be_pinned_are_refused_naming_them() {
    let f = fixture().await;
    let draft_piece = save(&f, "tone", "Be curt.").await;
    for (source, why) in [
        (tag("tone", &format!("version={draft_piece}")), "is a draft"),
        (tag("missing", "label=production"), "no prompt named missing"),
        (tag("tone", "label=eu"), "tone has no version there"),
        (tag("tone", "version=40"), "no v40"),
    ] {
        let number = save(&f, "reply", &source).await;
        let refused = f.vault.promote(&f.owner, "reply", v(number)).await;
        let error = assert_refused(refused, 422, why);
        assert!(error.to_string().contains(&source), "names the reference: {error}");
    }
    f.vault.create_prompt_of_type(&f.owner, "chatty", PromptType::Chat).await.expect("chat prompt");
    let messages = json!([{"role": "user", "content": "hi"}]);
    f.vault.save_draft(&f.owner, "chatty", vault::NewDraft::chat(messages, "m")).await.expect("chat draft");
    f.vault.promote(&f.owner, "chatty", v(1)).await.expect("chat live");
    let number = save(&f, "reply", &tag("chatty", "label=production")).await;
    assert_refused(f.vault.promote(&f.owner, "reply", v(number)).await, 422, "only text prompts");
    assert!(f.vault.prompt(&f.owner, "reply").await.expect("reply").live.is_none(), "nothing was published");
}

#[tokio::test]
async fn cycles_and_more_than_five_levels_are_refused() {
    let f = fixture().await;
    publish(&f, "a", &format!("A then {}", tag("tone", "label=production"))).await;
    publish(&f, "b", &format!("B then {}", tag("a", "label=production"))).await;
    let number = save(&f, "tone", &format!("tone then {}", tag("b", "label=production"))).await;
    assert_refused(f.vault.promote(&f.owner, "tone", v(number)).await, 422, "includes tone already");

    // level 1 … 5: p1 includes tone, p2 includes p1, …; p6 would make six.
    let mut below = "tone".to_owned();
    for level in 1..=5 {
        let name = format!("p{level}");
        publish(&f, &name, &format!("{level} {}", tag(&below, "label=production"))).await;
        below = name;
    }
    assert_eq!(read(&f, &f.live, "p5").await["source"], "5 4 3 2 1 Be kind.");
    let number = save(&f, "p6", &tag("p5", "label=production")).await;
    assert_refused(f.vault.promote(&f.owner, "p6", v(number)).await, 422, "levels deep");

    // drafts read through staging: x includes y's staging, which includes x's.
    let x = save(&f, "x", &tag("y", "label=staging")).await;
    let y = save(&f, "y", &tag("x", "label=staging")).await;
    f.vault.set_staging(&f.owner, "y", Some(v(y))).await.expect("y staging");
    f.vault.set_staging(&f.owner, "x", Some(v(x))).await.expect("x staging");
    assert_eq!(
        f.vault.read_prompt(&f.test, "x", None).await.err(),
        Some(vault::ReadRefused::NotFound),
        "a cycle is not served"
    );
}

#[tokio::test]
async fn the_database_keeps_what_a_published_version_embeds() {
    let f = fixture().await;
    publish(&f, "reply", &tag("tone", "label=production")).await;
    save(&f, "tone", "a draft").await;
    for statement in [
        "update version_pins set included_id = included_id",
        "delete from version_pins",
        "update versions set resolved = 'other' where resolved is not null",
        "update versions set depth = 3 where resolved is not null",
        "insert into version_pins (version_id, reference, included_id) \
         select id, 'name=x|version=1', id from versions where status = 'draft'",
    ] {
        let refused = crate::helpers::sql(f.dir.path(), statement).await;
        assert!(refused.is_err(), "the database refuses {statement}");
    }
    assert_eq!(read(&f, &f.live, "reply").await["source"], "Be kind.");
}

#[tokio::test]
async fn a_hundred_dependents_are_listed_and_updated_in_one_release() {
    let f = fixture().await;
    for i in 0..100 {
        publish(&f, &format!("d/{i:03}"), &format!("{i}: {}", tag("tone", "label=production"))).await;
    }
    publish(&f, "fixed", &tag("tone", "version=1")).await;
    let used = f.vault.dependents(&f.owner, "tone").await.expect("where used");
    assert_eq!(used.len(), 101);
    let first = &used[0];
    assert_eq!((first.prompt.as_str(), first.behind), ("d/000", false));
    assert_eq!((first.labels[0].label.as_str(), first.labels[0].pins.as_str()), ("live", "v1"));

    publish(&f, "tone", "Be brief.").await;
    assert!(f.vault.dependents(&f.owner, "tone").await.expect("used").iter().all(|d| d.behind));
    let review = SettingsPatch { live_changes: Some(ChangeRule::Review), ..Default::default() };
    f.vault.update_settings(&f.owner, review).await.expect("review");
    assert_refused(f.vault.update_dependents(&f.owner, "tone", true).await, 409, "review_required");
    assert_eq!(read(&f, &f.live, "d/000").await["source"], "0: Be kind.", "nothing changed");
    let admins = SettingsPatch { live_changes: Some(ChangeRule::Admins), ..Default::default() };
    f.vault.update_settings(&f.owner, admins).await.expect("admins");
    let editor = f.member(vault::Role::Editor).await;
    assert_refused(f.vault.update_dependents(&editor, "tone", true).await, 403, "only admins and owners");
    assert!(f.vault.update_dependents(&editor, "tone", false).await.is_ok_and(|u| u.len() == 101), "drafts");
    let editors = SettingsPatch { live_changes: Some(ChangeRule::Editors), ..Default::default() };
    f.vault.update_settings(&f.owner, editors).await.expect("editors");

    let updated = f.vault.update_dependents(&f.owner, "tone", true).await.expect("one release");
    assert_eq!(updated.len(), 101);
    let skipped: Vec<_> = updated.iter().filter(|u| u.skipped.is_some()).map(|u| u.prompt.as_str()).collect();
    assert_eq!(skipped, ["fixed"], "a reference by version number pins what it pinned");
    assert!(
        updated.iter().filter(|u| u.skipped.is_none()).all(|u| u.to.as_deref() == Some("v3") && u.published)
    );
    for i in [0, 57, 99] {
        let name = format!("d/{i:03}");
        assert_eq!(read(&f, &f.live, &name).await["source"], format!("{i}: Be brief."));
        let moves = f.vault.deployments(&f.owner, &name).await.expect("deployments");
        assert_eq!(moves.iter().filter(|m| m.label.as_str() == "live").count(), 2, "one move per prompt");
    }
    assert_eq!(read(&f, &f.live, "fixed").await["source"], "Be kind.");
    let pins = f.vault.pins(&f.owner, "d/000", v(3)).await.expect("pins");
    assert_eq!((pins[0].reference.as_str(), pins[0].version.as_str()), ("name=tone|label=production", "v2"));

    publish(&f, "tone", "Be calm.").await;
    let drafts = f.vault.update_dependents(&f.owner, "tone", false).await.expect("drafts");
    assert!(drafts.iter().filter(|u| u.to.is_some()).all(|u| u.to.as_deref() == Some("v4") && !u.published));
    assert_eq!(read(&f, &f.live, "d/000").await["source"], "0: Be brief.", "drafts change nothing served");
}

#[tokio::test]
async fn the_editor_previews_what_a_text_includes_and_an_update_shows_its_change() {
    let f = fixture().await;
    let text = format!("Hi. {} Bye.", tag("tone", "label=production"));
    publish(&f, "reply", &text).await;
    let parts = f.vault.preview_includes(&f.owner, "reply", &text).await.expect("preview");
    let shown: Vec<_> = parts.iter().map(|p| (p.text.as_str(), p.included.as_deref())).collect();
    assert_eq!(shown, [("Hi. ", None), ("Be kind.", Some("tone v1")), (" Bye.", None)]);
    let missing = f.vault.preview_includes(&f.owner, "reply", &tag("nope", "label=production")).await;
    assert_refused(missing, 422, "name=nope|label=production");

    publish(&f, "tone", "Be brief.").await;
    let change =
        f.vault.dependent_update_diff(&f.owner, "tone", "reply").await.expect("what an update changes");
    assert_eq!((change.diff.added, change.diff.removed), (1, 1));
    let pins: Vec<_> = change.pins.iter().map(|p| (p.from.as_deref(), p.to.as_deref())).collect();
    assert_eq!(pins, [(Some("v1"), Some("v2"))]);
}

#[tokio::test]
async fn concurrent_publishes_of_a_piece_and_its_dependents_never_serve_a_half_updated_set() {
    let f = fixture().await;
    publish(&f, "gloss", "Gloss 1.").await;
    let source = format!("{} / {}", tag("tone", "label=production"), tag("gloss", "label=production"));
    for i in 0..10 {
        publish(&f, &format!("c/{i}"), &source).await;
    }
    let pieces = async {
        for round in 2..=6 {
            publish(&f, "tone", &format!("Tone {round}.")).await;
            publish(&f, "gloss", &format!("Gloss {round}.")).await;
        }
    };
    let updates = async {
        for _ in 0..5 {
            for piece in ["tone", "gloss"] {
                f.vault.update_dependents(&f.owner, piece, true).await.expect("update");
            }
        }
    };
    tokio::join!(pieces, updates);
    // Every published version of every dependent serves exactly what its pins name.
    for i in 0..10 {
        let name = format!("c/{i}");
        let newest = f.vault.prompt(&f.owner, &name).await.expect("prompt").versions;
        for n in 1..=newest {
            let Ok(version) = f.vault.version(&f.owner, &name, v(n)).await else { continue };
            let pins = f.vault.pins(&f.owner, &name, v(n)).await.expect("pins");
            let mut texts = Vec::new();
            for piece in ["tone", "gloss"] {
                let pin = pins.iter().find(|p| p.prompt == piece).expect("a pin per piece");
                let number = vault::VersionNumber::parse(&pin.version).expect("number");
                texts.push(f.vault.version(&f.owner, piece, number).await.expect("pinned").text().to_owned());
            }
            let expected = texts.join(" / ");
            let served = version.served_body().clone();
            assert_eq!(served, types::Body::Text(expected), "{name} v{n}");
        }
    }
}
