"""PyTorch timings on the shapes `pecsched-worker bench` measured, side by side.

usage: python3 sdpa.py points.json out.json
Prefill/decode: torch.nn.functional.scaled_dot_product_attention (default backend choice),
same dtype as ours (f16 / f32), GQA with enable_gqa=True, a cached prefix with a lower-right
causal mask. GEMM: torch.mm. Merge: the LSE merge written in torch ops.
Each: 3 warm-up runs, median of 20 CUDA-event-timed runs.
"""
import json, statistics, sys
import torch
import torch.nn.functional as F

try:
    from torch.nn.attention.bias import causal_lower_right
except Exception:  # pragma: no cover
    causal_lower_right = None

dev = "cuda"
pts = json.load(open(sys.argv[1]))["points"]


def bench(fn, warm=3, reps=20):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e) / 1e3)
    return statistics.median(ts)


def sdpa(q, k, v, **kw):
    try:
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=q.shape[1] != k.shape[1], **kw)
    except Exception:
        r = q.shape[1] // k.shape[1]
        return F.scaled_dot_product_attention(
            q, k.repeat_interleave(r, 1), v.repeat_interleave(r, 1), **kw)


rows = []
for p in pts:
    sh = p["shape"]
    op = sh["op"]
    dt = torch.float16 if sh["dtype"] == "f16" else torch.float32
    rec = {"kernel": p["kernel"], "shape": sh, "ours_s": p["median_s"]}
    try:
        with torch.no_grad():
            if op == "prefill":
                B, H, Hkv, D, S, P = sh["batch"], sh["heads"], sh["kv_heads"], sh["head_dim"], sh["chunk"], sh["prefix"]
                q = torch.randn(B, H, S, D, device=dev, dtype=dt)
                k = torch.randn(B, Hkv, P + S, D, device=dev, dtype=dt)
                v = torch.randn(B, Hkv, P + S, D, device=dev, dtype=dt)
                if not sh["causal"]:
                    fn = lambda: sdpa(q, k, v)
                elif P == 0:
                    fn = lambda: sdpa(q, k, v, is_causal=True)
                else:
                    mask = causal_lower_right(S, P + S)
                    fn = lambda: sdpa(q, k, v, attn_mask=mask)
            elif op == "decode":
                L = sh["lengths"]
                if len(set(L)) != 1:
                    raise ValueError("ragged batch: no single SDPA call")
                B, H, Hkv, D = len(L), sh["heads"], sh["kv_heads"], sh["head_dim"]
                q = torch.randn(B, H, 1, D, device=dev, dtype=dt)
                k = torch.randn(B, Hkv, L[0], D, device=dev, dtype=dt)
                v = torch.randn(B, Hkv, L[0], D, device=dev, dtype=dt)
                fn = lambda: sdpa(q, k, v)
            elif op == "gemm":
                a = torch.randn(sh["m"], sh["k"], device=dev, dtype=dt)
                b = torch.randn(sh["k"], sh["n"], device=dev, dtype=dt)
                fn = lambda: torch.mm(a, b)
            elif op == "merge":
                rows_, D = sh["rows"], sh["head_dim"]
                R = sh["parts"] // rows_
                o = torch.randn(R, rows_, D, device=dev, dtype=torch.float32)
                lse = torch.randn(R, rows_, device=dev, dtype=torch.float32)

                def fn():
                    m = lse.max(0).values
                    w = torch.exp(lse - m)
                    return ((w[..., None] * o).sum(0) / w.sum(0)[..., None]).to(dt)
            else:
                raise ValueError(op)
            rec["torch_s"] = bench(fn)
            rec["ours_over_torch_speed"] = rec["torch_s"] / rec["ours_s"]
    except Exception as e:  # keep going: one failing shape must not lose the others
        rec["error"] = f"{type(e).__name__}: {e}"[:300]
    torch.cuda.empty_cache()
    rows.append(rec)
    t = rec.get("torch_s")
    print(f'{p["kernel"]:<18} {json.dumps({k: v for k, v in sh.items() if k not in ("op", "dtype")})[:70]:<70} '
          f'ours {p["median_s"]*1e6:10.1f} us  torch {t*1e6 if t else float("nan"):10.1f} us  '
          f'speed ratio {rec.get("ours_over_torch_speed", float("nan")):6.3f} {rec.get("error", "")}', flush=True)

json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "rows": rows},
          open(sys.argv[2], "w"), indent=1)
