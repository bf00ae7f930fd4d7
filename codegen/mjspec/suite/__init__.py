"""The conformance suite for pytest: one test per required field path and per check.

    export MJSPEC_TOKEN="$KEY"        # optional; never printed
    pytest -p mjspec.suite --pyargs mjspec.suite --mjspec-base-url https://mj.example.com \\
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

Why `-p mjspec.suite`: pytest reads the options of a package's conftest.py only when that
file is found before the command line is parsed, which `--pyargs` never does (pytest issues
1596 and 13094). `-p mjspec.suite` loads this plugin early, by name, for that run only.
Without it, `pytest --pyargs mjspec.suite` still runs the suite (the conftest loads the
plugin), but any `--mjspec-*` option is refused as unrecognized, so only the defaults
apply: the embedded reference server under `doc`. Giving the package's directory instead
(`pytest "$(python -c 'import mjspec.suite as s; print(s.__path__[0])')" --mjspec-...`)
works too. mjspec registers no pytest entry point: installing it changes no other run.

With pytest-xdist (`-n`), each worker that runs tests of the suite makes its own
conformance run; `--dist loadscope` (or `-n 0`) keeps the suite on one worker and so to
one run.
"""

pytest_plugins = ["mjspec.suite.plugin"]
