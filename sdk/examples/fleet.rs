//! Instances of one application serving a prompt to its users and reporting what they served:
//! what a service embedding the SDK does, several times over, to watch on the Fleet page.
//!
//! ```text
//! cargo run -p promptvault-sdk --example fleet -- URL READ_KEY PROMPT [INSTANCES] [SECONDS] [APP]
//! ```
//!
//! Each instance is a client of its own (its own instance id, cache and stream of changes)
//! that serves `PROMPT` to 200 users in turn, sticky per user while a rollout splits the
//! label, counting each use (none fails). It stops after `SECONDS` (60 by default), sending
//! its last counts.

use std::time::{Duration, Instant};

use promptvault::Client;

const USERS: usize = 200;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, key, prompt, ..] = args.as_slice() else {
        eprintln!("usage: fleet URL READ_KEY PROMPT [INSTANCES] [SECONDS] [APP]");
        std::process::exit(2);
    };
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |n| n.parse::<u64>());
    let (Ok(instances), Ok(seconds)) = (number(3, 2), number(4, 60)) else {
        eprintln!("INSTANCES and SECONDS are whole numbers");
        std::process::exit(2);
    };
    let app = args.get(5).cloned().unwrap_or_else(|| "fleet-example".to_owned());
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut running = Vec::new();
    for _ in 0..instances {
        let client = Client::builder(url.as_str(), key.as_str())
            .app(app.clone())
            .live_updates()
            .ttl(Duration::from_secs(2))
            .build()
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
        running.push(tokio::spawn(serve(client, prompt.clone(), until)));
    }
    for instance in running {
        let _ = instance.await;
    }
}

/// Serves `prompt` to each user in turn until `until`, then sends the last counts.
async fn serve(client: Client, prompt: String, until: Instant) {
    let mut user = 0;
    while Instant::now() < until {
        match client.prompt_for(&prompt, &format!("user-{user}")).await {
            Ok(served) => client.record_use(&served, false),
            Err(e) => eprintln!("{prompt}: {e}"),
        }
        user = (user + 1) % USERS;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.flush_usage().await;
}
