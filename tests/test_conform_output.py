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


def _fits(grid: Grid, console: Console) -> bool:
    """The table at its natural width fits the console, and the title fits the table."""
    rows = [grid.headers, *([cell.plain for cell in cells] for cells, _ in grid.rows)]
    columns = range(len(grid.headers))
    width = sum(max(cell_len(row[i]) for row in rows) + 3 for i in columns) + 1
    return width <= console.width and cell_len(grid.title) <= width


def _odd(text: str) -> bool:
    """What rich lays out its own way: a control or other unprintable character (a tab, a
    line break), space at either end, a character of no width (a combining mark)."""
    unprintable = not text.isprintable() or text != text.strip()
    return unprintable or any(cell_len(character) == 0 for character in text)


@settings(max_examples=25)
@given(grids(_PLAIN, most=60))
def test_a_plain_table_is_laid_out_here_exactly_when_it_fits(grid: Grid) -> None:
    console = make_console(io.StringIO())
    assert (grid_lines(grid, console) is not None) == _fits(grid, console)
    assert _printed(grid, by_rich=False) == _printed(grid, by_rich=True)


@settings(max_examples=25)
@given(grids(_ANY, most=12))
def test_a_table_of_any_text_is_left_to_rich_only_where_rich_lays_it_out_its_own_way(
    grid: Grid,
) -> None:
    console = make_console(io.StringIO())
    texts = [grid.title, *grid.headers, *(c.plain for cells, _ in grid.rows for c in cells)]
    needs_rich = any(_odd(text) for text in texts) or not _fits(grid, console)
    assert (grid_lines(grid, console) is None) == needs_rich
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
