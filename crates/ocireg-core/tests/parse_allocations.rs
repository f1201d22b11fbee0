//! The parse path allocates nothing beyond the Reference's own storage:
//! one block for a valid reference, none for an invalid one (except the
//! rare non-ASCII input that needs Go's lowercase retry).

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn parsing_allocates_only_the_reference_storage() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/reference-vectors.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let inputs: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["input"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut checked = 0;
    for s in &inputs {
        let before = dhat::HeapStats::get().total_blocks;
        let result = ocireg_core::Reference::parse(s);
        let blocks = dhat::HeapStats::get().total_blocks - before;
        match result {
            Ok(r) => {
                assert_eq!(blocks, 1, "{s:?} allocated {blocks} blocks");
                drop(r);
            }
            Err(_) if !s.is_ascii() => assert!(blocks <= 1, "{s:?}: {blocks} blocks"),
            Err(_) => assert_eq!(blocks, 0, "{s:?} allocated {blocks} blocks"),
        }
        checked += 1;
    }
    assert_eq!(checked, inputs.len());
    assert!(checked >= 1500);
}
