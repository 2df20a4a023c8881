//! The fuzz corpora and crash inputs (`fuzz/corpus/<target>/`, `fuzz/artifacts/<target>/`)
//! replayed on stable Rust through the same checks as the cargo-fuzz targets
//! (`fuzz/src/lib.rs`), so CI exercises them without nightly. `scripts/fuzz.sh` grows them.

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

/// Runs `check` on every input of `target`; returns how many there were.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .map(|e| e.expect("a directory entry").path())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).expect("a corpus file");
            let result = std::panic::catch_unwind(|| check(&bytes));
            assert!(result.is_ok(), "{target}: {} fails", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no corpus");
    count
}

#[test]
fn reply_parser_corpus() {
    replay("reply", checks::reply);
}

#[test]
fn ehlo_corpus() {
    replay("ehlo", checks::ehlo);
}

#[test]
fn data_writer_corpus() {
    replay("data", checks::data);
}

#[test]
fn dane_corpus() {
    replay("dane", checks::dane);
}

#[test]
fn dns_mapping_corpus() {
    replay("dns", checks::dns);
}

#[test]
fn mta_sts_corpus() {
    replay("mtasts", checks::mtasts);
}
