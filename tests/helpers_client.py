"""Pieces the client test modules share.

- `empty_trust_store`: no certificate bundle loaded for the clients (autouse when imported);
- `fetch`: one `list_by_condition` call, through `Client` and through `AsyncClient`;
- `module_stub` and `serve`: one recording stub server per module, its answer set per test;
- `spec_example`: the spec's example answer, parsed once, a fresh copy each call.

Import the fixtures a module uses (`from tests.helpers_client import fetch, serve, ...`).
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import mjapi
from tests.helpers_http import Answer, Reply, StubServer, stub_server

__all__ = ["Fetch", "Serve", "empty_trust_store", "fetch", "module_stub", "serve", "spec_example"]

SPEC = Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"

Fetch = Callable[..., list[Any]]
Serve = Callable[[Answer], StubServer]


@pytest.fixture(scope="module", autouse=True)
def empty_trust_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No certificate is ever checked here: the clients talk plain HTTP to 127.0.0.1.

    httpx builds every client's TLS context from SSL_CERT_FILE or SSL_CERT_DIR (its
    trust_env), else from certifi's bundle; loading a bundle costs about 70 ms a client,
    a directory (looked up lazily) nothing. Import this fixture into a module to use it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SSL_CERT_FILE", raising=False)
        patch.setenv("SSL_CERT_DIR", str(tmp_path_factory.mktemp("no-certificates")))
        yield


def _fetch_sync(base_url: str, ids: list[str] | None, **options: Any) -> list[Any]:
    with mjapi.Client(base_url, **options) as client:
        return list(client.list_by_condition(ids))


def _fetch_async(base_url: str, ids: list[str] | None, **options: Any) -> list[Any]:
    async def fetch() -> list[Any]:
        async with mjapi.AsyncClient(base_url, **options) as client:
            return list(await client.list_by_condition(ids))

    return asyncio.run(fetch())


@pytest.fixture(params=["sync", "async"])
def fetch(request: pytest.FixtureRequest) -> Fetch:
    """`fetch(base_url, ids, **client_options)`: one call through `Client` or `AsyncClient`."""
    return _fetch_sync if request.param == "sync" else _fetch_async


@pytest.fixture(scope="module")
def module_stub() -> Iterator[StubServer]:
    with stub_server(Reply()) as stub:
        yield stub


@pytest.fixture
def serve(module_stub: StubServer) -> Serve:
    """`serve(reply)`: the module's stub server, answering `reply`, no request seen yet."""
    return module_stub.serve


@functools.cache
def _parsed_example() -> list[dict[str, Any]]:
    doc = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    response = doc["paths"]["/mj/task/list-by-condition"]["post"]["responses"]["200"]
    example: list[dict[str, Any]] = response["content"]["application/json"]["example"]
    return example


def spec_example() -> list[dict[str, Any]]:
    """The spec's example answer, read once (the file is parsed as YAML, ~0.1 s); a copy."""
    return copy.deepcopy(_parsed_example())
