"""`mjspec serve`'s server under a small version of the load run of `benchmarks/bench_load.py`.

The load is the benchmark's own (`bench_load.load`: mixed requests on keep-alive connections
beside slowloris connections); the server is the reference server as `mjspec serve` runs it
(`refserver.server_config`), in a thread. Only outcomes are checked, never speed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import urllib.parse
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mjspec.serve.refserver import serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
NAME = "mjspec_bench_load"


def _bench_load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """benchmarks/bench_load.py (not a package), imported for the test only."""
    spec = importlib.util.spec_from_file_location(NAME, ROOT / "benchmarks" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, NAME, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_serve_answers_mixed_load_beside_slowloris_without_5xx_or_drops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 requests (valid JSON, multipart, malformed JSON, no token) at concurrency 16 while
    16 connections dribble headers: every answer has its expected status, none is dropped,
    and the slow connections neither block the others nor get closed."""
    bench = _bench_load(monkeypatch)
    with serve_in_thread(token=bench.TOKEN) as server:
        port = urllib.parse.urlsplit(server.base_url).port
        assert port is not None
        tally: Any = asyncio.run(
            bench.load(port, server.task_ids[:5], total=300, concurrency=16, slow=16, settle=0.3)
        )
    assert tally.dropped == []
    assert tally.server_errors == 0
    assert tally.unexpected() == 0
    assert tally.statuses == {kind: {status: 75} for kind, status in bench.EXPECTED.items()}
    assert tally.answered == 300
    assert (tally.slowloris_open, tally.slowloris_closed, tally.slowloris_refused) == (16, 0, 0)
