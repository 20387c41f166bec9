//! Plan one sync of a DaemonSet over a cluster snapshot and print what would happen.
//!
//! ```text
//! cargo run --example plan                       # built-in sample: fluentd over ten nodes
//! cargo run --example plan -- --daemonset ds.yaml --cluster cluster.yaml [--now RFC3339] [--json]
//! ```
//!
//! `--cluster` takes what `kubectl get nodes,pods,controllerrevisions -A -o yaml` prints.
//! Bad files exit with status 2 and the parser's error.

use daemonset_planner::{DaemonSet, Options, Plan, Snapshot, Timestamp, UpdateStrategy, plan};
use std::process::ExitCode;

const SAMPLE_DAEMONSET: &str = include_str!("../tests/data/seed/01-fluentd.yaml");
const SAMPLE_CLUSTER: &str = include_str!("data/sample-cluster.yaml");
const SAMPLE_NOW: &str = "2026-01-01T10:00:00Z";

struct Args {
    daemonset: Option<String>,
    cluster: Option<String>,
    now: Option<String>,
    json: bool,
}

fn usage() -> ExitCode {
    eprintln!("usage: plan [--daemonset FILE --cluster FILE] [--now RFC3339] [--json]");
    ExitCode::from(2)
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        daemonset: None,
        cluster: None,
        now: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--daemonset" => args.daemonset = Some(it.next().ok_or("--daemonset needs a file")?),
            "--cluster" => args.cluster = Some(it.next().ok_or("--cluster needs a file")?),
            "--now" => args.now = Some(it.next().ok_or("--now needs a time")?),
            "--json" => args.json = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.daemonset.is_some() != args.cluster.is_some() {
        return Err("--daemonset and --cluster go together".into());
    }
    Ok(args)
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            return usage();
        }
    };
    let (ds_text, cluster_text, ds_name, cluster_name) = match (&args.daemonset, &args.cluster) {
        (Some(d), Some(c)) => match (read(d), read(c)) {
            (Ok(dt), Ok(ct)) => (dt, ct, d.clone(), c.clone()),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        _ => (
            SAMPLE_DAEMONSET.to_string(),
            SAMPLE_CLUSTER.to_string(),
            "built-in seed 01-fluentd.yaml".to_string(),
            "built-in ten-node sample cluster".to_string(),
        ),
    };
    let ds = match DaemonSet::from_yaml(&ds_text) {
        Ok(ds) => ds,
        Err(e) => {
            eprintln!("error: {ds_name}: {e}");
            return ExitCode::from(2);
        }
    };
    let snapshot = match Snapshot::from_yaml(&cluster_text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {cluster_name}: {e}");
            return ExitCode::from(2);
        }
    };
    let now_text = args.now.clone().unwrap_or_else(|| {
        if args.daemonset.is_some() {
            Timestamp::now().to_string()
        } else {
            SAMPLE_NOW.to_string()
        }
    });
    let now: Timestamp = match now_text.parse() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --now {now_text:?}: {e}");
            return ExitCode::from(2);
        }
    };
    let options = Options::at(now);
    let plan = plan(&ds, &snapshot, &options);
    if args.json {
        match serde_json::to_string_pretty(&plan.to_json()) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_summary(&ds, &snapshot, &plan, now, &ds_name, &cluster_name);
    }
    ExitCode::SUCCESS
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn print_summary(
    ds: &DaemonSet,
    snapshot: &Snapshot,
    plan: &Plan,
    now: Timestamp,
    ds_name: &str,
    cluster_name: &str,
) {
    let strategy = match ds.update_strategy() {
        UpdateStrategy::RollingUpdate(r) => {
            format!(
                "RollingUpdate (maxUnavailable {}, maxSurge {})",
                r.max_unavailable, r.max_surge
            )
        }
        UpdateStrategy::OnDelete => "OnDelete".to_string(),
    };
    println!("DaemonSet {}/{} from {ds_name}", ds.namespace(), ds.name());
    println!(
        "  strategy {strategy}, current revision {}",
        plan.revision_hash()
    );
    for w in ds.warnings() {
        println!("  warning: {w}");
    }
    println!(
        "Cluster from {cluster_name}: {} nodes, {} pods, {} revisions; now {now}",
        snapshot.nodes().len(),
        snapshot.pods().len(),
        snapshot.revisions().len()
    );
    println!();
    println!(
        "{:<14} {:<4} {:<5} {:<34} WHY",
        "NODE", "RUN", "KEEP", "ACTION"
    );
    for entry in plan.nodes() {
        let node = entry.node;
        let mut actions: Vec<String> = plan
            .creates()
            .iter()
            .filter(|c| c.node == node)
            .map(|c| format!("create ({})", short_create(c)))
            .collect();
        actions.extend(
            plan.deletes()
                .iter()
                .filter(|d| d.node.as_deref() == Some(node))
                .map(|d| format!("delete {}", d.pod)),
        );
        let mut why: Vec<String> = entry
            .decision
            .reasons
            .iter()
            .map(|r| r.to_string())
            .collect();
        why.extend(
            plan.deletes()
                .iter()
                .filter(|d| d.node.as_deref() == Some(node))
                .map(|d| d.reason.to_string()),
        );
        let action = if actions.is_empty() {
            "-".to_string()
        } else {
            actions.join(", ")
        };
        println!(
            "{:<14} {:<4} {:<5} {:<34} {}",
            node,
            yes(entry.decision.should_run),
            yes(entry.decision.should_continue_running),
            action,
            why.join("; ")
        );
    }
    println!();
    println!("Actions, in order:");
    for (i, batch) in plan.create_batches().iter().enumerate() {
        let nodes: Vec<&str> = batch.iter().map(|c| c.node.as_str()).collect();
        println!(
            "  create batch {} ({} pod(s)): {}",
            i + 1,
            batch.len(),
            nodes.join(", ")
        );
    }
    for d in plan.deletes() {
        println!("  delete {}/{}: {}", d.namespace, d.pod, d.reason);
    }
    for a in plan.adoptions() {
        println!("  adopt {a}");
    }
    for r in plan.releases() {
        println!("  release {r}");
    }
    let revisions = plan.revisions();
    if let Some(c) = &revisions.create {
        println!(
            "  create ControllerRevision {} (revision {})",
            c.name, c.revision
        );
    }
    for r in &revisions.delete {
        println!(
            "  delete ControllerRevision {} (revision {})",
            r.name, r.revision
        );
    }
    if plan.is_empty() {
        println!("  nothing to do");
    }
    for e in plan.events() {
        println!("  event {} {}: {}", e.kind, e.reason, e.message);
    }
    if let Some(b) = plan.budget() {
        println!(
            "Budget: maxUnavailable {}, maxSurge {}, of {} desired node(s)",
            b.max_unavailable, b.max_surge, b.desired_number_scheduled
        );
    }
    let s = plan.status();
    println!(
        "Status: desired {}, current {}, ready {}, available {}, updated {}, misscheduled {}, unavailable {}",
        s.desired_number_scheduled,
        s.current_number_scheduled,
        s.number_ready,
        s.number_available,
        s.updated_number_scheduled,
        s.number_misscheduled,
        s.number_unavailable
    );
    println!("Rollout: {}", plan.rollout_status().message());
    if let Some(r) = plan.requeue_after() {
        println!("Look again in {:.0}s", r.as_secs_f64());
    }
}

fn short_create(c: &daemonset_planner::CreatePod) -> &'static str {
    match c.reason {
        daemonset_planner::CreateReason::Missing => "missing",
        daemonset_planner::CreateReason::Surge => "surge",
        _ => "replace",
    }
}
