"""The generator on small specs: any operation, not only the one endpoint.

Each spec's committed golden output (tests/golden/<name>/expected, which test_generate.py
proves is what a fresh render gives, and `nox -s typecheck` checks with mypy --strict) is
imported under its own name, served by its generated FastAPI router over real HTTP, and
called with its generated client.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import fastapi
import pytest

from mjspec.serve.refserver import serve_app_in_thread

ROOT = Path(__file__).resolve().parents[1]
GOLDENS = ROOT / "tests" / "golden"


@contextmanager
def built(golden: str, name: str) -> Iterator[tuple[ModuleType, Path]]:
    """Import the golden's committed package as `name` (its modules as `name.*`) for the
    block; (the package, the golden's output directory)."""
    out = GOLDENS / golden / "expected"
    init = out / "mjapi" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    assert name not in sys.modules
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module, out
    finally:
        for loaded in [k for k in sys.modules if k == name or k.startswith(f"{name}.")]:
            del sys.modules[loaded]


class ItemsService:
    def __init__(self, models: ModuleType) -> None:
        self.models = models
        self.seen: list[tuple[str, Any]] = []

    async def get_item(self, item_id: int, *, verbose: bool | None = None) -> Any:
        self.seen.append(("get_item", (item_id, verbose)))
        return self.models.GetItemResponse(id=item_id, name=f"item {item_id}")

    async def list_items(
        self, *, limit: int, tag: list[str] | None = None, x_trace: str | None = None
    ) -> list[Any]:
        self.seen.append(("list_items", (limit, tag, x_trace)))
        return [self.models.Item(id=n, name=f"n{n}", tags=tag or []) for n in range(limit)]

    async def create_item(self, name: str, tags: list[str] | None = None) -> Any:
        self.seen.append(("create_item", (name, tags)))
        return self.models.Item(id=7, name=name, tags=tags or [])

    async def upload(self, names: list[str] | None = None, count: int | None = None) -> None:
        self.seen.append(("upload", (names, count)))


@pytest.fixture(scope="module")
def items_package() -> Iterator[tuple[ModuleType, Path]]:
    with built("items", "mjapi_items") as found:
        yield found


@pytest.fixture(scope="module")
def single_package() -> Iterator[tuple[ModuleType, Path]]:
    with built("single", "mjapi_single") as found:
        yield found


@pytest.fixture(scope="module")
def items(items_package: tuple[ModuleType, Path]) -> Iterator[tuple[ModuleType, Any, str]]:
    package, _ = items_package
    server = importlib.import_module("mjapi_items.server")
    models = importlib.import_module("mjapi_items.models")
    service = ItemsService(models)
    app = fastapi.FastAPI()
    app.include_router(server.create_router(service))
    with serve_app_in_thread(app) as base_url:
        yield package, service, base_url


def test_a_path_parameter_and_an_inline_object_response(items: tuple[ModuleType, Any, str]) -> None:
    package, service, base_url = items
    with package.Client(base_url) as client:
        item = client.get_item(42, verbose=True)
    assert (item.id, item.name) == (42, "item 42")
    assert service.seen[-1] == ("get_item", (42, True))


def test_query_parameters_arrays_and_headers(items: tuple[ModuleType, Any, str]) -> None:
    package, service, base_url = items
    with package.Client(base_url) as client:
        found = client.list_items(limit=2, tag=["a", "b"], x_trace="t-1")
    assert [i.id for i in found] == [0, 1]
    assert found[0].tags == ["a", "b"]
    assert service.seen[-1] == ("list_items", (2, ["a", "b"], "t-1"))


async def test_a_json_body_and_a_201_response_with_the_async_client(
    items: tuple[ModuleType, Any, str],
) -> None:
    package, service, base_url = items
    async with package.AsyncClient(base_url) as client:
        created = await client.create_item("pen", ["x"])
    assert (created.id, created.name, created.tags) == (7, "pen", ["x"])
    assert service.seen[-1] == ("create_item", ("pen", ["x"]))


def test_a_multipart_body_and_an_empty_response(items: tuple[ModuleType, Any, str]) -> None:
    package, service, base_url = items
    with package.Client(base_url) as client:
        assert client.upload(["a", "b"], 3) is None
    assert service.seen[-1] == ("upload", (["a", "b"], 3))


def test_the_server_stub_rejects_bad_parameters_and_bodies_with_json_4xx(
    items: tuple[ModuleType, Any, str],
) -> None:
    package, _, base_url = items
    with package.Client(base_url) as client:
        with pytest.raises(package.StatusError) as bad_path:
            client.get_item("abc")
        assert bad_path.value.status_code == 400
        assert b"invalid_parameter" in bad_path.value.body
        response = client._http.post("/items", content=b'{"tags": []}')
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_body"
        assert "name" in response.json()["message"]


def test_a_spec_with_one_operation_and_no_operation_id(
    single_package: tuple[ModuleType, Path],
) -> None:
    package, out = single_package
    server = importlib.import_module("mjapi_single.server")
    models = importlib.import_module("mjapi_single.models")

    class Health:
        async def get_health(self) -> Any:
            return models.HealthStatus(ok=True, note=None)

    app = fastapi.FastAPI()
    app.include_router(server.create_router(Health()))
    with serve_app_in_thread(app) as base_url, package.Client(base_url) as client:
        status = client.get_health()
    assert status.ok is True
    assert status.note is None
    assert "Generated by `mjspec generate`" in (out / "mjapi" / "client.py").read_text()
