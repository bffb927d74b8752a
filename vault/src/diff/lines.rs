//! The side-by-side diff of two texts: a line diff, then word emphasis inside each changed
//! line, long unchanged stretches folded. Computed with `similar` under a deadline, so no
//! pair of texts can stall the server: past it, the diff is coarser but still correct.

use std::time::{Duration, Instant};

use similar::{ChangeTag, DiffOp, DiffTag, TextDiff};

/// Unchanged lines shown around each change; longer unchanged stretches are folded.
const CONTEXT: usize = 3;

/// The whole computation's budget: past it, `similar` settles for a coarser diff.
pub(super) const DEADLINE: Duration = Duration::from_millis(40);

/// Changed stretches longer than this (removed plus added lines) are shown line by line,
/// without word emphasis.
const MAX_EMPHASISED_LINES: usize = 400;

pub use types::diff::{Diff, DiffRow, DiffSide, Segment};

/// A line as shown: without its newline, a carriage return made visible (CRLF vs LF).
fn shown(line: &str) -> String {
    let line = line.strip_suffix('\n').unwrap_or(line);
    match line.strip_suffix('\r') {
        Some(rest) => format!("{rest}␍"),
        None => line.to_owned(),
    }
}

/// Diffs `old` against `new` line by line, then word by word inside changed lines.
pub fn side_by_side(old: &str, new: &str) -> Diff {
    let deadline = Instant::now() + DEADLINE;
    let diff = TextDiff::configure().deadline(deadline).diff_lines(old, new);
    let old_lines: Vec<&str> = diff.iter_old_slices().collect();
    let groups = diff.grouped_ops(CONTEXT);
    let mut rows = Vec::new();
    let (mut added, mut removed) = (0, 0);
    // Where the previous group ended, to fold what lies between groups.
    let (mut old_at, mut new_at) = (0, 0);
    for group in &groups {
        let Some(first) = group.first() else { continue };
        fold(&mut rows, &old_lines, old_at, new_at, first.old_range().start);
        for op in group {
            if op.tag() == DiffTag::Equal {
                for (i, line) in old_lines[op.old_range()].iter().enumerate() {
                    let old_line = op.old_range().start + i + 1;
                    let new_line = op.new_range().start + i + 1;
                    rows.push(DiffRow::Same { old_line, new_line, text: shown(line) });
                }
            } else {
                let (gone, came) = changed_rows(&diff, op, deadline, &mut rows);
                removed += gone;
                added += came;
            }
        }
        if let Some(last) = group.last() {
            (old_at, new_at) = (last.old_range().end, last.new_range().end);
        }
    }
    if groups.is_empty() {
        fold(&mut rows, &old_lines, 0, 0, old_lines.len());
    } else {
        fold(&mut rows, &old_lines, old_at, new_at, old_lines.len());
    }
    Diff { rows, added, removed }
}

/// A run of a changed line as shown. A carriage return is always emphasised: it is the
/// whole difference between a CRLF line and its LF twin, and invisible otherwise.
fn segments(text: &str, changed: bool) -> Vec<Segment> {
    let text = shown(text);
    match text.strip_suffix('␍') {
        Some(rest) if !changed => [(rest, false), ("␍", true)]
            .into_iter()
            .filter(|(t, _)| !t.is_empty())
            .map(|(t, changed)| Segment { text: t.to_owned(), changed })
            .collect(),
        _ if text.is_empty() => Vec::new(),
        _ => vec![Segment { text, changed }],
    }
}

/// Folds the unchanged old lines `from..to` (new lines start at `new_from`).
fn fold(rows: &mut Vec<DiffRow>, old_lines: &[&str], from: usize, new_from: usize, to: usize) {
    if to > from {
        let lines = old_lines[from..to].iter().map(|line| shown(line)).collect();
        rows.push(DiffRow::Folded { old_line: from + 1, new_line: new_from + 1, lines });
    }
}

/// The rows of one delete / insert / replace: removed lines paired with added ones, in order.
/// Returns how many lines were removed and added.
fn changed_rows(
    diff: &TextDiff<'_, '_, str>,
    op: &DiffOp,
    deadline: Instant,
    rows: &mut Vec<DiffRow>,
) -> (usize, usize) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    if op.old_range().len() + op.new_range().len() > MAX_EMPHASISED_LINES {
        // A rewrite this large gains nothing from word emphasis: whole lines, fast.
        for change in diff.iter_changes(op) {
            let side = |index: Option<usize>| DiffSide {
                line: index.unwrap_or(0) + 1,
                no_newline: change.missing_newline(),
                segments: segments(&change.to_string_lossy(), true),
            };
            match change.tag() {
                ChangeTag::Delete => old.push(side(change.old_index())),
                ChangeTag::Insert => new.push(side(change.new_index())),
                ChangeTag::Equal => {}
            }
        }
        return pair_up(old, new, rows);
    }
    for change in diff.iter_inline_changes_deadline(op, Some(deadline)) {
        let side = |index: Option<usize>| DiffSide {
            line: index.unwrap_or(0) + 1,
            no_newline: change.missing_newline(),
            segments: change
                .iter_strings_lossy()
                .flat_map(|(changed, text)| segments(&text, changed))
                .collect(),
        };
        match change.tag() {
            ChangeTag::Delete => old.push(side(change.old_index())),
            ChangeTag::Insert => new.push(side(change.new_index())),
            ChangeTag::Equal => {}
        }
    }
    pair_up(old, new, rows)
}

/// Pairs removed lines with added ones, in order, into rows; returns how many of each.
fn pair_up(old: Vec<DiffSide>, new: Vec<DiffSide>, rows: &mut Vec<DiffRow>) -> (usize, usize) {
    let counts = (old.len(), new.len());
    let mut old = old.into_iter();
    let mut new = new.into_iter();
    loop {
        match (old.next(), new.next()) {
            (None, None) => break,
            // Both texts ending without a newline is no difference worth a marker.
            (Some(mut old), Some(mut new)) if old.no_newline && new.no_newline => {
                (old.no_newline, new.no_newline) = (false, false);
                rows.push(DiffRow::Changed { old: Some(old), new: Some(new) });
            }
            (old, new) => rows.push(DiffRow::Changed { old, new }),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact text form of the rows for snapshots: `=` same, `~` changed (old | new, with
    /// [-removed-] and {+added+} words), `…` folded.
    fn render(diff: &Diff) -> String {
        let side = |side: &Option<DiffSide>, mark: (&str, &str)| match side {
            None => "      ".to_owned(),
            Some(s) => {
                let text: String = s
                    .segments
                    .iter()
                    .map(|seg| {
                        if seg.changed {
                            format!("{}{}{}", mark.0, seg.text, mark.1)
                        } else {
                            seg.text.clone()
                        }
                    })
                    .collect();
                format!("{:>4}: {text}{}", s.line, if s.no_newline { " ⟨no newline⟩" } else { "" })
            }
        };
        let mut out = format!("+{} -{}\n", diff.added, diff.removed);
        for row in &diff.rows {
            let line = match row {
                DiffRow::Same { old_line, new_line, text } => {
                    format!("= {old_line:>4} {new_line:>4}  {text}")
                }
                DiffRow::Changed { old, new } => {
                    format!("~ {}  |  {}", side(old, ("[-", "-]")), side(new, ("{+", "+}")))
                }
                DiffRow::Folded { old_line, new_line, lines } => {
                    format!("… {old_line:>4} {new_line:>4}  {} unchanged lines folded", lines.len())
                }
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn a_changed_word_is_emphasised_and_long_stretches_fold() {
        let old = lines(20);
        let new = old.replace("line 10\n", "line ten\n");
        insta::assert_snapshot!("changed_word", render(&side_by_side(&old, &new)));
    }

    #[test]
    fn added_and_removed_lines_pair_up_in_order() {
        let old = "keep\nold a\nold b\nkeep too\n";
        let new = "keep\nnew a\nkeep too\nextra\n";
        insta::assert_snapshot!("pairing", render(&side_by_side(old, new)));
    }

    #[test]
    fn whitespace_only_changes_are_visible() {
        let old = "Answer briefly.\nBe kind.\n";
        let new = "Answer  briefly.\nBe kind. \n";
        insta::assert_snapshot!("whitespace", render(&side_by_side(old, new)));
    }

    #[test]
    fn crlf_against_lf_shows_the_carriage_return() {
        insta::assert_snapshot!("crlf", render(&side_by_side("one\r\ntwo\r\n", "one\ntwo\n")));
    }

    #[test]
    fn a_missing_final_newline_is_marked() {
        insta::assert_snapshot!("final_newline", render(&side_by_side("one\ntwo\n", "one\ntwo")));
        // Missing on both sides: not a difference, no marker.
        let both = render(&side_by_side("one\ntwo", "one\nthree"));
        assert!(!both.contains("no newline"), "{both}");
    }

    #[test]
    fn very_long_lines_and_non_latin_text() {
        let long = "word ".repeat(2000);
        let old = format!("{long}\n日本語のプロンプトです。\nПривет, мир\n");
        let new = format!("{}\n日本語のテキストです。\nПривет, мир!\n", long.replacen("word", "WORD", 1));
        let diff = side_by_side(&old, &new);
        assert_eq!((diff.added, diff.removed), (3, 3));
        let rendered = render(&diff);
        assert!(rendered.contains("{+WORD+}"), "{rendered:.200}");
        insta::assert_snapshot!("non_latin", rendered.lines().skip(2).collect::<Vec<_>>().join("\n"));
    }

    #[test]
    fn identical_texts_fold_entirely_and_empty_old_text_is_all_added() {
        let same = side_by_side("a\nb\n", "a\nb\n");
        assert_eq!((same.added, same.removed, same.rows.len()), (0, 0, 1));
        let first = side_by_side("", "a\nb\n");
        assert_eq!((first.added, first.removed), (2, 0));
    }

    #[test]
    fn unrelated_large_texts_still_give_a_correct_diff() {
        let old: String = (0..20_000).map(|i| format!("alpha {i} {}\n", i * 7 % 13)).collect();
        let new: String = (0..20_000).map(|i| format!("omega {} {i}\n", i * 11 % 17)).collect();
        // How long it takes is measured by the diff benchmark, not here.
        let diff = side_by_side(&old, &new);
        assert_eq!((diff.added, diff.removed), (20_000, 20_000));
    }
}
