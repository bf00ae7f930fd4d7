"""The client's static types are honest: mypy sees each profile's models, and no Any;
a render with `--package-name` and `--default-profile` (the profiled golden) defaults
to that profile's models.

Not a test module: `nox -s typecheck` checks it with mypy --strict, with the rest of
tests/ (its functions are never called). Each `assert_type` fails the check if mypy sees
another type, Any included; the one `type: ignore[index]` fails it (strict mypy warns of
an unused ignore) if indexing a field new-api sends as null stopped being an error.
"""

from __future__ import annotations

from typing import assert_type

import msgspec

import mjapi
from mjapi import models
from mjapi.profiles import midjourney_proxy_csharp, midjourney_proxy_java, new_api
from tests.golden.profiled.expected import acme_mj
from tests.golden.profiled.expected.acme_mj import models as acme_models
from tests.golden.profiled.expected.acme_mj.profiles import legacy_ids, loose

AnyProfile = (
    list[models.Task]
    | list[midjourney_proxy_csharp.Task]
    | list[midjourney_proxy_java.Task]
    | list[new_api.Task]
)


def a_profile_chosen_at_run_time_gives_the_union_of_all(name: mjapi.ProfileName, text: str) -> None:
    assert_type(mjapi.Client("u", profile=name), mjapi.Client[AnyProfile])
    assert_type(mjapi.Client("u", profile=text), mjapi.Client[AnyProfile])


def each_profile_gives_its_own_models() -> None:
    assert_type(mjapi.Client("u"), mjapi.Client[list[models.Task]])
    assert_type(mjapi.Client("u", profile="new-api"), mjapi.Client[list[new_api.Task]])
    assert_type(
        mjapi.AsyncClient("u", profile="midjourney-proxy-java"),
        mjapi.AsyncClient[list[midjourney_proxy_java.Task]],
    )
    doc = mjapi.Client("u").list_by_condition([])[0]
    newapi = mjapi.Client("u", profile="new-api").list_by_condition([])[0]
    java = mjapi.Client("u", profile="midjourney-proxy-java").list_by_condition([])[0]
    csharp = mjapi.Client("u", profile="midjourney-proxy-csharp").list_by_condition([])[0]
    assert_type(doc.buttons, list[models.Button])
    assert_type(newapi.buttons, list[new_api.Button] | None)
    assert_type(newapi.properties, new_api.TaskProperties | None)
    assert_type(java.image_url, str | None)
    assert_type(java.buttons, list[midjourney_proxy_java.Button] | msgspec.UnsetType)
    assert_type(csharp.start_time, int | None)
    assert_type(csharp.custom_id, str | msgspec.UnsetType)


async def the_async_client_gives_the_same_models() -> None:
    async with mjapi.AsyncClient("u", profile="new-api") as client:
        assert_type(await client.list_by_condition([]), list[new_api.Task])


def a_nullable_field_is_an_error_where_a_value_is_needed() -> None:
    """`buttons` may be null under new-api: indexing it unchecked does not type-check."""
    newapi = mjapi.Client("u", profile="new-api").list_by_condition([])[0]
    first: new_api.Button = newapi.buttons[0]  # type: ignore[index]
    assert_type(first, new_api.Button)


def a_default_profile_is_what_a_client_gives_unless_told_otherwise() -> None:
    assert_type(acme_mj.Client("u"), acme_mj.Client[list[loose.Item]])
    assert_type(acme_mj.Client("u", profile="loose"), acme_mj.Client[list[loose.Item]])
    assert_type(acme_mj.Client("u", profile="doc"), acme_mj.Client[list[acme_models.Item]])
    assert_type(acme_mj.Client("u").list_items()[0].name, str | None)
    assert_type(acme_mj.Client("u", profile="doc").list_items()[0].name, str)
    # a profile whose name is no identifier, sorting before the default
    legacy = acme_mj.Client("u", profile="legacy-ids")
    assert_type(legacy, acme_mj.Client[list[legacy_ids.Item]])
    assert_type(legacy.list_items()[0].id, str)
    assert_type(acme_mj.Client("u").list_items()[0].id, int)
