"""The Python examples in the guides run as written (a block starting `# Not run` is skipped)."""

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
GUIDES = ["porting.md", "haiku.md"]


def _blocks(guide: str) -> list[tuple[int, str]]:
    text = (DOCS / guide).read_text()
    return [
        (text[: match.start()].count("\n") + 1, match.group(1))
        for match in re.finditer(r"```python\n(.*?)```", text, re.S)
    ]


CASES = [
    pytest.param(code, id=f"{guide}:{line}")
    for guide in GUIDES
    for line, code in _blocks(guide)
    if not code.startswith("# Not run")
]


@pytest.mark.parametrize("code", CASES)
def test_guide_example_runs(code, capsys):
    exec(compile(code, "<guide>", "exec"), {"__name__": "__guide__"})
    capsys.readouterr()


def test_the_guides_have_examples_and_few_are_skipped():
    total = sum(len(_blocks(guide)) for guide in GUIDES)
    assert len(CASES) >= 7
    assert total - len(CASES) <= 2
