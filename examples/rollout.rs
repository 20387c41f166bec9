//! Preview a rollout before it happens: which nodes update in which step, how many steps, and
//! where it would get stuck.
//!
//! ```text
//! cargo run --example rollout                    # fluentd v1.14 -> v1.15 on the sample cluster
//! cargo run --example rollout -- --daemonset ds.yaml --cluster cluster.yaml [--now RFC3339]
//! ```

use daemonset_planner::sim::preview_rollout;
use daemonset_planner::{DaemonSet, Options, Snapshot, Timestamp};
use std::process::ExitCode;

const SAMPLE_DAEMONSET: &str = include_str!("../tests/data/seed/01-fluentd.yaml");
const SAMPLE_CLUSTER: &str = include_str!("data/sample-cluster.yaml");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (ds_text, cluster_text) = match (flag("--daemonset"), flag("--cluster")) {
        (Some(d), Some(c)) => match (std::fs::read_to_string(&d), std::fs::read_to_string(&c)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => (
            // The sample: the seed's fluentd, moved to a new image.
            SAMPLE_DAEMONSET.replace("fluent/fluentd:v1.14", "fluent/fluentd:v1.15"),
            SAMPLE_CLUSTER.to_string(),
        ),
        _ => {
            eprintln!("usage: rollout [--daemonset FILE --cluster FILE] [--now RFC3339]");
            return ExitCode::from(2);
        }
    };
    let ds = match DaemonSet::from_yaml(&ds_text) {
        Ok(ds) => ds,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let snapshot = match Snapshot::from_yaml(&cluster_text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let now: Timestamp = match flag("--now")
        .as_deref()
        .unwrap_or("2026-01-01T10:00:00Z")
        .parse()
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --now: {e}");
            return ExitCode::from(2);
        }
    };
    let preview = preview_rollout(&ds, &snapshot, &Options::at(now));
    println!(
        "Rollout of {}/{} over {} desired node(s), assuming every pod becomes ready at once:",
        ds.namespace(),
        ds.name(),
        preview.desired
    );
    let width = 30usize;
    for wave in &preview.waves {
        let done = (wave.updated_after * width)
            .checked_div(preview.desired)
            .unwrap_or(width);
        println!(
            "  step {:>2} [{}{}] {:>3}/{} updated  +{} -{}  {}",
            wave.step,
            "#".repeat(done),
            ".".repeat(width - done),
            wave.updated_after,
            preview.desired,
            wave.created,
            wave.deleted,
            wave.nodes.join(", ")
        );
    }
    if preview.completes {
        println!("Completes in {} step(s).", preview.waves.len());
    } else {
        println!("Does not complete. Stuck:");
        for s in &preview.stuck {
            println!("  - {s}");
        }
    }
    ExitCode::SUCCESS
}
