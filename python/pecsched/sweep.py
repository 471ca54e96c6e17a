"""Parameter sweeps: a grid of scenario variations, one simulation task per point, run in local
processes or as Ray tasks (``ray.init(address=...)`` reaches a real cluster).

>>> from pecsched import default_scenario, sweep
>>> table = sweep(default_scenario(), {"workload.rate_scale": [0.05, 0.1], "seed": [1, 2]})

Grid keys are dotted paths into the scenario's wire format (``workload.rate_scale``,
``cluster.nodes``, ``seed``, ``engine.max_num_seqs``, …); the key ``policy`` sets the
scenario's policy list to one policy. Each point runs every policy of its scenario; the table
has one row per (point, policy): the grid values, then the summary flattened to dotted keys
(``short.queueing_delay.p99``, ``stopped.kind``, …). Rows come in grid order whatever the
backend, so the same grid gives the same table locally and on Ray.
"""

from __future__ import annotations

import copy
import itertools
import json
import sys
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["expand", "sweep", "Table"]


class Table(list):
    """Rows of a sweep (dicts), in grid order; ``dataframe()`` gives a pandas DataFrame."""

    def dataframe(self):
        """The rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(list(self))


def _set(scenario: dict, path: str, value: Any) -> None:
    if path == "policy":
        scenario["policies"] = [value]
        return
    keys = path.split(".")
    node = scenario
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k)
        if nxt is None:
            nxt = {}
            node[k] = nxt
        if not isinstance(nxt, dict):
            raise ValueError(f"grid key {path!r}: {'.'.join(keys[: i + 1])} is not an object")
        node = nxt
    node[keys[-1]] = value


def expand(base: dict, grid: Dict[str, Sequence[Any]]) -> List[dict]:
    """Every point of the grid: ``[{"params": {...}, "scenario": {...}}]``, in grid order
    (the last key varies fastest)."""
    keys = list(grid)
    for k in keys:
        if isinstance(grid[k], (str, bytes)) or not hasattr(grid[k], "__iter__"):
            raise ValueError(f"grid key {k!r}: expected a list of values")
    points = []
    for values in itertools.product(*(list(grid[k]) for k in keys)):
        scenario = copy.deepcopy(base)
        params = {}
        for k, v in zip(keys, values):
            _set(scenario, k, v)
            params[k] = v
        points.append({"params": params, "scenario": scenario})
    return points


def _flatten(prefix: str, value: Any, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


def run_point(scenario: dict) -> list:
    """Runs one point (every policy of its scenario): the summaries, as dicts."""
    from . import simulate

    return list(simulate(scenario))


def _progress(done: int, total: int, enabled: bool) -> None:
    if enabled:
        end = "\n" if done == total else ""
        print(f"\rsweep: {done}/{total} points", end=end, file=sys.stderr, flush=True)


def _run_local(scenarios: List[dict], processes: Optional[int], progress: bool) -> List[list]:
    from concurrent.futures import ProcessPoolExecutor

    results: List[Optional[list]] = [None] * len(scenarios)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = {pool.submit(run_point, s): i for i, s in enumerate(scenarios)}
        from concurrent.futures import as_completed

        for done, f in enumerate(as_completed(futures), 1):
            results[futures[f]] = f.result()
            _progress(done, len(scenarios), progress)
    return results  # type: ignore[return-value]


def _run_ray(scenarios: List[dict], address: Optional[str], progress: bool) -> List[list]:
    try:
        import ray
    except ImportError as e:
        raise ImportError("backend='ray' needs Ray: pip install 'pecsched[ray]'") from e
    if not ray.is_initialized():
        ray.init(address=address)
    remote = ray.remote(run_point)
    refs = [remote.remote(s) for s in scenarios]
    pending = list(refs)
    done = 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        done += len(ready)
        _progress(done, len(scenarios), progress)
    return ray.get(refs)


def sweep(
    base: dict,
    grid: Dict[str, Sequence[Any]],
    backend: str = "local",
    *,
    processes: Optional[int] = None,
    address: Optional[str] = None,
    progress: bool = True,
) -> Table:
    """Runs every point of ``grid`` applied to the scenario ``base`` (a wire-format dict).

    ``backend``: ``"local"`` (a process pool of ``processes`` workers, default one per core)
    or ``"ray"`` (one Ray task per point; ``ray.init(address=address)`` unless Ray is already
    initialised). Returns a :class:`Table` with one row per (point, policy).
    """
    points = expand(base, grid)
    scenarios = [p["scenario"] for p in points]
    if backend == "local":
        results = _run_local(scenarios, processes, progress)
    elif backend == "ray":
        results = _run_ray(scenarios, address, progress)
    else:
        raise ValueError(f"backend must be 'local' or 'ray', not {backend!r}")
    table = Table()
    for point, summaries in zip(points, results):
        for s in summaries:
            row = dict(point["params"])
            _flatten("", s, row)
            table.append(row)
    return table
