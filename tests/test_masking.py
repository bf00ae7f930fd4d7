"""The token never appears in output, as written or as a repr escapes it."""

from __future__ import annotations

from mjspec.masking import MASK, Masker, token_problem


def test_the_token_is_masked_as_written_and_as_escaped_in_a_repr() -> None:
    token = "tok\u00e9n\n1"
    masker = Masker(token)
    quoted = f"refused header value: {token!r}; raw: {token}"
    assert masker.text(quoted) == f"refused header value: '{MASK}'; raw: {MASK}"
    assert masker.value({token: [repr(token)]}) == {MASK: [f"'{MASK}'"]}


def test_only_a_token_a_header_can_carry_passes() -> None:
    assert token_problem("sk-0123456789abcdef") == ""
    assert token_problem(None) == ""
    for bad in ("zq9\n", " zq9", "zq9 ", "z\tq9", "zq9ö", "z\x00q9"):
        problem = token_problem(bad)
        assert problem.startswith("the token cannot be sent in an HTTP header")
        assert "zq9" not in problem and "q9" not in problem
