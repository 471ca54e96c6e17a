//! Production-kernel tables: measured latencies of the kernels vLLM launches (FlashAttention
//! 2/3 attention, cuBLAS GEMMs, NCCL and vLLM's custom all-reduce on A100-SXM and H100-SXM;
//! NVIDIA aiconfigurator's kernel database, Apache-2.0, in `shared/data/production_kernels`),
//! read and mapped onto the model's ops so a calibration can be fitted to them and checked.
//!
//! - [`table`]: the CSV readers (`&str` in, typed rows out; errors name file, line, column);
//! - [`mapping`]: each row as the model's op on the same shape, its family and size range.
//!
//! No I/O here: the native worker reads the files and fits (`pecsched-worker calibrate
//! --production DIR --gpu a100|h100`).

pub mod mapping;
pub mod table;

pub use mapping::{AllReducePath, Family, ProductionOp, ProductionPoint, map_rows};
pub use table::{AttentionRow, CollectiveRow, GemmRow, Rows, TableError, TableKind, parse_table};

/// Splits points into (training, held-out): every `k`-th point of each family, in table
/// order, is held out (`k` ≤ 1: none).
pub fn split_holdout(
    points: &[ProductionPoint],
    k: usize,
) -> (Vec<&ProductionPoint>, Vec<&ProductionPoint>) {
    let mut seen = std::collections::BTreeMap::<Family, usize>::new();
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for p in points {
        let i = seen.entry(p.family).or_default();
        *i += 1;
        if k > 1 && (*i).is_multiple_of(k) {
            held.push(p);
        } else {
            train.push(p);
        }
    }
    (train, held)
}

#[cfg(test)]
mod tests;
