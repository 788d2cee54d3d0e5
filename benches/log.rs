//! The log of heads (issue 21) at 10k, 100k and 1M leaves, each beside a baseline measured in
//! the same run: one leaf hash (SHA-256 of a leaf's canonical bytes), the least any append or
//! proof step costs.
//!
//! - `log_append`: appending one leaf hash to a tree of n leaves (amortized: each complete
//!   subtree it closes is hashed once).
//! - `log_prove`: an inclusion proof of a leaf spread over the tree (`prove`: each lookup a
//!   likely cache miss once the tree outgrows the caches) and of the latest leaf
//!   (`prove_latest`: what a store asks after an append), in the tree of n leaves; and a
//!   proof's verification (`verify`: hashing only).
//! - `log_consistency`: a consistency proof from n/2 to n leaves, and its verification.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use modelgate::log::{Leaf, Tree, leaf_hash};
use modelgate::{Head, Timestamp};

const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

fn leaf(i: u64) -> Leaf {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&i.to_be_bytes());
    Leaf::new(
        "fraud-detector",
        format!("{}", i % 1_000),
        "production",
        Head::from_bytes(bytes),
        i / 1_000 + 1,
        Timestamp::from_unix_millis(i),
    )
}

fn tree(n: u64) -> Tree {
    let mut tree = Tree::new();
    for i in 0..n {
        tree.append(leaf(i).hash());
    }
    tree
}

fn baseline(c: &mut Criterion) {
    let bytes = leaf(7).to_bytes();
    c.bench_function("log_baseline/leaf_hash", |b| {
        b.iter(|| leaf_hash(black_box(&bytes)))
    });
}

fn log(c: &mut Criterion) {
    let mut g = c.benchmark_group("log");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    for n in SIZES {
        let base = tree(n);
        let next = leaf(n).hash();
        g.bench_function(BenchmarkId::new("append", n), |b| {
            b.iter_custom(|iters| {
                let mut t = base.clone();
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(t.append(black_box(next)));
                }
                start.elapsed()
            })
        });
        let root = base.head();
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("prove", n), |b| {
            b.iter(|| {
                i = (i + 7_919) % n;
                black_box(base.prove_inclusion(i, n))
            })
        });
        g.bench_function(BenchmarkId::new("prove_latest", n), |b| {
            b.iter(|| black_box(base.prove_inclusion(n - 1, n)))
        });
        let proof = base.prove_inclusion(n / 3, n).unwrap();
        let leaf_hash = leaf(n / 3).hash();
        g.bench_function(BenchmarkId::new("verify", n), |b| {
            b.iter(|| black_box(proof.verify(black_box(&leaf_hash), &root)))
        });
        g.bench_function(BenchmarkId::new("consistency", n), |b| {
            b.iter(|| black_box(base.prove_consistency(n / 2 + 1, n)))
        });
    }
    g.finish();
}

criterion_group!(benches, baseline, log);
criterion_main!(benches);
