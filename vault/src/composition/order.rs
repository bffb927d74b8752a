//! The order prompts written together go in (a push, an import): one included by another
//! of them first, so that each reference resolves when its includer is published.

use std::collections::HashSet;

use crate::content::{self, Body};

/// `items` (prompts being written together: a push, an import) in an order where one
/// included by another of them comes first, the rest as given; a cycle is left as it is (it
/// is refused when resolved). `name` and `includes` say what each is and what it includes.
/// At most a few hundred items: the passes over them stay small.
pub(crate) fn included_first<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &str,
    includes: impl Fn(&T) -> Vec<String>,
) -> Vec<T> {
    let written: HashSet<String> = items.iter().map(|item| name(item).to_owned()).collect();
    let mut waiting: Vec<(T, Vec<String>)> = items
        .into_iter()
        .map(|item| {
            let i = includes(&item);
            (item, i)
        })
        .collect();
    let mut ordered = Vec::with_capacity(waiting.len());
    let mut placed = HashSet::new();
    while !waiting.is_empty() {
        let ready = |(_, included): &(T, Vec<String>)| {
            included.iter().all(|n| !written.contains(n) || placed.contains(n))
        };
        let next = waiting.iter().position(ready).unwrap_or(0);
        let (item, _) = waiting.remove(next);
        placed.insert(name(&item).to_owned());
        ordered.push(item);
    }
    ordered
}

/// The prompts `body` (of prompt `name`) includes, by name.
pub(crate) fn included_names(body: &Body, name: &str) -> Vec<String> {
    content::references_of(body, name)
        .map(|found| found.into_iter().map(|r| r.name.as_str().to_owned()).collect())
        .unwrap_or_default()
}
