"""Tests of the Python package: the same numbers as the command line, bit for bit; links,
errors, predict, records, and sweeps locally and on Ray giving identical tables.

The command line is found at $PECSCHED_WORKER (scripts/check.sh builds it first)."""

import copy
import json
import os
import subprocess
import tempfile

import pytest

import pecsched

WORKER = os.environ.get("PECSCHED_WORKER", "target/release/pecsched-worker")


def small_scenario():
    """The default cluster and model on 150 s of the conversation trace, every main policy."""
    s = pecsched.default_scenario()
    s["workload"]["window_s"] = [0.0, 150.0]
    return s


def cli_json(scenario: dict) -> list:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(scenario, f)
        path = f.name
    try:
        out = subprocess.run(
            [WORKER, "simulate", "--scenario", path, "--json", "--quiet"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(path)
    data = json.loads(out)
    return data["summaries"] if isinstance(data, dict) else data


def test_default_scenario_matches_the_command_line_bit_for_bit():
    scenario = pecsched.default_scenario()
    ours = pecsched.simulate(scenario)
    theirs = cli_json(scenario)
    assert [s["policy"] for s in ours] == ["fifo", "reservation", "priority", "pecsched"]
    # json.loads of both texts: floats printed by the same serializer parse to the same bits.
    assert list(ours) == theirs


def test_every_policy_on_a_small_scenario_matches_the_command_line():
    s = small_scenario()
    s["policies"] = [p["id"] for p in pecsched.policies()]
    assert list(pecsched.simulate(s)) == cli_json(s)


def test_a_share_link_reproduces_the_scenario_and_its_numbers():
    s = small_scenario()
    link = pecsched.share_link(s)
    assert "#s=" in link
    assert pecsched.scenario_from_link(link) == json.loads(pecsched.scenario_json(s))
    assert list(pecsched.simulate(link)) == list(pecsched.simulate(s))


def test_errors_carry_the_cores_message_naming_the_field():
    s = small_scenario()
    s["cluster"]["nodes"] = 0
    with pytest.raises(pecsched.PecschedError, match="cluster.nodes"):
        pecsched.simulate(s)
    with pytest.raises(pecsched.PecschedError, match="link"):
        pecsched.simulate("http://127.0.0.1:8080/#s=AAAA-not-a-scenario")
    with pytest.raises(pecsched.PecschedError, match="unknown model"):
        pecsched.predict(model="gpt-9")
    with pytest.raises(pecsched.PecschedError):
        pecsched.simulate("not a scenario")


def test_a_file_trace_is_read_and_a_bad_line_is_named():
    s = small_scenario()
    s["workload"]["source"] = {"file": {"name": "t.csv", "format": "plain"}}
    s["workload"]["window_s"] = None
    s["workload"]["long_input"] = None
    s["workload"]["rate_scale"] = 1.0
    good = "arrival_s,input_tokens,output_tokens\n0,500,20\n0.5,800,10\n"
    r = pecsched.simulate(s, trace_text=good)
    assert all(x["short"]["completed"] == 2 for x in r)
    with pytest.raises(pecsched.PecschedError, match="line 4"):
        pecsched.simulate(s, trace_text=good + "x,1,2\n")


def test_records_are_columns_of_equal_length_and_a_dataframe():
    s = small_scenario()
    s["policies"] = ["fifo", "pecsched"]
    r = pecsched.simulate(s, records=True)
    assert set(r.records) == {"fifo", "pecsched"}
    cols = r.records["pecsched"]
    n = r[1]["short"]["count"] + r[1]["long"]["count"]
    assert all(len(v) == n for v in cols.values())
    done = sum(1 for c in cols["completion_s"] if c is not None)
    assert done == r[1]["short"]["completed"] + r[1]["long"]["completed"]
    df = r.dataframe()
    assert len(df) == 2 * n and set(df["policy"]) == {"fifo", "pecsched"}


def test_predict_sums_its_ops_to_the_iteration_time():
    p = pecsched.predict("llama3.1-70b", "a100", 4, prefill=[4096], decode=[(2000, 32)])
    total = [o for o in p["ops"] if o["name"] == "total"][0]
    assert total["time_s"] == pytest.approx(p["iteration_s"], rel=1e-9)
    assert p["kv_capacity_tokens"] > 0


def test_sweep_locally_and_on_ray_gives_identical_tables():
    import ray
    base = small_scenario()
    base["workload"]["window_s"] = [0.0, 60.0]
    grid = {"policy": ["fifo", "pecsched"], "workload.rate_scale": [0.05, 0.2], "seed": [1, 2]}
    local = pecsched.sweep(base, grid, processes=2, progress=False)
    assert len(local) == 8
    assert local[0]["policy"] == "fifo" and local[0]["workload.rate_scale"] == 0.05
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = pecsched.sweep(base, grid, backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert list(remote) == list(local)
    # And each row equals a direct run of its point.
    point = copy.deepcopy(base)
    point["policies"] = ["pecsched"]
    point["workload"]["rate_scale"] = 0.2
    point["seed"] = 2
    direct = pecsched.simulate(point)[0]
    assert local[-1]["log_hash"] == direct["log_hash"]
