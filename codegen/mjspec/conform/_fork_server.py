"""The last module a fleet's fork server imports before it serves: SIGINT unblocked again.

The fleet starts the fork server with SIGINT blocked, so that Ctrl-C while it imports the
kit (about half a second) is the fleet's alone, not a traceback from the server. Blocked,
it would stay so in every process the server forks, the fleet's workers and any other
code's in the same process (the server is the process's one): here, once the imports are
done, the server's mask is as it was. What it forks starts with Python's own SIGINT
handler: a worker ignores SIGINT as its first step (`fleet._share`), and one interrupted
before that ends at once without a traceback (the server's child prints only an
`Exception`, and a KeyboardInterrupt is not one).
"""

from __future__ import annotations

import signal

if hasattr(signal, "pthread_sigmask"):
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
