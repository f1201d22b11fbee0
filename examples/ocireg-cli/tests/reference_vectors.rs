//! Every line of the shared sample vectors, made by the Go implementation
//! (github.com/distribution/reference), must come out of `ocireg ref`'s
//! code unchanged.

use std::path::PathBuf;

use serde_json::Value;

fn vectors_path() -> PathBuf {
    if let Some(p) = std::env::var_os("OCIREG_REFERENCE_VECTORS") {
        return p.into();
    }
    // A copy of ../shared/reference-vectors.jsonl (1,500 lines made by the Go
    // implementation), kept in the repository so the test runs anywhere.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/reference-vectors.jsonl")
}

#[test]
fn every_sample_vector_matches() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in text.lines().enumerate() {
        let expected: Value = serde_json::from_str(line).expect("vector line is JSON");
        let input = expected["input"].as_str().expect("input is a string");
        let got = ocireg_cli::refcmd::report(input);
        count += 1;
        if got != expected {
            failures.push(format!(
                "line {}:\n  expected {expected}\n  got      {got}",
                n + 1
            ));
        }
    }
    assert!(count >= 1500, "only {count} vectors in {}", path.display());
    assert!(
        failures.is_empty(),
        "{} of {count} vectors differ:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_binary_reads_stdin_and_writes_json_lines() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocireg"))
        .arg("ref")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ubuntu\r\nNot/Valid\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["with_default_tag"],
        "docker.io/library/ubuntu:latest"
    );
    assert_eq!(lines[1]["error_kind"], "name_not_lowercase");
}
