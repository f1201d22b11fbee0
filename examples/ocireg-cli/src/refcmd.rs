//! `ocireg ref`: parse references one a line and report each as JSON, in the
//! format of the reference-vector files made by the Go implementation.

use std::io::{self, BufRead, Write};

use ocireg_core::Reference;
use serde_json::{json, Value};

/// The JSON report for one input line.
pub fn report(input: &str) -> Value {
    match Reference::parse(input) {
        Ok(r) => json!({
            "input": input,
            "valid": true,
            "error_kind": null,
            "domain": r.domain(),
            "path": r.path(),
            "tag": r.tag(),
            "digest": r.digest().map(|d| d.to_string()),
            "normalized": r.as_str(),
            "familiar": r.familiar(),
            "with_default_tag": r.with_default_tag().as_str(),
        }),
        Err(e) => json!({
            "input": input,
            "valid": false,
            "error_kind": e.kind().as_str(),
            "domain": null,
            "path": null,
            "tag": null,
            "digest": null,
            "normalized": null,
            "familiar": null,
            "with_default_tag": null,
        }),
    }
}

/// Reads lines from `input` and writes one JSON object a line to `out`.
/// Like Go's line scanner, a trailing `\r` is not part of the line.
pub fn run(input: impl BufRead, mut out: impl Write) -> io::Result<()> {
    for line in input.split(b'\n') {
        let mut line = line?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let text = String::from_utf8_lossy(&line);
        serde_json::to_writer(&mut out, &report(&text))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
