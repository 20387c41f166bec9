//! Neither reader panics, whatever text it is given: random strings, YAML-flavoured noise, and
//! random mutations (byte flips, deleted, duplicated or swapped lines, truncation, indentation
//! changes) of every fixture. Errors are fine; an accepted text must still be a sane object.

use std::path::Path;
use std::sync::OnceLock;

use daemonset_planner::{DaemonSet, Error, Snapshot};
use proptest::prelude::*;

/// Every fixture, reduced to its DaemonSet document where the file is a big bundle (calico,
/// metallb, cilium) so that each case stays cheap in debug builds; plus the kubectl cluster
/// dump for the snapshot reader.
fn fixtures() -> &'static [String] {
    static FIXTURES: OnceLock<Vec<String>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut out = Vec::new();
        for folder in ["real", "seed", "cluster"] {
            let mut files: Vec<_> = std::fs::read_dir(data.join(folder))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                out.push(if text.len() > 16 * 1024 && folder != "cluster" {
                    daemon_set_document(&text)
                } else {
                    text
                });
            }
        }
        out
    })
}

fn daemon_set_document(text: &str) -> String {
    text.split("\n---")
        .find(|doc| doc.contains("\nkind: DaemonSet"))
        .unwrap()
        .to_string()
}

/// Run both readers and check what they accept.
fn read_both(text: &str) {
    check(DaemonSet::from_yaml(text), |ds| {
        assert!(!ds.name().is_empty());
        assert!(ds.selector().matches(&ds.template().labels));
        assert!(!ds.revision_hash().is_empty());
        assert!(ds.revision_history_limit() >= 0 && ds.min_ready_seconds() >= 0);
    });
    check(Snapshot::from_yaml(text), |s| {
        let names: Vec<&str> = s.nodes().iter().map(|n| n.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "nodes sorted and unique");
        for pod in s.pods() {
            let _ = pod.requests();
            let _ = pod.host_ports();
        }
    });
}

fn check<T>(result: Result<T, Error>, accepted: impl FnOnce(&T)) {
    match result {
        Ok(value) => accepted(&value),
        Err(err) => {
            // Every error can be shown, and names its field consistently.
            let shown = err.to_string();
            assert!(!shown.is_empty());
            if let Some(first) = err.field_errors().first() {
                assert_eq!(err.field(), Some(first.field.as_str()));
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte (the result is read as UTF-8, lossily).
    FlipByte {
        at: usize,
        mask: u8,
    },
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    /// Add (positive) or remove (negative) leading spaces on one line.
    Indent {
        line: usize,
        by: i8,
    },
    /// Put a snippet at the start of a line.
    Insert {
        line: usize,
        snippet: &'static str,
    },
}

const SNIPPETS: &[&str] = &[
    "---\n",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "!!str ",
    "|\n",
    ">-\n",
    "#",
    "'",
    "\"",
    "\t",
    "~",
    "null",
    "kind: Node\n",
    "kind: List\nitems:\n",
    "apiVersion: apps/v1beta2\n",
    "<<: *a\n",
    "? ",
    "%YAML 1.1\n",
    "\u{feff}",
    "...\n",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::FlipByte { at, mask }),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), -4..=4i8).prop_map(|(line, by)| Mutation::Indent { line, by }),
        (any::<usize>(), prop::sample::select(SNIPPETS))
            .prop_map(|(line, snippet)| Mutation::Insert { line, snippet }),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match *mutation {
        Mutation::FlipByte { at, mask } => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] ^= mask;
            }
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::Truncate(at) => {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return text[..at].to_string();
        }
        Mutation::Indent { line, by } => {
            let l = &mut lines[line % n];
            if by >= 0 {
                l.insert_str(0, &" ".repeat(by as usize));
            } else {
                let remove = l
                    .bytes()
                    .take(by.unsigned_abs() as usize)
                    .take_while(|&b| b == b' ')
                    .count();
                l.drain(..remove);
            }
        }
        Mutation::Insert { line, snippet } => lines[line % n].insert_str(0, snippet),
    }
    lines.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let fixtures = fixtures();
        let mut text = fixtures[index.index(fixtures.len())].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        read_both(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(text in any::<String>()) {
        read_both(&text);
    }

    #[test]
    fn yaml_flavoured_noise_never_panics(
        text in "([a-zA-Z0-9 :,\\-\\[\\]{}#&*!|>'\"?%@`~.\t]{0,12}\n){0,16}",
    ) {
        read_both(&text);
    }

    #[test]
    fn noise_inside_a_valid_manifest_never_panics(
        noise in "[a-zA-Z0-9 :,\\-\\[\\]{}#&*!|>'\"?.]{0,24}",
        at in 0usize..16,
    ) {
        let base = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      tolerations: [{operator: Exists}]\n      containers:\n      - name: agent\n        image: agent:1\n        resources: {requests: {cpu: 100m}}\n";
        let mut lines: Vec<&str> = base.split_inclusive('\n').collect();
        let line = format!("{noise}\n");
        lines.insert(at.min(lines.len()), &line);
        read_both(&lines.concat());
    }
}

#[test]
fn every_fixture_truncated_anywhere_never_panics() {
    // Ten cut points per fixture, at line ends and inside lines.
    for text in fixtures() {
        for k in 1..=10 {
            let mut at = text.len() * k / 11;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            read_both(&text[..at]);
        }
    }
}

#[test]
fn mutations_do_what_they_say() {
    let text = "a: 1\nb: 2\nc: 3\n";
    assert_eq!(apply(text, &Mutation::DeleteLine(4)), "a: 1\nc: 3\n");
    assert_eq!(
        apply(text, &Mutation::DuplicateLine(0)),
        "a: 1\na: 1\nb: 2\nc: 3\n"
    );
    assert_eq!(
        apply(text, &Mutation::SwapLines(0, 2)),
        "c: 3\nb: 2\na: 1\n"
    );
    assert_eq!(apply(text, &Mutation::Truncate(7)), "a: 1\nb:");
    assert_eq!(
        apply(text, &Mutation::Indent { line: 1, by: 2 }),
        "a: 1\n  b: 2\nc: 3\n"
    );
    assert_eq!(
        apply("  a: 1\n", &Mutation::Indent { line: 0, by: -4 }),
        "a: 1\n"
    );
    assert_eq!(
        apply(text, &Mutation::FlipByte { at: 0, mask: 0x20 }),
        "A: 1\nb: 2\nc: 3\n"
    );
    assert_eq!(
        apply(
            text,
            &Mutation::Insert {
                line: 2,
                snippet: "- "
            }
        ),
        "a: 1\nb: 2\n- c: 3\n"
    );
    assert_eq!(fixtures().len(), 28);
}
