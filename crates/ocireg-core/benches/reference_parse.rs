//! Reference parsing speed: ocireg-core against oci-spec's parser (the one
//! oci-client uses), both measured in the same run on the same corpus.
//!
//! ```text
//! cargo bench -p ocireg-core --bench reference_parse
//! ```
//!
//! The corpus is the 1,500 inputs of `testdata/reference-vectors.jsonl`
//! (valid and invalid, as produced for the Go implementation). Each round
//! parses the whole corpus once with each parser, alternating which goes
//! first; the report gives the median of the rounds, so a noisy shared
//! machine moves both numbers alike and the ratio stays meaningful.

use std::hint::black_box;
use std::time::{Duration, Instant};

const ROUNDS: usize = 41;
/// Corpus passes per timed sample, so one sample lasts long enough to time.
const PASSES: usize = 20;

fn corpus() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/reference-vectors.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("read the vector file");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["input"].as_str().expect("input").to_owned()
        })
        .collect()
}

fn time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..PASSES {
        f();
    }
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and expects a quick run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 3 } else { ROUNDS };
    let inputs = corpus();
    let valid = inputs
        .iter()
        .filter(|s| ocireg_core::Reference::parse(s).is_ok())
        .count();

    let ours = || {
        for s in &inputs {
            let _ = black_box(ocireg_core::Reference::parse(black_box(s)));
        }
    };
    let theirs = || {
        for s in &inputs {
            let _ = black_box(black_box(s.as_str()).parse::<oci_spec::distribution::Reference>());
        }
    };

    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            a.push(time(ours));
            b.push(time(theirs));
        } else {
            b.push(time(theirs));
            a.push(time(ours));
        }
    }
    let per = |d: Duration| d.as_secs_f64() * 1e9 / (inputs.len() * PASSES) as f64;
    let (ma, mb) = (median(a), median(b));
    println!(
        "reference parse: {} inputs ({valid} valid), {rounds} rounds, medians",
        inputs.len()
    );
    println!("  ocireg-core          {:8.1} ns/reference", per(ma));
    println!("  oci-spec 0.10        {:8.1} ns/reference", per(mb));
    if std::env::var_os("OCIREG_BENCH_SPLIT").is_some() {
        let (good, bad): (Vec<&String>, Vec<&String>) = inputs
            .iter()
            .partition(|s| ocireg_core::Reference::parse(s).is_ok());
        for (label, set) in [("valid", good), ("invalid", bad)] {
            let d = median(
                (0..rounds)
                    .map(|_| {
                        time(|| {
                            for s in &set {
                                let _ = black_box(ocireg_core::Reference::parse(black_box(s)));
                            }
                        })
                    })
                    .collect(),
            );
            println!(
                "  ocireg-core {label:8} {:8.1} ns/reference",
                d.as_secs_f64() * 1e9 / (set.len() * PASSES) as f64
            );
        }
    }
    println!(
        "  ratio: ocireg-core is {:.1}x faster than oci-spec",
        mb.as_secs_f64() / ma.as_secs_f64()
    );
}
