//! Table readers and the row → op mapping. Rows quoted below are from
//! `shared/data/production_kernels` (NVIDIA aiconfigurator, Apache-2.0).

use super::*;
use crate::hardware::GpuKind;
use crate::model::ModelKind;
use crate::perf::LayerShapes;
use crate::perf::kernel::{Dtype, Gemm, PrefillAttention, UniformDecode};

const GEMM: &str = "kernel_source,m,n,k,latency_ms
vllm_default,1,4096,4096,0.0241
vllm_default,8192,4096,4096,1.1085
";

#[test]
fn reads_every_table_kind() {
    let rows = parse_table("a100_vllm_gemm.csv", TableKind::Gemm, GEMM).unwrap();
    let Rows::Gemm(g) = &rows else { panic!() };
    assert_eq!(g.len(), 2);
    assert_eq!((g[1].m, g[1].n, g[1].k), (8192, 4096, 4096));
    assert!((g[1].latency_s - 1.1085e-3).abs() < 1e-15);
    let ctx = "kernel_source,batch_size,isl,step,num_heads,num_key_value_heads,head_dim,latency_ms
vllm_flash_attn,1,1,0,1,1,128,0.010677333921194077
";
    let rows = parse_table("x.csv", TableKind::ContextAttention, ctx).unwrap();
    assert!(matches!(&rows, Rows::Context(v) if v[0].head_dim == 128));
    let nccl = "op_name,nccl_dtype,num_gpus,message_elements,latency_ms
all_reduce,half,8,256,0.0226
all_gather,half,2,256,0.00898
";
    let Rows::Collective(c) = parse_table("n.csv", TableKind::Nccl, nccl).unwrap() else {
        panic!()
    };
    assert_eq!((c[0].num_gpus, c[0].bytes()), (8, 512.0));
    let custom = "kernel_source,backend,allreduce_dtype,num_gpus,message_elements,latency_ms
vLLM_custom_graph,vllm_graph,bfloat16,2,128,0.004866879880428314
";
    let Rows::Collective(c) = parse_table("c.csv", TableKind::CustomAllreduce, custom).unwrap()
    else {
        panic!()
    };
    assert_eq!((c[0].backend.as_str(), c[0].bytes()), ("vllm_graph", 256.0));
}

#[test]
fn malformed_rows_name_file_line_and_column() {
    let bad = "kernel_source,m,n,k,latency_ms\nvllm_default,1,4096,4096,0.02\nvllm_default,1,x,4096,0.02\n";
    let e = parse_table("a100_vllm_gemm.csv", TableKind::Gemm, bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a100_vllm_gemm.csv:3:3: column `n` = \"x\": expected a whole number"
    );
    let neg = "kernel_source,m,n,k,latency_ms\nv,1,2,3,-0.5\n";
    let e = parse_table("g.csv", TableKind::Gemm, neg).unwrap_err();
    assert!(
        matches!(
            e,
            TableError::BadValue {
                line: 2,
                column: 5,
                ..
            }
        ),
        "{e}"
    );
    let short = "kernel_source,m,n,k,latency_ms\nv,1,2,3\n";
    let e = parse_table("g.csv", TableKind::Gemm, short).unwrap_err();
    assert_eq!(e.to_string(), "g.csv:2: 4 fields, the header has 5");
    let zero = "kernel_source,m,n,k,latency_ms\nv,0,2,3,1\n";
    let e = parse_table("g.csv", TableKind::Gemm, zero).unwrap_err();
    assert!(e.to_string().contains("g.csv:2:2: column `m`"), "{e}");
    let e = parse_table("g.csv", TableKind::Gemm, "kernel_source,m,n,latency_ms\n").unwrap_err();
    assert!(
        e.to_string().starts_with("g.csv:1: missing column `k`"),
        "{e}"
    );
    let e = parse_table("g.csv", TableKind::Gemm, "\n").unwrap_err();
    assert!(matches!(e, TableError::Empty { .. }), "{e}");
    // Columns in another order are found by name; the error's column is the field's place.
    let moved = "latency_ms,m,n,k,kernel_source\n0.1,1,2,3,v\nNaN,1,2,3,v\n";
    let e = parse_table("g.csv", TableKind::Gemm, moved).unwrap_err();
    assert!(
        e.to_string().starts_with("g.csv:3:1: column `latency_ms`"),
        "{e}"
    );
}

#[test]
fn file_names_follow_the_data_folder() {
    assert_eq!(
        TableKind::GenerationAttention.file_name(GpuKind::H100Sxm80),
        "h100_vllm_generation_attention.csv"
    );
    assert_eq!(
        TableKind::Nccl.file_name(GpuKind::A100Sxm80),
        "a100_nccl.csv"
    );
}

#[test]
fn rows_map_to_the_models_ops_on_the_same_shape() {
    // Llama-3.1-70B at TP 8: 8 query heads and 1 KV head per GPU, as the tables list them.
    let s = LayerShapes::new(&ModelKind::Llama31_70B.spec(), 8);
    let decode = format!(
        "kernel_source,batch_size,isl,step,num_heads,num_key_value_heads,head_dim,latency_ms
vllm_flash_attn,16,1,4095,{},{},{},0.0394
",
        s.heads, s.kv_heads, s.head_dim
    );
    let rows = parse_table("g.csv", TableKind::GenerationAttention, &decode).unwrap();
    let p = map_rows(TableKind::GenerationAttention, &rows);
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].op,
        ProductionOp::Decode(UniformDecode {
            heads: 8,
            kv_heads: 1,
            head_dim: 128,
            seqs: 16,
            context: 4096,
            dtype: Dtype::F16
        })
    );
    assert_eq!((p[0].family, p[0].range), (Family::GenerationAttention, 1));
    let ctx = "kernel_source,batch_size,isl,step,num_heads,num_key_value_heads,head_dim,latency_ms
vllm_flash_attn,2,8192,0,8,1,128,1.0
";
    let rows = parse_table("c.csv", TableKind::ContextAttention, ctx).unwrap();
    let p = map_rows(TableKind::ContextAttention, &rows);
    assert_eq!(
        p[0].op,
        ProductionOp::Prefill(PrefillAttention {
            batch: 2,
            heads: 8,
            kv_heads: 1,
            head_dim: 128,
            chunk: 8192,
            prefix: 0,
            causal: true,
            dtype: Dtype::F16
        })
    );
    assert_eq!(p[0].range, 1);
    // The model's own GEMMs of that layer: the QKV projection of 4 tokens is (4, 1280, 8192).
    let [(m, n, k), ..] = s.gemms(4);
    let text = format!("kernel_source,m,n,k,latency_ms\nv,{m},{n},{k},0.02\n");
    let p = map_rows(
        TableKind::Gemm,
        &parse_table("g.csv", TableKind::Gemm, &text).unwrap(),
    );
    assert_eq!(
        p[0].op,
        ProductionOp::Gemm(Gemm {
            m: 4,
            n: 1280,
            k: 8192,
            dtype: Dtype::F16
        })
    );
    assert_eq!(p[0].range, 0);
}

#[test]
fn collectives_map_only_what_the_model_prices() {
    let nccl = "op_name,nccl_dtype,num_gpus,message_elements,latency_ms
all_reduce,half,8,4194304,0.128
all_reduce,int8,8,256,0.02
all_gather,half,8,256,0.02
";
    let rows = parse_table("n.csv", TableKind::Nccl, nccl).unwrap();
    let p = map_rows(TableKind::Nccl, &rows);
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].op,
        ProductionOp::AllReduce {
            gpus: 8,
            bytes: 8.0 * 1024.0 * 1024.0,
            path: AllReducePath::Nccl
        }
    );
    assert_eq!((p[0].family, p[0].range), (Family::NcclAllReduce, 2));
    let custom = "kernel_source,backend,allreduce_dtype,num_gpus,message_elements,latency_ms
vLLM_custom_graph,vllm_graph,bfloat16,4,262144,0.0099
vLLM_custom_eager,vllm_eager,bfloat16,4,262144,0.05
";
    let rows = parse_table("c.csv", TableKind::CustomAllreduce, custom).unwrap();
    let p = map_rows(TableKind::CustomAllreduce, &rows);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].family, p[0].range), (Family::EngineAllReduce, 0));
}

#[test]
fn every_third_point_of_each_family_is_held_out() {
    let rows = parse_table(
        "g.csv",
        TableKind::Gemm,
        "kernel_source,m,n,k,latency_ms\nv,1,2,3,1\nv,2,2,3,1\nv,3,2,3,1\nv,4,2,3,1\nv,5,2,3,1\nv,6,2,3,1\n",
    )
    .unwrap();
    let pts = map_rows(TableKind::Gemm, &rows);
    let (train, held) = split_holdout(&pts, 3);
    assert_eq!(train.len(), 4);
    let m: Vec<String> = held.iter().map(|p| p.label.clone()).collect();
    assert_eq!(m, ["m=3 n=2 k=3", "m=6 n=2 k=3"]);
}
