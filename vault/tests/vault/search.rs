//! Keyword search over messages and authors: freshness, highlighting, lenient parsing,
//! workspace isolation, paging, and an index that is missing, damaged or behind.

use std::time::{Duration, Instant};

use vault::{
    Actor, Cursor, Found, HistoryEntry, NewDraft, NewMember, Page, PageRequest, Rewrite, Role, VersionNumber,
};

use crate::helpers::{Fixture, PROMPT, v};

async fn fixture() -> Fixture {
    let f = Fixture::new("Ada Lovelace").await;
    f.vault.create_prompt(&f.owner, PROMPT).await.expect("create prompt");
    f
}

fn search(text: &str) -> PageRequest {
    PageRequest { search: Some(text.into()), ..Default::default() }
}

fn numbers(page: &Page<HistoryEntry>) -> Vec<i64> {
    page.items.iter().map(|e| e.number.get()).collect()
}

/// The marked words of `text`, in order.
fn marked<'t>(text: &'t str, marks: &[std::ops::Range<usize>]) -> Vec<&'t str> {
    marks.iter().map(|r| &text[r.clone()]).collect()
}

impl Fixture {
    async fn save(&self, author: &Actor, message: &str) -> VersionNumber {
        let draft = NewDraft::text(format!("source of {message}"), message);
        self.vault.save_draft(author, PROMPT, draft).await.expect("save").number
    }

    async fn history(&self, text: &str) -> Page<HistoryEntry> {
        self.vault.history(&self.owner, PROMPT, search(text)).await.expect("search")
    }

    /// Polls until `text` finds exactly `expected`, failing after `within`.
    async fn await_search(&self, text: &str, expected: &[i64], within: Duration) {
        let started = Instant::now();
        loop {
            let found = numbers(&self.history(text).await);
            if found == expected {
                return;
            }
            assert!(started.elapsed() < within, "{text:?} found {found:?}, expected {expected:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_saved_version_is_searchable_within_a_second_by_message_and_author() {
    let f = fixture().await;
    let grace = f
        .vault
        .add_member(
            &f.owner,
            NewMember {
                email: "grace@example.com".into(),
                name: "Grace Hopper".into(),
                password: "a long password".into(),
                role: Role::Editor,
            },
        )
        .await
        .expect("add member");
    f.save(&f.owner, "Tighten the refund policy wording").await;
    f.save(&grace, "Answer in Dutch when asked").await;
    f.save(&f.owner, "Shorter greeting").await;

    f.await_search("refund", &[1], Duration::from_secs(1)).await;
    // By a word of the author's name, by their email, case-insensitively, across fields.
    f.await_search("hopper", &[2], Duration::ZERO).await;
    f.await_search("grace@example.com", &[2], Duration::ZERO).await;
    f.await_search("LOVELACE", &[3, 1], Duration::ZERO).await;
    // Every word must match somewhere: the author of one field, the message of another.
    f.await_search("ada greeting", &[3], Duration::ZERO).await;
    f.await_search("grace greeting", &[], Duration::ZERO).await;

    let page = f.history("refund ada").await;
    let entry = &page.items[0];
    assert_eq!(marked(&entry.message, &entry.marks.message), ["refund"]);
    assert_eq!(marked(&entry.author, &entry.marks.author), ["Ada"]);
    assert!(entry.marks.author_email.is_empty(), "an email matches whole, not by its parts");
    let page = f.history("Ada@Example.com").await;
    let entry = &page.items[0];
    assert_eq!(marked(&entry.author_email, &entry.marks.author_email), ["ada@example.com"]);
    let plain = f.vault.history(&f.owner, PROMPT, PageRequest::default()).await.expect("history");
    assert!(plain.items.iter().all(|e| e.marks == Default::default()), "no marks without a search");
}

#[tokio::test]
async fn rewrites_and_deletions_reach_the_index() {
    let f = fixture().await;
    f.save(&f.owner, "first attempt at tone").await;
    f.save(&f.owner, "second attempt at tone").await;
    f.await_search("attempt", &[2, 1], Duration::from_secs(1)).await;

    let rewrite = Rewrite { message: Some("polished wording".into()), ..Default::default() };
    f.vault.rewrite_draft(&f.owner, PROMPT, v(2), rewrite).await.expect("rewrite");
    f.await_search("polished", &[2], Duration::from_secs(1)).await;
    f.await_search("attempt", &[1], Duration::ZERO).await;

    f.vault.delete_draft(&f.owner, PROMPT, v(1)).await.expect("delete");
    f.await_search("attempt", &[], Duration::from_secs(1)).await;
}

#[tokio::test]
async fn whatever_a_person_types_gives_results_or_none_never_an_error() {
    let f = fixture().await;
    f.save(&f.owner, "Fix: \"quotes\" and (brackets) [v2] 100% -- done").await;
    f.vault.search_caught_up().await.expect("caught up");
    for typed in [
        "\"",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        "*",
        "-",
        "+",
        "!",
        "^",
        "~",
        "\\",
        "AND",
        "OR",
        "NOT",
        "message:",
        ":fix",
        "fix AND",
        "\"unclosed phrase",
        "[1 TO",
        "fix~2",
        "ü∂ 漢字 🙂",
        "a\u{0}b",
        "   ",
        "author_email:",
        "v2]",
        // Found by the generated inputs: "field:*" asks whether a field exists.
        "Ⱥ:*",
        "nosuchfield:*",
        "message:*",
        "prompt_id:*",
        "*:*",
        &"x".repeat(10_000),
    ] {
        f.vault.history(&f.owner, PROMPT, search(typed)).await.unwrap_or_else(|e| panic!("{typed:?}: {e}"));
        f.vault.search(&f.owner, search(typed)).await.unwrap_or_else(|e| panic!("{typed:?}: {e}"));
    }
    assert_eq!(numbers(&f.history("(brackets)").await), [1]);
    assert_eq!(numbers(&f.history("\"quotes and brackets\"").await), [1], "a phrase");
}

#[tokio::test]
async fn non_latin_messages_are_found_and_marked() {
    let f = fixture().await;
    f.save(&f.owner, "Ответ вежливее, без канцелярита").await;
    f.vault.search_caught_up().await.expect("caught up");
    let page = f.history("вежливее").await;
    assert_eq!(numbers(&page), [1]);
    let entry = &page.items[0];
    assert_eq!(marked(&entry.message, &entry.marks.message), ["вежливее"]);
}

#[tokio::test]
async fn search_results_page_with_cursors_newest_first() {
    let f = fixture().await;
    for i in 1..=7 {
        let message = if i % 2 == 1 { format!("odd change {i}") } else { format!("even change {i}") };
        f.save(&f.owner, &message).await;
    }
    f.vault.search_caught_up().await.expect("caught up");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageRequest { limit: Some(2), cursor, search: Some("odd".into()) };
        let page = f.vault.history(&f.owner, PROMPT, page).await.expect("page");
        seen.extend(numbers(&page));
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::parse(&next).expect("own cursor")),
            None => break,
        }
    }
    assert_eq!(seen, [7, 5, 3, 1]);
    // The API's shape: the same page with sources.
    let with_sources = f.vault.versions(&f.owner, PROMPT, search("even")).await.expect("versions");
    let sources: Vec<&str> = with_sources.items.iter().map(|v| v.text()).collect();
    assert_eq!(sources, ["source of even change 6", "source of even change 4", "source of even change 2"]);
}

#[tokio::test]
async fn workspace_search_spans_prompts_and_never_another_workspace() {
    let f = fixture().await;
    f.save(&f.owner, "refund wording for support").await;
    f.vault.create_prompt(&f.owner, "billing/refunds").await.expect("second prompt");
    let draft = NewDraft::text("x", "refund limits");
    f.vault.save_draft(&f.owner, "billing/refunds", draft).await.expect("save");
    f.vault.search_caught_up().await.expect("caught up");

    let found = f.vault.search(&f.owner, search("refund")).await.expect("search");
    let hits: Vec<(String, i64)> =
        found.items.iter().map(|Found { prompt, entry }| (prompt.clone(), entry.number.get())).collect();
    assert_eq!(hits, [("billing/refunds".to_owned(), 1), (PROMPT.to_owned(), 1)]);
    assert_eq!(marked(&found.items[0].entry.message, &found.items[0].entry.marks.message), ["refund"]);

    // A member of another workspace (one server holds one workspace today, so the other is
    // made directly in the database) finds only their own versions.
    let stranger = another_workspace(&f).await;
    let draft = NewDraft::text("x", "refund secrets");
    f.vault.save_draft(&stranger, "their/prompt", draft).await.expect("their save");
    f.vault.search_caught_up().await.expect("caught up");
    let theirs = f.vault.search(&stranger, search("refund")).await.expect("their search");
    let hits: Vec<&str> = theirs.items.iter().map(|found| found.prompt.as_str()).collect();
    assert_eq!(hits, ["their/prompt"]);
    let ours = f.vault.search(&f.owner, search("refund secrets")).await.expect("our search");
    assert!(ours.items.is_empty());
    assert!(f.vault.history(&stranger, PROMPT, search("refund")).await.is_err(), "not their prompt");
}

/// A second workspace, with its own owner and a prompt.
async fn another_workspace(f: &Fixture) -> Actor {
    let eve = NewMember {
        email: "eve@example.org".into(),
        password: "long enough".into(),
        name: "Eve".into(),
        role: Role::Viewer,
    };
    let eve = f.vault.add_member(&f.owner, eve).await.expect("eve");
    let actor = f.vault.create_workspace(&eve, "Other").await.expect("workspace");
    f.vault.remove_member(&eve, eve.member_id).await.expect("eve leaves the first workspace");
    f.vault.create_prompt(&actor, "their/prompt").await.expect("their prompt");
    actor
}

#[tokio::test]
async fn a_missing_damaged_or_stale_index_is_rebuilt_from_the_database() {
    let f = fixture().await;
    for i in 1..=5 {
        f.save(&f.owner, &format!("change number {i}")).await;
    }
    f.vault.search_caught_up().await.expect("caught up");
    f.vault.close().await;
    let index = f.dir.path().join("search-index");

    // Missing.
    std::fs::remove_dir_all(&index).expect("remove index");
    let f = reopen(f).await;
    assert_eq!(numbers(&f.history("change").await), [5, 4, 3, 2, 1]);

    // Damaged: every file of the index truncated.
    f.vault.close().await;
    for file in std::fs::read_dir(&index).expect("index dir") {
        let path = file.expect("entry").path();
        if path.is_file() {
            std::fs::write(&path, b"garbage").expect("damage");
        }
    }
    let f = reopen(f).await;
    assert_eq!(numbers(&f.history("change").await), [5, 4, 3, 2, 1]);

    // Behind: versions written while the index was not looking (a crash before the indexer
    // ran) are in the change feed, and applied at start-up.
    f.vault.close().await;
    crate::helpers::sql(f.dir.path(), "update versions set message = 'edited offline' where number = 5")
        .await
        .expect("offline edit");
    let f = reopen(f).await;
    assert_eq!(numbers(&f.history("change").await), [4, 3, 2, 1]);
    assert_eq!(numbers(&f.history("offline").await), [5]);
}

async fn reopen(f: Fixture) -> Fixture {
    let vault = crate::helpers::open(f.dir.path()).await;
    vault.search_caught_up().await.expect("caught up");
    Fixture { vault, ..f }
}

#[tokio::test]
async fn a_prompts_tags_find_its_versions_and_a_new_list_replaces_them() {
    let f = fixture().await;
    let first = f.save(&f.owner, "first cut").await.get();
    let second = f.save(&f.owner, "second cut").await.get();
    f.vault.set_tags(&f.owner, PROMPT, &["refunds".into(), "billing".into()]).await.expect("tags");
    f.await_search("refunds", &[second, first], Duration::from_secs(5)).await;
    f.await_search("billing cut", &[second, first], Duration::from_secs(5)).await;
    f.vault.set_tags(&f.owner, PROMPT, &["onboarding".into()]).await.expect("new tags");
    f.await_search("refunds", &[], Duration::from_secs(5)).await;
    f.await_search("onboarding", &[second, first], Duration::from_secs(5)).await;
}
