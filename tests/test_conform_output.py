"""The terminal report's tables: off a terminal, laid out by `output.grid_lines` exactly as
rich lays out the same `Table`, and left to rich wherever that could differ."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from mjspec.conform.output import Grid, grid_lines, make_console, print_grid

# Narrow and wide characters, an emoji (two cells), spaces.
_PLAIN = st.text(st.sampled_from(["a", "Z", "1", "-", ".", "é", "提", "交", "🙂", " "]))
# Anything a server or a spec could put in a cell: control characters, tabs, line breaks,
# marks of no width.
_ANY = st.text(st.characters(codec="utf-8"))


@st.composite
def grids(
    draw: st.DrawFn, cells: st.SearchStrategy[str], *, most: int, title_fits: bool = False
) -> Grid:
    columns = draw(st.integers(1, 5))
    text = cells.map(lambda t: t[:most].strip())
    headers = tuple(draw(text) for _ in range(columns))
    rows = draw(
        st.lists(st.tuples(st.tuples(*[text.map(Text) for _ in range(columns)]), st.booleans()))
    )
    right = frozenset(draw(st.sets(st.integers(0, columns - 1))))
    title = draw(cells.map(str.strip))
    if title_fits:  # no wider than the table: a wider title rich would wrap
        values = [headers, *([cell.plain for cell in row] for row, _ in rows)]
        width = sum(max(cell_len(v[i]) for v in values) + 3 for i in range(columns)) + 1
        while cell_len(title) > width:
            title = title[:-1].strip()
    return Grid(title, headers, right, tuple(rows))


def _printed(grid: Grid, *, by_rich: bool) -> str:
    out = io.StringIO()
    console = make_console(out)
    if by_rich:
        console.print(grid.table())
    else:
        print_grid(console, grid)
    return out.getvalue()


@settings(max_examples=25)
@given(grids(_PLAIN, most=12, title_fits=True))
def test_a_plain_table_that_fits_is_laid_out_here_as_rich_lays_it_out(grid: Grid) -> None:
    assert grid_lines(grid, make_console(io.StringIO())) is not None  # not rich's to lay out
    assert _printed(grid, by_rich=False) == _printed(grid, by_rich=True)


@settings(max_examples=25)
@given(st.one_of(grids(_ANY, most=12), grids(_PLAIN, most=60)))
def test_any_other_table_prints_what_rich_prints(grid: Grid) -> None:
    assert _printed(grid, by_rich=False) == _printed(grid, by_rich=True)


def test_a_cell_rich_would_change_or_a_table_too_wide_is_left_to_rich() -> None:
    console = make_console(io.StringIO())

    def grid(*cells: str) -> Grid:
        return Grid("title", ("a",), frozenset(), tuple(((Text(c),), False) for c in cells))

    assert grid_lines(grid("ok", "fine 提交"), console) is not None
    for odd in ("tab\there", "line\nbreak", " leading", "trailing ", "e\u0301", "x" * 200):
        assert grid_lines(grid("ok", odd), console) is None, odd
    assert (
        grid_lines(Grid("a title wider than its table", ("a",), frozenset(), ()), console) is None
    )


def test_a_colour_terminal_gets_richs_table_with_its_styles() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", width=120)
    grid = Grid("t", ("status",), frozenset(), (((Text("fail", style="bold red"),), False),))
    assert grid_lines(grid, console) is None
    print_grid(console, grid)
    assert "\x1b[" in out.getvalue() and "fail" in out.getvalue()
