//! Hostile input, generated: whatever arrives as a prompt name, a version, an email, a
//! cursor, a search query, a draft or two texts to compare, the vault answers with a result
//! or a refusal that names what is wrong — never a panic, never a fault of its own — and a
//! refusal changes nothing.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use vault::{Cursor, Email, NewDraft, PageRequest, PromptName, VaultError, VersionNumber};

use crate::helpers::{PROMPT, assert_refused};

/// Text as hostile input is: any characters, often near the limits, sometimes huge.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-z0-9/_-]{0,140}",
        1 => "[ -~]{0,300}",
        1 => proptest::collection::vec(any::<char>(), 1_000..3_000).prop_map(|c| c.into_iter().collect()),
        1 => Just("v".repeat(200_000)),
    ]
}

/// A refusal, as opposed to a fault of ours.
fn is_refusal(error: &VaultError) -> bool {
    (400..500).contains(&error.status())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_input_gives_a_value_or_a_refusal(raw in hostile()) {
        for outcome in [
            PromptName::parse(&raw).map(drop),
            VersionNumber::parse(&raw).map(drop),
            Email::parse(&raw).map(drop),
            Cursor::parse(&raw).map(drop),
        ] {
            if let Err(error) = outcome {
                prop_assert!(is_refusal(&error), "{error:?}");
            }
        }
    }

    #[test]
    fn any_two_texts_can_be_compared(old in hostile(), new in hostile()) {
        let diff = vault::diff::side_by_side(&old, &new);
        let same = vault::diff::side_by_side(&old, &old);
        prop_assert_eq!((same.added, same.removed), (0, 0), "a text equals itself");
        prop_assert!(old == new || diff.added + diff.removed > 0 || old.lines().eq(new.lines()));
    }
}

#[test]
fn the_vault_answers_any_draft_search_and_cursor_with_a_result_or_a_refusal_that_changes_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (vault, owner, _dir) = runtime.block_on(crate::helpers::workspace("Ada"));
    runtime.block_on(vault.create_prompt(&owner, PROMPT)).expect("create");
    let mut runner = TestRunner::new(Config { cases: 128, ..Config::default() });
    let input = (hostile(), hostile(), hostile(), hostile());
    runner
        .run(&input, |(source, message, query, cursor)| {
            runtime.block_on(async {
                let before = vault.prompt(&owner, PROMPT).await.expect("state").versions;
                let saved = vault.save_draft(&owner, PROMPT, NewDraft::text(source, message)).await;
                let after = vault.prompt(&owner, PROMPT).await.expect("state").versions;
                match saved {
                    Ok(_) => prop_assert_eq!(after, before + 1),
                    Err(error) => {
                        prop_assert!(is_refusal(&error), "{:?}", error);
                        prop_assert_eq!(after, before, "a refused draft changed nothing");
                    }
                }
                let page =
                    PageRequest { search: Some(query), cursor: Cursor::parse(&cursor).ok(), limit: None };
                if let Err(error) = vault.history(&owner, PROMPT, page).await {
                    prop_assert!(is_refusal(&error), "{:?}", error);
                }
                if let Ok(name) = PromptName::parse(&cursor) {
                    // Any valid name: found or not found, never a fault.
                    if let Err(error) = vault.prompt(&owner, name.as_str()).await {
                        prop_assert!(is_refusal(&error), "{:?}", error);
                    }
                }
                Ok(())
            })
        })
        .expect("no input makes the vault fail");
}

/// Found by the generated inputs: PostgreSQL cannot store a NUL character in text, SQLite
/// can. Both refuse it now, in the same words, so no backend answers differently.
#[tokio::test]
async fn a_nul_character_is_refused_alike_on_both_backends() {
    let (vault, owner, _dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    for (source, message) in [("a\0b", ""), ("text", "a\0b")] {
        let draft = NewDraft::text(source, message);
        assert_refused(vault.save_draft(&owner, PROMPT, draft).await, 422, "NUL");
    }
    assert_eq!(vault.prompt(&owner, PROMPT).await.expect("state").versions, 0);
    assert!(vault.rename_member(&owner, "Ada\0").await.is_err());
}
