"""The kit's Hypothesis home: the table of what UTF-8 encodes is written, not computed.

Hypothesis finds out which characters a codec encodes by encoding and decoding every code
point (about 3 s of CPU the first time a text strategy runs with a new home). The kit
writes the answer for UTF-8, known in closed form, where Hypothesis looks for it. These
tests prove the closed form against the codec itself, prove that Hypothesis reads a table
written that way (a different table written there comes back from Hypothesis), and that a
run's home gets it.
"""

from __future__ import annotations

import contextlib
import gzip
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import configuration
from hypothesis.internal import charmap

from mjspec.conform import command
from mjspec.conform.command import (
    UTF8_ENCODABLE,
    UTF8_TABLE,
    hypothesis_home_outside_the_working_directory,
    seed_utf8_table,
)


@contextlib.contextmanager
def home(directory: Path) -> Iterator[None]:
    """Hypothesis' home set to `directory`, and its in-process table cache emptied around."""
    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(directory)
    charmap.intervals_from_codec.cache_clear()
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)
        charmap.intervals_from_codec.cache_clear()  # the others read the true table again


def _table(directory: Path) -> Path:
    (path,) = directory.glob(f"unicode_data/*/{UTF8_TABLE}.json.gz")
    return path


def test_the_closed_form_is_exactly_what_utf8_encodes_and_decodes_back() -> None:
    inside = [range(start, end + 1) for start, end in UTF8_ENCODABLE]
    text = "".join("".join(map(chr, span)) for span in inside)
    assert text.encode("utf-8").decode("utf-8") == text  # each of them round-trips
    outside: list[int] = []  # the code points between and after the spans: none may encode
    at = 0
    for span in inside:
        assert span.start >= at, "the spans are in order and apart"
        outside += range(at, span.start)
        at = span.stop
    outside += range(at, sys.maxunicode + 1)
    encoded: list[bytes] = []
    for code in outside:
        with contextlib.suppress(UnicodeEncodeError):
            encoded.append(chr(code).encode("utf-8"))
    assert outside and encoded == []


def test_hypothesis_reads_the_table_the_kit_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A table that is not UTF-8's (only ASCII) proves where the answer comes from.
    monkeypatch.setattr(command, "UTF8_ENCODABLE", ((0, 127),))
    with home(tmp_path):
        seed_utf8_table()
        encodable, non_roundtrip = charmap.intervals_from_codec("utf-8")
    assert encodable.intervals == ((0, 127),)
    assert non_roundtrip.intervals == ()


def test_a_run_seeds_its_home_and_leaves_a_table_already_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "hypothesis_home", lambda: tmp_path)
    monkeypatch.setattr(command, "UTF8_ENCODABLE", ((0, 127),))  # where the answer comes from
    with hypothesis_home_outside_the_working_directory(), home(tmp_path):
        assert charmap.intervals_from_codec("utf-8")[0].intervals == ((0, 127),)
    table = _table(tmp_path)
    table.write_bytes(gzip.compress(b"[[[0, 255]], []]"))  # as if Hypothesis had written it
    with hypothesis_home_outside_the_working_directory():
        pass
    assert gzip.decompress(table.read_bytes()) == b"[[[0, 255]], []]"
    assert [p.name for p in table.parent.iterdir()] == [table.name]  # no staged file left


def test_a_home_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    with home(blocked):
        seed_utf8_table()
    assert blocked.read_text(encoding="utf-8") == "not a directory"
