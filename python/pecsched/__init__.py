"""PecSched in Python: the simulator's Rust core (``pecsched-core``), called directly.

Every number comes from the same core as the ``pecsched-worker`` command line and the web
explorer, so results are bit-identical to theirs for the same scenario.

>>> import pecsched
>>> results = pecsched.simulate(pecsched.default_scenario())
>>> results[0]["policy"]
'fifo'

A scenario is the wire format of ``pecsched-worker scenario`` (a dict, or its JSON text), or a
share link copied from the explorer. Errors raise :class:`PecschedError` with the core's message,
which says what is wrong and where (a scenario field, a trace line, a link).
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

from . import _native
from .sweep import sweep

__all__ = [
    "PecschedError",
    "Results",
    "catalog",
    "default_scenario",
    "policies",
    "predict",
    "scenario_from_link",
    "share_link",
    "simulate",
    "sweep",
]

Scenario = Union[dict, str]


class PecschedError(ValueError):
    """A scenario, trace, link or argument the core refused; the message says what and where."""


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError as e:
        raise PecschedError(str(e)) from None


def _is_link(text: str) -> bool:
    return "#s=" in text or text.startswith("s=") or text.startswith(("http://", "https://"))


def scenario_json(scenario: Scenario) -> str:
    """The validated wire-format JSON of a scenario given as a dict, JSON text or share link."""
    if isinstance(scenario, dict):
        return _call(_native.validate_scenario, json.dumps(scenario))
    if isinstance(scenario, str):
        text = scenario.strip()
        if text.startswith("{"):
            return _call(_native.validate_scenario, text)
        if _is_link(text):
            return _call(_native.scenario_from_link, text)
        raise PecschedError(
            "scenario: expected a dict, scenario JSON text or a share link (…#s=<token>), "
            f"got the text {text[:40]!r}"
        )
    raise TypeError(f"scenario must be a dict or a str, not {type(scenario).__name__}")


def default_scenario() -> dict:
    """The default scenario (Llama-3.1-70B on 32 A100, the Azure 2023 conversation trace)."""
    return json.loads(_native.default_scenario())


def scenario_from_link(link: str) -> dict:
    """The scenario a share link carries (a URL, a ``#s=…`` fragment or the bare token)."""
    return json.loads(_call(_native.scenario_from_link, link))


def share_link(scenario: Scenario, base: str = "http://127.0.0.1:8080/") -> str:
    """A share link of the scenario that the explorer at ``base`` opens."""
    return base + _call(_native.link_fragment, scenario_json(scenario))


def policies() -> list:
    """Every policy: ``[{"id": "fifo", "label": "FIFO"}, …]``."""
    return json.loads(_native.policies())


def catalog() -> dict:
    """Model and GPU ids the scenarios and :func:`predict` accept."""
    return json.loads(_native.catalog())


class Results(list):
    """One summary dict per policy, in the scenario's order (``results[0]["policy"]``).

    ``records`` maps each policy id to its per-request records as columns (a dict of
    equal-length lists) when :func:`simulate` was called with ``records=True``.
    """

    records: dict

    def __init__(self, summaries: list, records: dict):
        super().__init__(summaries)
        self.records = records

    def dataframe(self, policy: Optional[str] = None):
        """The per-request records as a pandas DataFrame (one policy, or all with a ``policy``
        column). Needs pandas and ``records=True``."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Results.dataframe needs pandas: pip install pandas") from e
        if not self.records:
            raise PecschedError("no per-request records: call simulate(..., records=True)")
        if policy is not None:
            if policy not in self.records:
                raise PecschedError(
                    f"no records of policy {policy!r} (have: {', '.join(self.records)})"
                )
            return pd.DataFrame(self.records[policy])
        frames = []
        for p, cols in self.records.items():
            df = pd.DataFrame(cols)
            df.insert(0, "policy", p)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)


def simulate(
    scenario: Scenario,
    trace: Union[str, "os.PathLike[str]", None] = None,
    *,
    trace_text: Optional[str] = None,
    records: bool = False,
) -> Results:
    """Runs every policy of ``scenario`` to the end and returns their summaries.

    ``trace`` is the path of the trace file a scenario with a file source names (or pass its
    text as ``trace_text``). With ``records=True`` the result's ``records`` attribute holds
    the per-request records of each policy as columns (see :class:`Results`).
    """
    if trace is not None and trace_text is not None:
        raise PecschedError("give the trace as a path or as text, not both")
    if trace is not None:
        path = os.fspath(trace)
        try:
            with open(path, encoding="utf-8") as f:
                trace_text = f.read()
        except OSError as e:
            raise PecschedError(f"trace {path}: {e.strerror or e}") from None
    out = json.loads(
        _call(_native.simulate, scenario_json(scenario), trace_text, records)
    )
    return Results(out["summaries"], out["records"])


def predict(
    model: str = "llama3.1-70b",
    gpu: str = "a100",
    tp: int = 4,
    prefill: Iterable[Union[int, Tuple[int, int]]] = (),
    decode: Iterable[Tuple[int, int]] = (),
    calibration: Optional[str] = None,
) -> dict:
    """The performance model's per-op estimate of one iteration on one replica.

    ``prefill``: chunks as ``new_tokens`` or ``(new_tokens, prefix_tokens)``; ``decode``:
    groups as ``(context_tokens, count)``; ``calibration``: a built-in profile id or a
    profile's JSON text (default: datasheet figures). Returns ``{"iteration_s", "ops", …}``.
    """
    chunks: Sequence[Tuple[int, int]] = [
        (c, 0) if isinstance(c, int) else (int(c[0]), int(c[1])) for c in prefill
    ]
    groups = [(int(c), int(n)) for c, n in decode]
    return json.loads(
        _call(_native.predict, model, gpu, int(tp), list(chunks), groups, calibration)
    )


def _check() -> Any:  # pragma: no cover - used by `python -m pecsched`
    return simulate(default_scenario())
