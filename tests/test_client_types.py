"""The client's static types are honest: mypy sees each profile's models, no Any.

mypy runs (through its API) on a small program using the generated package, and the
types it reveals are compared with what each family's servers send.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.helpers_mypy import warm_cache

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """\
    import mjapi
    from mjapi.profiles import new_api

    def pick(name: mjapi.ProfileName, text: str) -> None:
        reveal_type(mjapi.Client("u", profile=name))
        reveal_type(mjapi.Client("u", profile=text))

    doc = mjapi.Client("u").list_by_condition([])[0]
    newapi = mjapi.Client("u", profile="new-api").list_by_condition([])[0]
    java = mjapi.Client("u", profile="midjourney-proxy-java").list_by_condition([])[0]
    csharp = mjapi.Client("u", profile="midjourney-proxy-csharp").list_by_condition([])[0]
    reveal_type(mjapi.Client("u"))
    reveal_type(mjapi.Client("u", profile="new-api"))
    reveal_type(mjapi.AsyncClient("u", profile="midjourney-proxy-java"))
    reveal_type(doc.buttons)
    reveal_type(newapi.buttons)
    reveal_type(newapi.properties)
    reveal_type(java.image_url)
    reveal_type(java.buttons)
    reveal_type(csharp.start_time)
    reveal_type(csharp.custom_id)

    async def fetch() -> None:
        async with mjapi.AsyncClient("u", profile="new-api") as client:
            reveal_type(await client.list_by_condition([]))

    first_button: new_api.Button = newapi.buttons[0]
"""

EXPECTED = [
    "mjapi.client.Client[list[mjapi.models.Task] | list[mjapi.profiles.midjourney_proxy_csharp"
    ".Task] | list[mjapi.profiles.midjourney_proxy_java.Task] | list[mjapi.profiles.new_api"
    ".Task]]",
    "mjapi.client.Client[list[mjapi.models.Task] | list[mjapi.profiles.midjourney_proxy_csharp"
    ".Task] | list[mjapi.profiles.midjourney_proxy_java.Task] | list[mjapi.profiles.new_api"
    ".Task]]",
    "mjapi.client.Client[list[mjapi.models.Task]]",
    "mjapi.client.Client[list[mjapi.profiles.new_api.Task]]",
    "mjapi.client.AsyncClient[list[mjapi.profiles.midjourney_proxy_java.Task]]",
    "list[mjapi.models.Button]",
    "list[mjapi.profiles.new_api.Button] | None",
    "mjapi.profiles.new_api.TaskProperties | None",
    "str | None",
    "list[mjapi.profiles.midjourney_proxy_java.Button] | msgspec.UnsetType",
    "int | None",
    "str | msgspec.UnsetType",
    "list[mjapi.profiles.new_api.Task]",
]


@pytest.fixture(scope="module")
def mypy_output(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("types")
    program = folder / "program.py"
    program.write_text(textwrap.dedent(PROGRAM))
    from mypy import api  # here: the other workers need not import it to collect

    with warm_cache(pytestconfig, tmp_path_factory) as cache:
        stdout, stderr, _ = api.run(
            [
                "--strict",
                "--no-pretty",
                "--show-error-codes",
                "--cache-dir",
                str(cache),
                "--python-version",
                "3.11",
                str(program),
            ]
        )
    assert not stderr, stderr
    return stdout.splitlines()


def test_each_profile_reveals_its_own_models(mypy_output: list[str]) -> None:
    revealed = [
        re.sub(r"^.*Revealed type is \"(.*)\"$", r"\1", line)
        for line in mypy_output
        if "Revealed type" in line
    ]
    # mypy versions differ in whether they print `builtins.`
    assert [t.replace("builtins.", "") for t in revealed] == EXPECTED


def test_a_nullable_field_is_an_error_where_a_value_is_needed(mypy_output: list[str]) -> None:
    """`buttons` may be null under new-api: indexing it unchecked does not type-check."""
    errors = [line for line in mypy_output if ": error:" in line]
    assert len(errors) == 1, mypy_output
    line = (
        textwrap.dedent(PROGRAM)
        .splitlines()
        .index("first_button: new_api.Button = newapi.buttons[0]")
    )
    assert f"program.py:{line + 1}:" in errors[0]
    assert "[index]" in errors[0]


def test_nothing_is_any(mypy_output: list[str]) -> None:
    assert not [line for line in mypy_output if "Any" in line]
