"""The README's two set-up commands: exactly two, CI runs the test one verbatim, and the main
job runs without TensorFlow and matches TF's recorded outputs."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _setup_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_commands():
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("&& python examples/convert_and_compare.py")
    assert 'pip install -q -e ".[convert]"' in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _setup_commands()[1] in ci_lines


# TensorFlow made unimportable, as on a machine with only the `convert` extra installed.
_WITHOUT_TENSORFLOW = """
import runpy, sys
class _NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "sonnet"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, _NoTensorFlow())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_the_main_job_matches_tf_without_tensorflow():
    script = _setup_commands()[0].rsplit("&& python ", 1)[1].split()
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TENSORFLOW, *script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "TF Sonnet (recorded at save time)" in result.stdout
    assert len([line for line in lines if re.match(r"\d+ +\[", line)]) == 3  # One per input row.
    difference = float(re.search(r"max \|sonnax - TF\| = (\S+)", result.stdout).group(1))
    assert difference < 1e-5
    assert lines[-1] == "parity passed"
