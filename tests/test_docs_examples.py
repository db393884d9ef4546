"""The Python examples in the README and the guides run as written (`# Not run` blocks aside)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUIDES = ["README.md", "docs/porting.md", "docs/haiku.md", "docs/convert.md", "docs/sharding.md"]


def _blocks(guide: str) -> list[tuple[int, str]]:
    text = (ROOT / guide).read_text()
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


@pytest.mark.parametrize("guide", GUIDES)
def test_at_most_one_example_per_guide_is_not_run(guide):
    skipped = [line for line, code in _blocks(guide) if code.startswith("# Not run")]
    assert len(skipped) <= 1, f"{guide}: blocks not run at lines {skipped}"


def test_the_guides_have_examples():
    assert len(CASES) >= 10
