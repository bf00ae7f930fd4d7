"""The reference server's default tasks: deterministic, realistic, covering every known value.

The known actions, statuses and bot types are read from the spec's `x-known-values`, so a
value added to the spec is served too.
"""

from __future__ import annotations

from typing import Any

from mjapi.models import Button, Task, TaskProperties

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


def buttons(job: str) -> list[Button]:
    """The buttons Midjourney offers on a finished grid: U1-U4, reroll, V1-V4."""
    found = [_button(f"MJ::JOB::upsample::{n}::{job}", f"U{n}") for n in range(1, 5)]
    found.append(_button(f"MJ::JOB::reroll::0::{job}::SOLO", "", emoji="\U0001f504"))
    found += [_button(f"MJ::JOB::variation::{n}::{job}", f"V{n}") for n in range(1, 5)]
    return found


def _button(custom_id: str, label: str, emoji: str = "") -> Button:
    return Button(custom_id=custom_id, emoji=emoji, label=label, type=2, style=2)


def default_tasks(doc: dict[str, Any]) -> list[Task]:
    """One task per known action, statuses and bot types cycling, times consistent with status."""
    actions = [a for a in known_values(doc, "action") if a]
    statuses = [s for s in known_values(doc, "status") if s]
    bot_types = known_values(doc, "botType")
    tasks: list[Task] = []
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


def _task(n: int, action: str, status: str, bot_type: str, prompt: str) -> Task:
    job = f"{n:08x}-4f70-4034-9128-f3ff1ac634fa"
    submit = BASE_TIME + n * 60_000
    started = status not in ("NOT_START", "SUBMITTED")
    finished = status in ("SUCCESS", "FAILURE", "CANCEL")
    progress = {
        "SUCCESS": "100%",
        "IN_PROGRESS": f"{(n * 37) % 90 + 5}%",
        "MODAL": "0%",
    }.get(status, "0%" if not finished else "")
    return Task(
        id=str(BASE_ID + n),
        action=action,
        custom_id="" if action == "IMAGINE" else f"MJ::JOB::upsample::1::{job}",
        bot_type=bot_type,
        prompt=prompt,
        prompt_en=prompt
        if prompt.isascii()
        else "a panda drinking tea in a bamboo forest --niji 6",
        description="Submit success",
        state=f"state-{n}" if n % 3 == 0 else "",
        submit_time=submit,
        start_time=submit + 2_000 if started else 0,
        finish_time=submit + 30_000 if finished else 0,
        image_url=f"https://cdn.example.com/attachments/{job}.png" if started else "",
        status=status,
        progress=progress,
        fail_reason="Banned prompt detected: the prompt was rejected"
        if status == "FAILURE"
        else "",
        buttons=buttons(job) if status == "SUCCESS" else [],
        mask_base64="",
        properties=TaskProperties(
            final_prompt=prompt, final_zh_prompt="" if prompt.isascii() else prompt
        ),
    )
