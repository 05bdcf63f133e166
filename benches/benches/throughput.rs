//! Criterion benchmarks, one group per question so every ratio comes from one
//! run on one machine: `check_jsonl` (the check path against two baselines on
//! the same bytes), `reader` (the record reader and `indiv check` against JSON
//! validation with serde_json and sonic-rs), `monitor` (the checker alone),
//! `engine` (scenarios) and `adversarial` (time per record on traces built to
//! be slow, at three sizes).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use indiv_benches as w;
use indiv_spec::reader::Decoder;

/// Records in the `check_jsonl` trace (override with INDIV_BENCH_RECORDS).
fn records() -> u64 {
    std::env::var("INDIV_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn check_jsonl(c: &mut Criterion) {
    let bytes = w::legal_jsonl(records(), 1);
    let lines = w::count_lines(&bytes);
    let mut group = c.benchmark_group("check_jsonl");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("check", |b| b.iter(|| black_box(w::check_jsonl(black_box(&bytes)))));
    group.bench_function("serde_parse_only", |b| b.iter(|| black_box(w::parse_only(black_box(&bytes)))));
    group.bench_function("memchr_lines", |b| b.iter(|| black_box(w::count_lines(black_box(&bytes)))));
    group.finish();
    // Records per second follow from the same runs: bytes per record.
    println!(
        "check_jsonl: {lines} records in {} bytes ({:.1} bytes/record)",
        bytes.len(),
        bytes.len() as f64 / lines as f64
    );
}

/// Checking at the speed of validation: the record reader with its fast
/// decoder, and `indiv check` (reader and monitor), against two baselines
/// that only validate each line's JSON (serde_json into `IgnoredAny`, sonic-rs
/// skipping it lazily) and against serde_json decoding the records, all on
/// the same bytes in one run.
fn reader(c: &mut Criterion) {
    let bytes = w::legal_jsonl(records(), 1);
    let (fast, lines) = w::fast_path_lines(&bytes);
    let mut group = c.benchmark_group("reader");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(8));
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("serde_ignored_any", |b| b.iter(|| black_box(w::serde_ignored_any(black_box(&bytes)))));
    group.bench_function("sonic_skip", |b| b.iter(|| black_box(w::sonic_skip(black_box(&bytes)))));
    group.bench_function("read_serde", |b| b.iter(|| black_box(w::read_records(black_box(&bytes), Decoder::Serde))));
    group.bench_function("read_fast", |b| b.iter(|| black_box(w::read_records(black_box(&bytes), Decoder::Fast))));
    group.bench_function("check_serde", |b| {
        b.iter(|| black_box(w::check_jsonl_with(black_box(&bytes), Decoder::Serde)))
    });
    group.bench_function("check", |b| b.iter(|| black_box(w::check_jsonl(black_box(&bytes)))));
    group.finish();
    println!("reader: {lines} lines in {} bytes, {fast} read on the fast path", bytes.len());
}

fn monitor(c: &mut Criterion) {
    // Two working sets: records fed right after parsing are in cache, as in
    // `indiv check`, which parses a line and feeds it at once (`cached`); a
    // quarter of the trace parsed up front is read back from memory
    // (`from_memory`), the URL strings through a pointer each.
    let mut group = c.benchmark_group("monitor");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, count) in [("cached", 8_192), ("from_memory", records() / 4)] {
        let records = w::parse_records(&w::legal_jsonl(count, 2));
        group.throughput(Throughput::Elements(records.len() as u64));
        group.bench_function(name, |b| b.iter(|| black_box(w::monitor_only(black_box(&records)))));
    }
    group.finish();
}

fn engine(c: &mut Criterion) {
    let scenarios = w::scenarios(1_000);
    let produced = w::engine_runs(&scenarios);
    let mut group = c.benchmark_group("engine");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(scenarios.len() as u64));
    group.bench_function("scenarios", |b| b.iter(|| black_box(w::engine_runs(black_box(&scenarios)))));
    group.finish();
    println!("engine: 1000 scenarios produce {produced} records per iteration");
}

/// Records in each size of the `adversarial` group (override the largest
/// with INDIV_BENCH_ADVERSARIAL_MAX).
fn adversarial_sizes() -> Vec<u64> {
    let max = std::env::var("INDIV_BENCH_ADVERSARIAL_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    [10_000, 100_000, 1_000_000].into_iter().filter(|n| *n <= max).collect()
}

fn adversarial(c: &mut Criterion) {
    // Linear time on every input: the time per record must stay flat from
    // 10 k to 1 M records for every shape.
    let mut group = c.benchmark_group("adversarial");
    // Flat sampling: ten runs of one iteration each at 1 M records, rather than
    // 1 + 2 + ... + 10 iterations.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    for adversary in w::Adversary::ALL {
        for n in adversarial_sizes() {
            let bytes = w::adversarial_jsonl(adversary, n);
            group.throughput(Throughput::Elements(n));
            group.bench_function(format!("{}/{n}", adversary.name()), |b| {
                b.iter(|| black_box(w::check_quoted(black_box(&bytes))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, check_jsonl, reader, monitor, engine, adversarial);
criterion_main!(benches);
