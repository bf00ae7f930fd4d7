"""The embedded server's life: start, one answer, stop, against uvicorn's own server.

`mjspec conform` without --base-url (and every test that needs a server) starts the
reference server in a thread of its process and stops it when the run ends. It runs under
`refserver.PromptServer`; the baseline is `uvicorn.Server` with the same configuration
(`refserver.server_config`), app and socket handling. A round is: bind a free port of
127.0.0.1, start the server's thread, wait until it serves, send one valid request on a
keep-alive connection and read the answer, stop the server (the connection still open, as
a client's pool leaves it) and join its thread. Rounds alternate between the two servers;
the medians are compared. Exits 1 when the ratio PromptServer/uvicorn is over 1.0.

    python benchmarks/bench_embedded.py
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import sys
import time
from collections.abc import Callable

import uvicorn

from mjspec.serve.refserver import PromptServer, build_app, server_config, start_in_thread

ROUNDS = 15
LIMIT = 1.0
PATH = "/mj/task/list-by-condition"


def one_life(
    make: Callable[[uvicorn.Config], uvicorn.Server], app: object, ids: list[str]
) -> float:
    """Seconds from binding the socket to the server's thread having ended."""
    started = time.perf_counter()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = make(server_config(app, log_level="error", access_log=False))
    thread = start_in_thread(server, sock)
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"ids": ids[:2]})
    client.request("POST", PATH, body=body, headers={"Content-Type": "application/json"})
    answer = client.getresponse()
    if answer.status != 200 or len(json.loads(answer.read())) != 2:
        sys.exit(f"the server answered {answer.status}, not the two tasks asked for")
    if isinstance(server, PromptServer):
        server.stop()
    else:
        server.should_exit = True
    thread.join(timeout=30)
    if thread.is_alive():
        sys.exit("the server did not stop")
    elapsed = time.perf_counter() - started
    client.close()
    sock.close()
    return elapsed


def main() -> int:
    app, ids = build_app(None, None)
    one_life(PromptServer, app, ids)  # imports and first-use costs, outside the rounds
    prompt: list[float] = []
    plain: list[float] = []
    for _ in range(ROUNDS):
        prompt.append(one_life(PromptServer, app, ids))
        plain.append(one_life(uvicorn.Server, app, ids))
    ours, theirs = statistics.median(prompt), statistics.median(plain)
    ratio = ours / theirs
    print(
        f"embedded server, start + one answer + stop: PromptServer {ours * 1000:.1f} ms, "
        f"uvicorn.Server {theirs * 1000:.1f} ms (medians of {ROUNDS}): "
        f"ratio {ratio:.2f} (limit {LIMIT})"
    )
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
