"""Decode benchmark: the client's checked decoding of 10,000 tasks against `orjson.loads`.

The client (`mjapi.Client` over `httpx.MockTransport`, so no network) must decode and
type-check a 10,000-task response (about 7 MB) in no more time than `orjson.loads` takes to
parse the same bytes without checking anything. Best of 5 each, interleaved, in one process.
Exits 1 when the ratio client/orjson is over 1.0.

    python benchmarks/bench_decode.py
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

import httpx
import msgspec
import orjson

import mjapi
from mjapi.models import Button, Task, TaskProperties
from mjspec.refdata import buttons

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


def main() -> int:
    tasks = [make_task(n) for n in range(TASKS)]
    ids = [task.id for task in tasks]
    payload = msgspec.json.encode(tasks)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload, headers={"Content-Type": "application/json"})

    with mjapi.Client("http://mj.test", transport=httpx.MockTransport(answer)) as client:
        decoded = client.list_by_condition(ids)
        if decoded != tasks or orjson.loads(payload) != msgspec.to_builtins(tasks):
            print("error: the decoded tasks differ from the tasks served", file=sys.stderr)
            return 2
        client_s, orjson_s = best_of(
            ROUNDS, lambda: client.list_by_condition(ids), lambda: orjson.loads(payload)
        )

    ratio = client_s / orjson_s
    print(f"payload:  {len(tasks):,} tasks, {len(payload):,} bytes ({len(payload) / 1e6:.2f} MB)")
    print(
        f"client:   {client_s * 1000:8.2f} ms  (mjapi.Client.list_by_condition, best of {ROUNDS})"
    )
    print(f"orjson:   {orjson_s * 1000:8.2f} ms  (orjson.loads, best of {ROUNDS})")
    print(f"ratio client/orjson: {ratio:.2f} (limit {LIMIT:.1f})")
    if ratio > LIMIT:
        print(f"FAIL: the client is slower than orjson.loads ({ratio:.2f} > {LIMIT:.1f})")
        return 1
    print(
        f"PASS: the client decodes and checks within orjson.loads time ({ratio:.2f} <= {LIMIT:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
