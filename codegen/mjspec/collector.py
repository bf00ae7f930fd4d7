"""How a mjspec process's cyclic garbage collector runs: the process decides, at its start.

Its own module, importing nothing else: every command sets it before anything is imported
(`cli.entry`), and the worker module (subprocess, threading, json) would add about 13 ms
to the start of every command.
"""

from __future__ import annotations

import gc


def one_shot() -> None:
    """For a process that does one job and ends: the cyclic garbage collector is off.

    Importing a large tool allocates hundreds of thousands of objects, and each collection
    walks them all again; a process that ends after one job frees its memory at exit, so
    those walks (several percent of a cold run) buy nothing.
    """
    gc.disable()


def few_collections() -> None:
    """For a command's process (conform, serve, record...): the cyclic garbage collector
    collects its youngest generation every 20,000 allocations instead of 700, and a full
    collection waits for 100 of the middle generation's instead of 10.

    A run makes millions of short-lived objects (Hypothesis' draws, schemathesis' cases,
    answers decoded) and few cycles: against the embedded server, `mjspec conform` spent
    0.33-0.38 s of its 2.7-3.2 s of CPU in collections, 0.16-0.20 s with these.
    """
    gc.set_threshold(20_000, 20, 100)
