"""Smoke test: the data-parallel example trains on 8 host devices, under jit and pmap, and a
checkpoint written in either mode resumes in the other."""

import pytest

from sonnax import convert
from tests.examples import running


@pytest.mark.parametrize("mode, other", [("jit", "pmap"), ("pmap", "jit")])
def test_data_parallel_runs_and_resumes_in_the_other_mode(mode, other, tmp_path):
    with running.example("data_parallel") as run:
        first = run("--steps", "21", "--mode", mode, "--workdir", str(tmp_path))
        params, state = convert.load(tmp_path / "checkpoint.npz")
        resumed = run("--steps", "31", "--mode", other, "--workdir", str(tmp_path), "--restore")
    assert f"{mode}: 8 devices" in first, first
    losses = running.logged(first, "loss")
    assert running.logged_steps(first) == [0, 10, 20]
    assert losses[-1] < losses[0], first
    # One copy of the replicated params, without pmap's device axis.
    assert params["mlp/~/linear_0"]["w"].shape == (16, 64)
    assert int(state["~training"]["step"]) == 21

    assert f"{other}: 8 devices" in resumed and "restored step 21" in resumed, resumed
    assert running.logged_steps(resumed) == [30]
    assert running.logged(resumed, "loss")[0] < losses[-1]
