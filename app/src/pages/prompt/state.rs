//! What the prompt page shows, as its URL says: the open draft (`?edit=`, `?from=`), the
//! confirmation (`?confirm=promote:4`), the open diff, the history's search and page. Every
//! link and form of the page is made from here, so every step works without WASM and can
//! be linked to.

use super::super::with_query;

/// What the URL says the page shows.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct View {
    pub name: String,
    pub edit: Option<i64>,
    pub from: Option<i64>,
    pub rolled_back: bool,
    pub confirm: Option<(Confirm, i64)>,
    /// The version whose diff is open, and the one it is compared with.
    pub diff: Option<i64>,
    pub against: Option<i64>,
    /// The history's search words, and where its page starts (`None`: the newest).
    pub q: Option<String>,
    pub before: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Confirm {
    Promote,
    RollBack,
    Delete,
}

impl View {
    /// The page of prompt `name` with the query parameters `query` gives.
    pub fn parse(name: String, query: impl Fn(&str) -> Option<String>) -> View {
        let number = |key: &str| query(key).and_then(|v| v.trim_start_matches('v').parse::<i64>().ok());
        let confirm = query("confirm").and_then(|c| {
            let (what, n) = c.split_once(':')?;
            let what = match what {
                "promote" => Confirm::Promote,
                "rollback" => Confirm::RollBack,
                "delete" => Confirm::Delete,
                _ => return None,
            };
            Some((what, n.parse::<i64>().ok()?))
        });
        View {
            name,
            edit: number("edit"),
            from: number("from"),
            rolled_back: query("rolled_back").is_some(),
            confirm,
            diff: number("diff"),
            against: number("against"),
            q: query("q").filter(|q| !q.trim().is_empty()),
            before: query("before").filter(|c| !c.is_empty()),
        }
    }

    /// This page's URL with the editor and diff state kept and no confirmation showing.
    pub fn url(&self) -> String {
        with_query(&self.page(), &self.kept())
    }

    pub fn page(&self) -> String {
        types::prompt_page(&self.name)
    }

    /// The query parameters that survive a navigation within the page.
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        let mut kept = Vec::new();
        if let Some(n) = self.edit {
            kept.push(("edit", n.to_string()));
        }
        if let Some(n) = self.from {
            kept.push(("from", n.to_string()));
        }
        if self.rolled_back {
            kept.push(("rolled_back", "true".to_owned()));
        }
        if let Some(n) = self.diff {
            kept.push(("diff", n.to_string()));
        }
        if let Some(n) = self.against {
            kept.push(("against", n.to_string()));
        }
        if let Some(q) = &self.q {
            kept.push(("q", q.clone()));
        }
        if let Some(cursor) = &self.before {
            kept.push(("before", cursor.clone()));
        }
        kept
    }

    /// What a new search, or a move in the history, keeps: the editor's state.
    pub fn editor_kept(&self) -> Vec<(&'static str, String)> {
        View { diff: None, against: None, q: None, before: None, confirm: None, ..self.clone() }.kept()
    }

    /// The URL of this page showing the newest versions (of the same search).
    pub fn newest(&self) -> String {
        View { before: None, diff: None, against: None, ..self.clone() }.url()
    }

    /// The URL that opens (or, if open, closes) version `n`'s diff.
    pub fn toggling_diff(&self, n: i64) -> String {
        let diff = if self.diff == Some(n) { None } else { Some(n) };
        View { diff, against: None, confirm: None, ..self.clone() }.url()
    }

    pub fn confirming(&self, what: Confirm, n: i64) -> String {
        let url = self.url();
        let glue = if url.contains('?') { '&' } else { '?' };
        let what = match what {
            Confirm::Promote => "promote",
            Confirm::RollBack => "rollback",
            Confirm::Delete => "delete",
        };
        format!("{url}{glue}confirm={what}:{n}")
    }

    /// Opens the editor on version `n` (`edit` or `from`), keeping the history's search.
    pub fn editing(&self, key: &'static str, n: i64) -> String {
        let mut query = vec![(key, n.to_string())];
        query.extend(self.q.clone().map(|q| ("q", q)));
        with_query(&self.page(), &query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(query: &str) -> View {
        let pairs: Vec<(String, String)> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        View::parse("support/triage".into(), |key| {
            pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_url_says_which_draft_and_confirmation_are_open() {
        let v = view("edit=v2&confirm=promote:4&q=refund");
        assert_eq!((v.edit, v.confirm), (Some(2), Some((Confirm::Promote, 4))));
        assert_eq!(v.url(), "/prompts/support/triage?edit=2&q=refund", "a link closes the confirmation");
        assert_eq!(
            v.confirming(Confirm::Delete, 2),
            "/prompts/support/triage?edit=2&q=refund&confirm=delete:2"
        );
        assert_eq!(view("confirm=explode:4").confirm, None);
        assert_eq!(view("confirm=promote:x").confirm, None);
        assert_eq!(view("q= &before=").q, None, "a blank search is no search");
    }

    #[test]
    fn a_diff_toggles_and_a_new_search_keeps_only_the_editor() {
        let v = view("from=3&diff=2&against=1&q=tone&before=abc");
        assert_eq!(v.toggling_diff(2), "/prompts/support/triage?from=3&q=tone&before=abc");
        assert_eq!(v.toggling_diff(5), "/prompts/support/triage?from=3&diff=5&q=tone&before=abc");
        assert_eq!(v.editor_kept(), vec![("from", "3".to_owned())]);
        assert_eq!(v.newest(), "/prompts/support/triage?from=3&q=tone");
        assert_eq!(v.editing("edit", 7), "/prompts/support/triage?edit=7&q=tone");
    }

    #[test]
    fn a_rollback_is_remembered_for_the_editor() {
        let v = view("from=1&rolled_back=true");
        assert!(v.rolled_back);
        assert_eq!(v.url(), "/prompts/support/triage?from=1&rolled_back=true");
    }
}
