"""Tests for sonnax/parity/__main__.py: `python -m sonnax.parity`, run in-process."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sonnax import convert, parity
from sonnax.parity import __main__ as cli

_PORTS = """
from sonnax import compat


def forward(x):
    return compat.nets.MLP([4, 3], name="mlp")(x)


def wrong(x):
    return compat.nets.MLP([4, 3], name="mlp", activation=lambda h: h)(x)
"""


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """A pair and params recorded from a TF Sonnet MLP, a checkpoint of it, and a ports file."""
    import sonnet
    import tensorflow as tf

    x = np.random.default_rng(1).normal(size=(3, 5)).astype(np.float32)
    module = sonnet.nets.MLP([4, 3], name="mlp")
    parity.record(tmp_path / "pair.npz", [x], module(tf.constant(x)))
    convert.save(tmp_path / "params.npz", *convert.from_module(module))
    tf.train.Checkpoint(module=module).save(str(tmp_path / "ckpt" / "ckpt"))
    (tmp_path / "my_ports.py").write_text(textwrap.dedent(_PORTS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("params", ["params.npz", "ckpt"])
def test_a_correct_port_exits_0(recorded, capsys, params):
    assert cli.main(["pair.npz", params, "my_ports:forward"]) == 0
    assert "parity passed" in capsys.readouterr().out


def test_a_wrong_port_exits_1_and_names_the_output(recorded, capsys):
    assert cli.main(["pair.npz", "params.npz", "my_ports:wrong", "--atol", "1e-6"]) == 1
    out = capsys.readouterr().out
    assert "FAIL outputs " in out and "1 of 1 FAILED" in out


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("my_ports", "expected module:attribute"),
        ("no_such_module:forward", "cannot import 'no_such_module'"),
        ("my_ports:missing", "has no 'missing'"),
    ],
)
def test_a_port_that_cannot_be_found_exits_2(recorded, capsys, port, message):
    assert cli.main(["pair.npz", "params.npz", port]) == 2
    assert message in capsys.readouterr().err


def test_unreadable_inputs_exit_2(recorded, capsys):
    assert cli.main(["pair.npz", "no_such_dir", "my_ports:forward"]) == 2
    assert "no_such_dir" in capsys.readouterr().err


def test_importing_the_package_and_its_cli_needs_no_tensorflow():
    code = "import sys, sonnax.parity, sonnax.parity.__main__; print('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
