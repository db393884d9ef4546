"""`python -m benchmarks --quick` on the MLP, hand-written JAX against sonnax: a smoke test.

Checks what the run produces, never how fast anything was.
"""

import json

import pytest

from benchmarks import __main__ as cli
from benchmarks import hlo, report, timing


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    path = tmp_path_factory.mktemp("benchmarks") / "results.json"
    argv = ["--quick", "--models", "mlp", "--libraries", "jax,sonnax", "--json", str(path)]
    assert cli.main([*argv, "--quiet"]) == 0
    return json.loads(path.read_text())


def test_json_has_every_figure_of_both_libraries(document):
    figures = document["models"]["mlp"]["figures"]
    assert sorted(figures) == ["jax", "sonnax"]
    for library in figures.values():
        assert {"step", "forward", "init", "init_trace", "compile", "trace", "dispatch"} <= set(
            library
        )
        for summary in library.values():
            assert summary["samples"] and summary["p25"] <= summary["median"] <= summary["p75"]


def test_ratios_are_to_hand_written_jax(document):
    ratios = document["models"]["mlp"]["ratios"]
    assert "haiku" not in ratios
    assert ratios["jax"]["jax"]["step"] == 1.0
    assert ratios["jax"]["sonnax"]["step"] > 0


@pytest.mark.parametrize("figure", ["step", "forward"])
def test_hlo_check_reports_the_same_program(document, figure):
    comparison = document["models"]["mlp"]["hlo"][f"{figure}_sonnax_vs_jax"]
    assert comparison["same_opcodes"] and comparison["same_typed_ops"]
    assert comparison["instructions"] == comparison["reference_instructions"] > 0
    rows = [row for row in document["targets"] if row["target"] == f"sonnax {figure} HLO == jax"]
    assert [row["met"] for row in rows] == [True]


def test_json_records_command_and_environment(document):
    assert document["quick"] is True
    assert document["command"][:3] == ["python", "-m", "benchmarks"]
    assert "jax" in document["environment"]["versions"]


def test_unknown_library_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--libraries", "jax,torch"])
    assert "unknown libraries ['torch']" in capsys.readouterr().err


HLO = """\
HloModule jit_step, entry_computation_layout={(f32[2]{0})->f32[2]{0}}

%fused_computation (param_0: f32[2]) -> f32[2] {
  %param_0 = f32[2]{0} parameter(0)
  ROOT %multiply.1 = f32[2]{0} multiply(%param_0, %param_0), metadata={op_name="a/b"}
}

ENTRY %main.4 (x.1: f32[2]) -> (f32[2], s32[]) {
  %x.1 = f32[2]{0} parameter(0)
  %c = s32[] constant(1)
  %fusion = f32[2]{0} fusion(%x.1), kind=kLoop, calls=%fused_computation
  ROOT %tuple = (f32[2]{0}, /*index=1*/s32[]) tuple(%fusion, %c)
}
"""


def test_hlo_counts_opcodes_and_ignores_names_and_tuple_order():
    assert hlo.opcode_counts(HLO) == {
        "constant": 1,
        "fusion": 1,
        "multiply": 1,
        "parameter": 2,
        "tuple": 1,
    }
    renamed = HLO.replace("%fusion", "%fusion.7").replace(
        "(f32[2]{0}, /*index=1*/s32[])", "(s32[], f32[2]{0})"
    )
    assert hlo.compare(renamed, HLO)["same_typed_ops"]
    other = HLO.replace("multiply(", "add(")
    assert hlo.compare(other, HLO)["opcode_differences"] == {"add": [1, 0], "multiply": [0, 1]}


def test_paired_ratio_is_the_median_of_per_round_ratios():
    assert timing.paired_ratio([2.0, 9.0, 3.0], [1.0, 3.0, 1.0]) == 3.0


def test_write_json_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    report.write_json(str(path), {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
