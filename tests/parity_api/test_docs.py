"""docs/parity.md's worked example runs as written: its files, its tests, its two commands."""

import pathlib
import re
import shlex

import pytest

from sonnax.parity import __main__ as cli

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", autouse=True)
def _tensorflow_loaded_first():
    """Imports TF before `pytester` snapshots `sys.modules`: the snapshot's restore would drop
    a TF imported by the inner run, and TensorFlow cannot be imported twice in one process."""
    import sonnet  # noqa: F401
    import tensorflow  # noqa: F401


GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "parity.md"


def _files() -> dict[str, str]:
    """The guide's Python blocks that start `# file: <name>`, by name."""
    blocks = re.findall(r"```python\n# file: (\S+)\n(.*?)```", GUIDE.read_text(), re.S)
    return dict(blocks)


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", GUIDE.read_text(), re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line]


def test_the_guide_shows_the_files_and_commands_of_a_ci_setup():
    assert sorted(_files()) == [
        "conftest.py",
        "my_model.py",
        "my_port.py",
        "record_pair.py",
        "test_port.py",
    ]
    assert [command[:3] for command in _commands()] == [
        ["python", "-m", "pytest"],
        ["python", "-m", "sonnax.parity"],
    ]


def test_the_worked_example_passes_in_ci(pytester, monkeypatch):
    for name, code in _files().items():
        pytester.path.joinpath(name).write_text(code)
    pytester.syspathinsert()
    monkeypatch.chdir(pytester.path)
    pytest_command, parity_command = _commands()

    result = pytester.runpytest(*pytest_command[3:], "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)

    exec(compile(_files()["record_pair.py"], "record_pair.py", "exec"), {"__name__": "__main__"})
    assert cli.main(parity_command[3:]) == 0
