"""Decode benchmark: the client's checked decoding of 10,000 tasks against `orjson.loads`.

For every profile, the client made for it (`mjapi.Client(..., profile=NAME)` over
`httpx.MockTransport`, so no network) must decode and type-check a 10,000-task response
shaped like that family's answers in no more time than `orjson.loads` takes to parse the
same bytes without checking anything. Best of 5 each, interleaved, in one process. Exits 1
when any ratio client/orjson is over 1.0.

The families' answers are the document's tasks served the way the profile says
(`x-mjspec-served` on each field): new-api's nulls, Java's absent fields and nulls, the
C# fork's nulls and extra fields (`x-mjspec-served-extra`, plus the keys its free-form
`properties` map carries).

    python benchmarks/bench_decode.py
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import orjson

import mjapi
from mjapi.models import Button, Task, TaskProperties
from mjspec.profiles import Profile, load_profiles
from mjspec.serve.refdata import buttons
from mjspec.serve.standin import serve_task
from mjspec.spec import default_spec_path

TASKS = 10_000
ROUNDS = 5
LIMIT = 1.0
BASE_ID = 1730621826053455
BASE_TIME = 1730621826053

_ACTIONS = ("IMAGINE", "UPSCALE", "VARIATION", "REROLL", "DESCRIBE", "BLEND", "ZOOM", "PAN")
_STATUSES = (
    "SUCCESS",
    "IN_PROGRESS",
    "SUBMITTED",
    "FAILURE",
    "NOT_START",
    "IN_PROGRESS",
    "SUCCESS",
    "IN_PROGRESS",
    "SUBMITTED",
    "NOT_START",
)
_PROMPTS = (
    "pig --v 6.1",
    "一只喝茶的熊猫 --niji 6",
    "a lighthouse at dusk --ar 16:9",
    "astronaut portrait, 35mm film --style raw",
    "cozy bookshop interior, warm light",
    "赛博朋克城市夜景 --ar 9:16",
)


def make_task(n: int) -> Task:
    """Task `n` of a realistic, varied set: statuses and times consistent, buttons on success."""
    job = f"{n:08x}-4f70-4034-9128-{(n * 7919) % 16**12:012x}"
    status = _STATUSES[n % len(_STATUSES)]
    action = _ACTIONS[n % len(_ACTIONS)]
    prompt = _PROMPTS[n % len(_PROMPTS)]
    submit = BASE_TIME + n * 1_537
    started = status not in ("NOT_START", "SUBMITTED")
    finished = status in ("SUCCESS", "FAILURE")
    progress = {"SUCCESS": "100%", "IN_PROGRESS": f"{n % 97}%"}.get(status, "0%")
    image = (
        f"https://cdn.discordapp.com/attachments/1300842274347028520/{1302547211321741343 + n}/"
        f"{job}.png"
        if started
        else ""
    )
    task_buttons: list[Button] = buttons(job) if status == "SUCCESS" else []
    return Task(
        id=str(BASE_ID + n),
        action=action,
        custom_id="" if action == "IMAGINE" else f"MJ::JOB::upsample::{n % 4 + 1}::{job}",
        bot_type="NIJI_JOURNEY" if "--niji" in prompt else "MID_JOURNEY",
        prompt=prompt,
        prompt_en=prompt if prompt.isascii() else f"a translated prompt {n}",
        description="Submit success" if n % 5 else "/imagine " + prompt,
        state=f"user-{n % 313}:order-{n}" if n % 3 == 0 else "",
        submit_time=submit,
        start_time=submit + 1_971 + n % 500 if started else 0,
        finish_time=submit + 27_764 + n % 9_000 if finished else 0,
        image_url=image,
        status=status,
        progress=progress,
        fail_reason="Banned prompt detected: the prompt was rejected"
        if status == "FAILURE"
        else "",
        buttons=task_buttons,
        mask_base64="",
        properties=TaskProperties(
            final_prompt=f"{prompt} --seed {n * 31 % 4294967295}" if n % 4 == 0 else prompt,
            final_zh_prompt="" if prompt.isascii() else prompt,
        ),
    )


# Keys the C# fork's free-form `properties` map carries besides finalPrompt (see
# ../shared/facts/implementations.md); extra fields the models skip while decoding.
_CSHARP_PROPERTIES = {
    "botType": "MID_JOURNEY",
    "remix": False,
    "messageContent": "**pig --v 6.1** - <@1234567890> (fast)",
    "discordChannelId": "1300842274347028520",
    "discordInstanceId": "1300842274347028521",
    "custom_id": "MJ::JOB::upsample::1::3785da15-4f70-4034-9128-f3ff1ac634fa",
    "nonce": "1302547211321741343",
    "messageId": "1302547211321741344",
    "messageHash": "3785da15-4f70-4034-9128-f3ff1ac634fa",
    "progressMessageId": "1302547211321741345",
    "flags": 0,
    "notifyHook": None,
}


def family_tasks(tasks: list[dict[str, Any]], profile: Profile) -> list[dict[str, Any]]:
    """The document's tasks as the profile's family answers them (its stand-in's rules)."""
    extra = profile.document["components"]["schemas"]["Task"].get("x-mjspec-served-extra")
    found = []
    for task in tasks:
        served = serve_task(task, profile.document)
        if extra and isinstance(served.get("properties"), dict):
            served["properties"].update(_CSHARP_PROPERTIES)
        found.append(served)
    return found


def best_of(rounds: int, *timed: Callable[[], object]) -> list[float]:
    """The best wall time of each callable over `rounds` interleaved rounds."""
    best = [float("inf")] * len(timed)
    for _ in range(rounds):
        for k, call in enumerate(timed):
            gc.collect()
            started = time.perf_counter()
            call()
            best[k] = min(best[k], time.perf_counter() - started)
    return best


def measure(profile: Profile, tasks: list[dict[str, Any]]) -> tuple[int, float, float] | None:
    """(payload bytes, client seconds, orjson seconds) for one profile; None if it decodes wrong."""
    payload = orjson.dumps(tasks)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload, headers={"Content-Type": "application/json"})

    ids = [str(task["id"]) for task in tasks]
    transport = httpx.MockTransport(answer)
    with mjapi.Client("http://mj.test", profile=profile.name, transport=transport) as client:
        decoded = client.list_by_condition(ids)
        extra = profile.document["components"]["schemas"]["Task"].get("x-mjspec-served-extra")
        if [task.id for task in decoded] != ids or (
            not extra and msgspec.to_builtins(decoded) != orjson.loads(payload)
        ):
            return None
        client_s, orjson_s = best_of(
            ROUNDS, lambda: client.list_by_condition(ids), lambda: orjson.loads(payload)
        )
    return len(payload), client_s, orjson_s


def main() -> int:
    tasks = msgspec.to_builtins([make_task(n) for n in range(TASKS)])
    profiles = load_profiles(default_spec_path())
    print(f"{TASKS:,} tasks per answer; best of {ROUNDS}; limit {LIMIT:.1f}")
    print(f"{'profile':<25} {'MB':>6} {'client ms':>10} {'orjson ms':>10} {'ratio':>6}")
    worst = 0.0
    for profile in profiles.values():
        measured = measure(profile, family_tasks(tasks, profile))
        if measured is None:
            print(f"error: the {profile.name} client decoded something else", file=sys.stderr)
            return 2
        size, client_s, orjson_s = measured
        ratio = client_s / orjson_s
        worst = max(worst, ratio)
        print(
            f"{profile.name:<25} {size / 1e6:6.2f} {client_s * 1000:10.2f} "
            f"{orjson_s * 1000:10.2f} {ratio:6.2f}"
        )
    if worst > LIMIT:
        print(f"FAIL: a client is slower than orjson.loads ({worst:.2f} > {LIMIT:.1f})")
        return 1
    print(f"PASS: every profile's client decodes and checks within orjson.loads time ({worst:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
