"""The reference server's default tasks: deterministic, realistic, covering every known value.

The known actions, statuses and bot types are read from the document's `x-known-values`,
so a value added to the spec (or to a profile's overlay) is served too. `task_dicts` gives
the tasks as JSON objects (the wire form, in the spec's field order); `default_tasks` the
same tasks as `mjapi` models.
"""

from __future__ import annotations

from typing import Any

import msgspec

from mjapi.models import Button, Task

BASE_ID = 1730621826053455
BASE_TIME = 1730621826053
_FALLBACK = {
    "action": ["IMAGINE", "UPSCALE", "VARIATION", "REROLL", "DESCRIBE", "BLEND"],
    "status": ["NOT_START", "SUBMITTED", "IN_PROGRESS", "FAILURE", "SUCCESS"],
    "botType": ["MID_JOURNEY", "NIJI_JOURNEY", ""],
}
_PROMPTS = (
    "pig --v 6.1",
    "一只在竹林里喝茶的熊猫，水墨画风格 --niji 6",  # noqa: RUF001 (a real Chinese prompt)
    "a lighthouse at dusk, volumetric fog --ar 16:9",
    "portrait of an astronaut, 35mm film --style raw",
)


def known_values(doc: dict[str, Any], field: str) -> list[str]:
    """The spec's `x-known-values` of a Task field, or a fallback."""
    try:
        values = doc["components"]["schemas"]["Task"]["properties"][field]["x-known-values"]
    except (KeyError, TypeError):
        return list(_FALLBACK[field])
    return [str(v) for v in values]


def button_dicts(job: str) -> list[dict[str, Any]]:
    """The buttons Midjourney offers on a finished grid: U1-U4, reroll, V1-V4."""
    found = [_button(f"MJ::JOB::upsample::{n}::{job}", f"U{n}") for n in range(1, 5)]
    found.append(_button(f"MJ::JOB::reroll::0::{job}::SOLO", "", emoji="\U0001f504"))
    found += [_button(f"MJ::JOB::variation::{n}::{job}", f"V{n}") for n in range(1, 5)]
    return found


def buttons(job: str) -> list[Button]:
    """`button_dicts` as `mjapi` models."""
    return msgspec.convert(button_dicts(job), type=list[Button])


def _button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}


def task_dicts(doc: dict[str, Any], *, blank_status: bool = False) -> list[dict[str, Any]]:
    """One task per known action, statuses and bot types cycling, times consistent with status.

    The status `""` (a task new-api has not polled yet) is served only with `blank_status`:
    the document lists it too, and its default tasks stay as they always were.
    """
    actions = [a for a in known_values(doc, "action") if a]
    statuses = [s for s in known_values(doc, "status") if s or blank_status]
    bot_types = known_values(doc, "botType")
    tasks: list[dict[str, Any]] = []
    for n, action in enumerate(actions):
        status = statuses[n % len(statuses)]
        tasks.append(
            _task(n, action, status, bot_types[n % len(bot_types)], _PROMPTS[n % len(_PROMPTS)])
        )
    # Every status once more with the first action, so that each is served as IMAGINE too.
    for m, status in enumerate(statuses):
        n = len(actions) + m
        tasks.append(_task(n, actions[0], status, bot_types[0], _PROMPTS[n % len(_PROMPTS)]))
    return tasks


def default_tasks(doc: dict[str, Any]) -> list[Task]:
    """`task_dicts` as `mjapi` models."""
    return msgspec.convert(task_dicts(doc), type=list[Task])


def _task(n: int, action: str, status: str, bot_type: str, prompt: str) -> dict[str, Any]:
    job = f"{n:08x}-4f70-4034-9128-f3ff1ac634fa"
    submit = BASE_TIME + n * 60_000
    started = status not in ("NOT_START", "SUBMITTED", "")
    finished = status in ("SUCCESS", "FAILURE", "CANCEL")
    progress = {
        "SUCCESS": "100%",
        "IN_PROGRESS": f"{(n * 37) % 90 + 5}%",
        "MODAL": "0%",
    }.get(status, "0%" if not finished else "")
    return {
        "id": str(BASE_ID + n),
        "action": action,
        "customId": "" if action == "IMAGINE" else f"MJ::JOB::upsample::1::{job}",
        "botType": bot_type,
        "prompt": prompt,
        "promptEn": prompt
        if prompt.isascii()
        else "a panda drinking tea in a bamboo forest --niji 6",
        "description": "Submit success",
        "state": f"state-{n}" if n % 3 == 0 else "",
        "submitTime": submit,
        "startTime": submit + 2_000 if started else 0,
        "finishTime": submit + 30_000 if finished else 0,
        "imageUrl": f"https://cdn.example.com/attachments/{job}.png" if started else "",
        "status": status,
        "progress": progress,
        "failReason": "Banned prompt detected: the prompt was rejected"
        if status == "FAILURE"
        else "",
        "buttons": button_dicts(job) if status == "SUCCESS" else [],
        "maskBase64": "",
        "properties": {
            "finalPrompt": prompt,
            "finalZhPrompt": "" if prompt.isascii() else prompt,
        },
    }
