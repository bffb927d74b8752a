//! A prompt's tags: in the order given, each once, a list replacing the last; refused in
//! words when malformed; editors set them; each change in the activity log.

use vault::{ActivityFilter, ActivityKind, Role};

use crate::helpers::{PROMPT, assert_refused};
use crate::labels::fixture;

#[tokio::test]
async fn a_prompt_carries_tags_in_order_each_once_and_a_list_replaces_them() {
    let f = fixture().await;
    let state =
        f.vault.set_tags(&f.owner, PROMPT, &[" support ".into(), "triage".into(), "support".into()]).await;
    assert_eq!(state.expect("tagged").tags, ["support", "triage"]);
    let listed = f.vault.prompts(&f.owner).await.expect("prompts");
    assert_eq!(listed[0].state.tags, ["support", "triage"]);
    let state = f.vault.set_tags(&f.owner, PROMPT, &["billing".into()]).await.expect("replaced");
    assert_eq!(state.tags, ["billing"]);
    for bad in [
        vec![String::new()],
        vec!["x".repeat(65)],
        vec!["a\nb".into()],
        (0..51).map(|i| format!("t{i}")).collect(),
    ] {
        assert_refused(f.vault.set_tags(&f.owner, PROMPT, &bad).await, 422, "tag");
    }
    let viewer = f.member(Role::Viewer).await;
    assert_refused(f.vault.set_tags(&viewer, PROMPT, &[]).await, 403, "forbidden");
    assert!(f.vault.set_tags(&f.owner, PROMPT, &[]).await.expect("cleared").tags.is_empty());
    let entries = f.vault.activity(&f.owner, ActivityFilter::default()).await.expect("activity").items;
    assert_eq!(entries.iter().filter(|e| e.kind == ActivityKind::PromptTagged).count(), 3);
}
