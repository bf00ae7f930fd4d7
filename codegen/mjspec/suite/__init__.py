"""The conformance suite for pytest: one test per required field path and per check.

    export MJSPEC_TOKEN="$KEY"        # optional; never printed
    pytest --pyargs mjspec.suite --mjspec-base-url https://mj.example.com \\
        --mjspec-task-id 1730621826053455 --junitxml mjspec.xml

Options: `--mjspec-base-url URL` (default: the profile's embedded reference server, on
127.0.0.1 and a free port, for the session), `--mjspec-task-id ID` (repeat it),
`--mjspec-profile NAME` (default `doc`), `--mjspec-auth-header NAME`, `--mjspec-strict`
(warnings fail too), `--mjspec-max-examples N`, `--mjspec-seed N`,
`--mjspec-request-timeout SECONDS`.

One conformance run per session (`mjspec.conform.command.conform`), made when the first
test needs it; the tests are `test_field[<path>]` (`test_field[buttons[].style]`),
`test_check[<check>]` (`test_check[server_error]`) and `test_run_is_conclusive`. A run
that cannot start, an unreachable server, or one where no task could be checked errors
every test with the reason; a field or check with nothing to judge is skipped saying why;
a warning is an expected failure (xfail) unless `--mjspec-strict`.

Installing mjspec registers one pytest entry point, `mjspec.suite.options`: it declares
the `--mjspec-*` options (pytest must know them before it parses the command line, earlier
than it reads this package's conftest.py) and does nothing else, so other test runs are
unchanged; `-p no:mjspec` leaves even the options out. The suite's plugin and its tests are
loaded only when `--pyargs mjspec.suite` collects them. Where entry points are off
(`PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`), add `-p mjspec.suite.options`.

With pytest-xdist (`-n`), each worker that runs tests of the suite makes its own
conformance run; `--dist loadscope` (or `-n 0`) keeps the suite on one worker and so to
one run.
"""

pytest_plugins = ["mjspec.suite.plugin"]
