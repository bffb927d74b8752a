//! The diff benchmark: the time the server spends on a side-by-side diff of a 200 KB pair with
//! scattered edits, and of a pathological pair (two unrelated 200 KB texts), which the
//! deadline bounds. Prints the median and the slowest of several runs of each.
//!   cargo run --release -p bench --bin bench-diff

use std::time::{Duration, Instant};

use vault::diff::side_by_side;

const RUNS: usize = 15;

fn main() {
    let base: String = (0..4000)
        .map(|i| format!("Line {i}: answer the customer about topic {} politely.\n", i % 97))
        .collect();
    let mut edited = base.clone();
    for i in (0..4000).step_by(97) {
        edited = edited.replacen(&format!("Line {i}: answer"), &format!("Line {i}: reply to"), 1);
    }
    let unrelated: String = (0..4000)
        .map(|i| format!("{} zebra {} quartz {} and more unrelated words\n", i * 7919 % 4001, i % 13, i * 31))
        .collect();
    println!(
        "sizes: base {} KB, edited {} KB, unrelated {} KB",
        base.len() / 1024,
        edited.len() / 1024,
        unrelated.len() / 1024
    );

    for (label, old, new) in
        [("200 KB, scattered edits", &base, &edited), ("200 KB, unrelated texts", &base, &unrelated)]
    {
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                let diff = side_by_side(old, new);
                let took = started.elapsed();
                std::hint::black_box(diff);
                took
            })
            .collect();
        times.sort();
        let diff = side_by_side(old, new);
        println!(
            "{label:<26} median {:>7.1} ms   slowest {:>7.1} ms   (+{} -{} lines, {} rows)",
            times[RUNS / 2].as_secs_f64() * 1000.0,
            times[RUNS - 1].as_secs_f64() * 1000.0,
            diff.added,
            diff.removed,
            diff.rows.len()
        );
    }
}
