"""`mjspec serve` under load and abuse, against a bare Starlette app under the same load.

Each server runs as a subprocess on a free port of 127.0.0.1, under uvicorn exactly as
`mjspec serve` runs it (`refserver.server_config`): `mjspec serve --port 0 --token TOKEN`
(the document's reference server), and a Starlette app that answers every request with
one fixed JSON array (the reference server's answer to the valid request below), as the
baseline. This process drives the load with raw asyncio streams (a client this thin costs
the shared cores little): `--concurrency` keep-alive connections send `--requests`
requests in turn, a quarter of each kind:

- valid JSON with the token (expected 200),
- multipart/form-data with the token (200: the document declares it),
- malformed JSON with the token (400),
- valid JSON without the token (401),

while `--slowloris` other connections each send a request line and then one header line
every second, never finishing. Latency is from sending a request (reconnecting first if
the server closed the connection between requests) to the last byte of its answer.

Both servers run side by side and get `--rounds` rounds each, interleaved; each server's
best round (requests per second) is shown. A dropped connection is a request that got no
complete answer: the connection was reset or closed, or nothing came within 30 s. The run
fails (exit 1) when, in any round, `mjspec serve` answers any 5xx or any status other than
the expected one, drops any request, or has a p99 of 3 s or more; the baseline's figures
are for comparison only.

Usage, from the repository root:
    python benchmarks/bench_load.py        # 3 rounds of 3,000 requests each, 64 + 64
    python benchmarks/bench_load.py --requests 300 --concurrency 16 --slowloris 16 \\
        --rounds 1 --no-baseline           # what tests/test_serve_load.py runs
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

P99_LIMIT = 3.0
ANSWER_TIMEOUT = 30.0
START_TIMEOUT = 60.0
TOKEN = "bench-load-s3cret-token"
PATH = "/mj/task/list-by-condition"
BOUNDARY = "mjspec-bench-boundary"
KINDS = ("valid JSON", "multipart", "malformed JSON", "no token")
EXPECTED = {"valid JSON": 200, "multipart": 200, "malformed JSON": 400, "no token": 401}
SERVE = "mjspec serve"
BARE = "bare Starlette app"
BANNER = re.compile(r" on (http://[^\s:]+:(\d+)): ")


def requests_by_kind(ids: Sequence[str]) -> dict[str, bytes]:
    """The raw HTTP/1.1 request of each kind (ids: the known ids to ask for, plus one unknown)."""
    asked = [*ids, "0000000000000000"]
    json_body = ('{"ids": [' + ", ".join(f'"{i}"' for i in asked) + "]}").encode()
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="ids"\r\n\r\n{i}\r\n' for i in asked
    ]
    form_body = ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()
    bearer = f"Authorization: Bearer {TOKEN}\r\n"

    def request(body: bytes, content_type: str, auth: str) -> bytes:
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return {
        "valid JSON": request(json_body, "application/json", bearer),
        "multipart": request(form_body, f"multipart/form-data; boundary={BOUNDARY}", bearer),
        "malformed JSON": request(b'{"ids": ["1730621826053455", ', "application/json", bearer),
        "no token": request(json_body, "application/json", ""),
    }


# -- the servers ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Server:
    name: str
    base_url: str
    port: int
    task_ids: list[str]


@contextlib.contextmanager
def running(name: str, command: list[str]) -> Iterator[Server]:
    """Start a server command that prints `... on http://HOST:PORT: ...` and a task ids line."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            yield _started(name, process, log)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _started(name: str, process: subprocess.Popen[bytes], log: IO[str]) -> Server:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        banner = BANNER.search(text)
        ids = re.search(r"^task ids: (.*)$", text, re.MULTILINE)
        if banner and ids:
            known = [i for i in ids[1].split() if i != "..."][:5]
            return Server(name, banner[1], int(banner[2]), known)
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    raise SystemExit(f"{name} did not start within {START_TIMEOUT:g} s")


def serve_baseline(answer_ids: list[str]) -> None:
    """Run the bare Starlette app on a free port, as `mjspec serve` runs its app."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from mjspec.serve.refserver import build_app, listen, server_config

    app, _ = build_app(None, None)
    body = app.state.store.encode(answer_ids)

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    bare = Starlette(routes=[Route(PATH, answer, methods=["POST"])])
    sock = listen("127.0.0.1", 0)
    print(f"bare Starlette app on http://127.0.0.1:{sock.getsockname()[1]}: 1 answer")
    print(f"task ids: {' '.join(answer_ids)}", flush=True)
    server = uvicorn.Server(server_config(bare, log_level="info", access_log=True))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


# -- the load -------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Tally:
    latencies: list[float] = dataclasses.field(default_factory=list)
    statuses: dict[str, dict[int, int]] = dataclasses.field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    dropped: list[str] = dataclasses.field(default_factory=list)
    wall: float = 0.0
    slowloris_open: int = 0
    slowloris_closed: int = 0
    """Slow connections the server ended (each is replaced by a new one)."""
    slowloris_refused: int = 0

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def server_errors(self) -> int:
        return sum(n for seen in self.statuses.values() for s, n in seen.items() if s >= 500)

    @property
    def per_second(self) -> float:
        return self.answered / self.wall if self.wall else 0.0

    def unexpected(self) -> int:
        return sum(
            n
            for kind, seen in self.statuses.items()
            for status, n in seen.items()
            if status != EXPECTED[kind]
        )

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


class Dropped(Exception):
    pass


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 answer; (status, whether the server will close the connection)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise Dropped("closed before an answer" if not exc.partial else "cut in the head") from None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    close = headers.get("connection") == "close"
    try:
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await reader.read()
            close = True
    except asyncio.IncompleteReadError:
        raise Dropped("cut in the body") from None
    return status, close


async def client(
    queue: list[tuple[str, bytes]], port: int, tally: Tally, measured: bool = True
) -> None:
    """One keep-alive connection sending requests from the shared queue until it is empty."""
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while queue:
        kind, request = queue.pop()
        started = time.perf_counter()
        try:
            if streams is None:
                streams = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = streams
            writer.write(request)
            await writer.drain()
            status, close = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)
        except (Dropped, OSError, TimeoutError) as exc:
            if measured:
                tally.dropped.append(f"{kind}: {type(exc).__name__} {exc}".strip())
            if streams is not None:
                streams[1].close()
            streams = None
            continue
        if measured:
            tally.latencies.append(time.perf_counter() - started)
            seen = tally.statuses[kind]
            seen[status] = seen.get(status, 0) + 1
        if close:
            writer.close()
            streams = None
    if streams is not None:
        streams[1].close()


async def slowloris(port: int, number: int, stop: asyncio.Event, tally: Tally) -> None:
    """A connection that sends a request line, then a header line a second, never the end;
    another one when the server closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            tally.slowloris_refused += 1
            await asyncio.sleep(0.5)
            continue
        tally.slowloris_open += 1
        try:
            writer.write(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            line = 0
            while not stop.is_set():
                await writer.drain()
                reading = asyncio.ensure_future(reader.read(1))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reading), 1.0)
                if reading.done():
                    break  # the server answered (400, 408) or closed the connection
                reading.cancel()
                line += 1
                writer.write(f"X-Slow-{number}-{line}: {'x' * 8}\r\n".encode())
        except OSError:
            pass
        finally:
            tally.slowloris_open -= 1
            writer.close()
        if not stop.is_set():
            tally.slowloris_closed += 1


async def load(
    port: int,
    ids: Sequence[str],
    *,
    total: int,
    concurrency: int,
    slow: int,
    settle: float = 1.5,
) -> Tally:
    """`total` requests at `concurrency` beside `slow` slowloris connections, given
    `settle` seconds to open and send a header line or two first."""
    built = requests_by_kind(ids)
    tally = Tally()
    stop = asyncio.Event()
    loris = [asyncio.create_task(slowloris(port, n, stop, tally)) for n in range(slow)]
    await asyncio.sleep(settle)  # every slow connection open, a header line or two in
    warm = [(kind, built[kind]) for kind in KINDS] * concurrency
    await asyncio.gather(*(client(warm, port, tally, measured=False) for _ in range(concurrency)))
    queue = [(KINDS[n % len(KINDS)], built[KINDS[n % len(KINDS)]]) for n in range(total)]
    queue.reverse()
    start = time.perf_counter()
    await asyncio.gather(*(client(queue, port, tally) for _ in range(concurrency)))
    tally.wall = time.perf_counter() - start
    open_at_end = tally.slowloris_open
    stop.set()
    await asyncio.gather(*loris)
    tally.slowloris_open = open_at_end
    return tally


# -- the report -----------------------------------------------------------------------


HEADER = f"{'':<20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'5xx':>4} {'dropped':>7}  slowloris"


def row(name: str, tally: Tally) -> str:
    return (
        f"{name:<20} {tally.per_second:>7.0f} {tally.quantile(0.5) * 1000:>7.1f} "
        f"{tally.quantile(0.99) * 1000:>7.1f} {tally.server_errors:>4} {len(tally.dropped):>7}  "
        f"{tally.slowloris_open} open at the end, {tally.slowloris_closed} closed by the server"
        + (f", {tally.slowloris_refused} refused" if tally.slowloris_refused else "")
    )


def statuses(tally: Tally) -> str:
    shown = []
    for kind in KINDS:
        seen = ", ".join(f"{n}x {s}" for s, n in sorted(tally.statuses[kind].items()))
        shown.append(f"{kind}: {seen or 'none'}")
    return "; ".join(shown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="per round (%(default)s)")
    parser.add_argument("--concurrency", type=int, default=64, help="%(default)s")
    parser.add_argument("--slowloris", type=int, default=64, help="%(default)s")
    parser.add_argument("--rounds", type=int, default=3, help="per server (%(default)s)")
    parser.add_argument("--no-baseline", action="store_true", help="load `mjspec serve` only")
    parser.add_argument("--serve-baseline", nargs="*", metavar="ID", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline is not None:
        serve_baseline(args.serve_baseline)
        return 0
    shape = dict(total=args.requests, concurrency=args.concurrency, slow=args.slowloris)
    print(
        f"{args.requests} requests ({', '.join(KINDS)}: a quarter each) at concurrency "
        f"{args.concurrency}, while {args.slowloris} slowloris connections dribble headers; "
        f"best of {args.rounds} rounds, interleaved"
    )
    serve = [sys.executable, "-m", "mjspec.cli", "serve", "--port", "0", "--token", TOKEN]
    rounds: dict[str, list[Tally]] = {}
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(running(SERVE, serve))]
        ids = servers[0].task_ids
        if not args.no_baseline:
            bare = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", *ids]
            servers.append(stack.enter_context(running(BARE, bare)))
        for _ in range(args.rounds):
            for server in servers:
                tally = asyncio.run(load(server.port, ids, **shape))
                rounds.setdefault(server.name, []).append(tally)
    best = {name: max(tallies, key=lambda t: t.per_second) for name, tallies in rounds.items()}
    print(HEADER)
    for name, tally in sorted(best.items()):
        print(row(name, tally))
    print(f"{SERVE} answered (best round): {statuses(best[SERVE])}")
    if BARE in best:
        ratio = best[SERVE].per_second / best[BARE].per_second
        print(f"ratio of requests per second, {SERVE} / {BARE}: {ratio:.2f}")
    ours = rounds[SERVE]
    worst = max(tally.quantile(0.99) for tally in ours)
    errors = sum(tally.server_errors for tally in ours)
    unexpected = sum(tally.unexpected() for tally in ours)
    dropped = [drop for tally in ours for drop in tally.dropped]
    print(
        f"{SERVE}, all {len(ours)} rounds: worst p99 {worst * 1000:.1f} ms, "
        f"{errors} 5xx, {unexpected} unexpected statuses, {len(dropped)} dropped"
    )
    problems = []
    if errors:
        problems.append(f"{errors} answers were 5xx")
    if unexpected:
        problems.append(f"{unexpected} answers had another status than expected")
    if dropped:
        problems.append(f"{len(dropped)} requests dropped (first: {dropped[0]})")
    if not worst < P99_LIMIT:
        problems.append(f"p99 {worst:.2f} s is not under {P99_LIMIT:g} s")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
