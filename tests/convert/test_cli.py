"""Tests for `python -m sonnax.convert` (sonnax/convert/__main__.py), run as a subprocess on
checkpoints TensorFlow wrote; TensorFlow's own reading of them (`fixtures.Oracle`) is the oracle."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest

from sonnax.convert import __main__ as cli
from sonnax.convert import _keys, errors
from sonnax.convert._mapping import names
from sonnax.convert._read import checkpoint
from sonnax.convert._write import npz
from tests.convert import fixtures

REPO = pathlib.Path(__file__).parents[2]


def _cli(*args: object, **options) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sonnax.convert", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120, **options)


def _sonnet_copy(tf_fixtures: pathlib.Path, tmp_path: pathlib.Path) -> tuple[str, str]:
    """A private copy of the Sonnet fixture; returns its prefix and its data shard."""
    folder = shutil.copytree(tf_fixtures / "sonnet", tmp_path / "sonnet")
    return str(folder / "ckpt-2"), str(folder / "ckpt-2.data-00000-of-00001")


def _expected_place(name: str) -> tuple[str, str, str]:
    """The name rule, written out independently of the code under test."""
    *scopes, leaf = name.split("/")
    stateful = scopes[:1] == ["batch_norm"] and leaf in ("counter", "hidden", "average")
    return ("state" if stateful else "params"), "/~/".join(scopes) or "~", leaf


def test_list_shows_every_tensor_and_where_it_goes(tf_fixtures):
    result = _cli("--list", tf_fixtures / "sonnet")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "SHAPE",
        "DTYPE",
        "BYTES",
        "KIND",
        "TRAINABLE",
        "DESTINATION",
    ]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    for name in fixtures.sonnet_variable_names(tf_fixtures):
        collection, module, leaf = _expected_place(name)
        assert rows[name].endswith(f"{collection}/{module}/{leaf}"), rows[name]
    assert re.search(
        r"^mlp/linear_0/w\s+\(3, 4\)\s+float32\s+48\s+variable\s+\?", rows["mlp/linear_0/w"]
    )
    assert "skipped: save counter" in rows["save_counter"]
    assert lines[-1].startswith("24 tensors, ")
    assert lines[-1].endswith("; 23 to convert, 1 skipped")


@pytest.mark.parametrize(
    "name", ["sonnet", "optimizer", "tf1", "partitioned", "saved_model", "keras_adam"]
)
def test_converted_values_equal_what_tensorflow_reads(tf_fixtures, tmp_path, name):
    oracle = fixtures.load(tf_fixtures, name)
    out = tmp_path / "out.npz"
    result = _cli(oracle.path, out, "--include-slots", "--include-save-counter")
    assert result.returncode == 0, result.stderr
    with checkpoint.open_checkpoint(oracle.path) as ckpt:
        entries = ckpt.entries()
    numeric = {key for key, info in entries.items() if info.dtype is not None}
    assert re.match(rf"wrote {out}: {len(numeric)} tensors, ", result.stdout)
    trees = dict(zip(_keys.COLLECTIONS, npz.load(out), strict=True))
    selection = names.Selection(include_slots=True, include_save_counter=True)
    placed = names.plan(entries, selection).placements
    assert {p.info.key for p in placed} == numeric
    for p in placed:
        array = trees[p.collection][p.module][p.name]
        assert list(array.shape) == oracle.tensors[p.info.key]["shape"]
        assert array.dtype.name == oracle.tensors[p.info.key]["dtype"]
        assert fixtures.as_bytes(array) == oracle.value(p.info.key), p.info.key


def test_sonnet_names_follow_the_rule(tf_fixtures, tmp_path):
    result = _cli(tf_fixtures / "sonnet", tmp_path / "out.npz", "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    params, state = npz.load(tmp_path / "out.npz")
    found = {("params", m, n) for m in params for n in params[m]}
    found |= {("state", m, n) for m in state for n in state[m]}
    assert found == {_expected_place(n) for n in fixtures.sonnet_variable_names(tf_fixtures)}


def test_include_exclude_and_dtype(tf_fixtures, tmp_path):
    oracle = fixtures.load(tf_fixtures, "sonnet")
    out = tmp_path / "out.npz"
    options = ["--include", "^mlp/", "--include", "^batch_norm/", "--exclude", "/b$"]
    result = _cli(oracle.path, out, *options, "--dtype", "bfloat16")
    assert result.returncode == 0, result.stderr
    params, state = npz.load(out)
    assert {(m, n) for m in params for n in params[m]} == {
        ("mlp/~/linear_0", "w"), ("mlp/~/linear_1", "w"), ("mlp/~/linear_2", "w"),
        ("batch_norm", "scale"), ("batch_norm", "offset"),
    }  # fmt: skip
    key = "mlp/_layers/1/w/.ATTRIBUTES/VARIABLE_VALUE"
    expected = np.frombuffer(oracle.value(key), np.float32).reshape(4, 3)
    np.testing.assert_array_equal(
        params["mlp/~/linear_1"]["w"], expected.astype(ml_dtypes.bfloat16)
    )
    counter = state["batch_norm/~/moving_mean"]["counter"]
    assert counter.dtype == np.int64  # Only floating-point tensors are cast.
    assert state["batch_norm/~/moving_mean"]["average"].dtype == ml_dtypes.bfloat16


def test_runs_where_tensorflow_cannot_be_imported(tf_fixtures, tmp_path):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["tensorflow"] = None  # Any `import tensorflow` now raises ImportError.
        from sonnax.convert.__main__ import main
        code = main(sys.argv[1:])
        assert not [m for m in sys.modules if m.startswith("tensorflow") and sys.modules[m]]
        sys.exit(code)
        """
    )
    for name in ["sonnet", "tf1", "saved_model"]:
        out = tmp_path / f"{name}.npz"
        result = subprocess.run(
            [sys.executable, "-c", code, fixtures.load(tf_fixtures, name).path, str(out)],
            capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert npz.load(out)[0]


def test_force_overwrites(tf_fixtures, tmp_path):
    (tmp_path / "out.npz").write_bytes(b"old")
    result = _cli(tf_fixtures / "tf1", tmp_path / "out.npz", "--force")
    assert result.returncode == 0, result.stderr
    assert npz.load(tmp_path / "out.npz")[0]["net"]["w"].shape == (4, 3)


def _flip_tensor_byte(tf_fixtures, tmp_path):
    prefix, data = _sonnet_copy(tf_fixtures, tmp_path)
    value = fixtures.load(tf_fixtures, "sonnet").value("linear/w/.ATTRIBUTES/VARIABLE_VALUE")
    raw = bytearray(pathlib.Path(data).read_bytes())
    raw[raw.index(value) + 5] ^= 0x01
    pathlib.Path(data).write_bytes(bytes(raw))
    return prefix, r"ckpt-2\.data-00000-of-00001, tensor 'linear/w/.*crc32c mismatch"


def _truncate_shard(tf_fixtures, tmp_path):
    prefix, data = _sonnet_copy(tf_fixtures, tmp_path)
    os.truncate(data, os.path.getsize(data) // 2)
    return prefix, r"ckpt-2\.data-00000-of-00001.* past the end of the shard"


def _missing_shard(tf_fixtures, tmp_path):
    prefix, data = _sonnet_copy(tf_fixtures, tmp_path)
    os.remove(data)
    return prefix, r"ckpt-2\.data-00000-of-00001: data shard of entry .* cannot be opened"


def _corrupt_index(tf_fixtures, tmp_path):
    prefix, _ = _sonnet_copy(tf_fixtures, tmp_path)
    index = pathlib.Path(f"{prefix}.index")
    raw = bytearray(index.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    index.write_bytes(bytes(raw))
    return prefix, r"ckpt-2\.index"


def _not_a_checkpoint(tf_fixtures, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    return tmp_path / "notes", r"notes: .*expected a checkpoint directory"


def _empty_directory(tf_fixtures, tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty", r"empty: the directory is empty"


@pytest.mark.parametrize(
    "make_input, code",
    [
        (lambda fx, tmp: (tmp / "missing", r"missing: no such file or directory"), 3),
        (lambda fx, tmp: ("", r"the path is empty"), 3),
        (_empty_directory, 3),
        (_not_a_checkpoint, 3),
        (_missing_shard, 3),
        (_truncate_shard, 4),
        (_corrupt_index, 4),
        (_flip_tensor_byte, 4),
    ],
    ids=["missing", "empty-path", "empty-dir", "not-a-checkpoint", "missing-shard",
         "truncated-shard", "corrupt-index", "crc-mismatch"],
)  # fmt: skip
def test_bad_input_exit_codes(tf_fixtures, tmp_path, make_input, code):
    source, message = make_input(tf_fixtures, tmp_path)
    (tmp_path / "out").mkdir()
    result = _cli(source, tmp_path / "out" / "p.npz")
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("sonnax.convert: error: ")
    assert re.search(message, result.stderr), result.stderr
    assert os.listdir(tmp_path / "out") == []


def test_existing_output_without_force_is_kept(tf_fixtures, tmp_path):
    (tmp_path / "out.npz").write_bytes(b"precious")
    result = _cli(tf_fixtures / "tf1", tmp_path / "out.npz")
    assert result.returncode == errors.OutputError.exit_code == 6
    assert "out.npz: already exists; pass overwrite=True (--force)" in result.stderr
    assert (tmp_path / "out.npz").read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["out.npz"]


def test_unwritable_output_directory(tf_fixtures, tmp_path):
    (tmp_path / "file").write_text("")  # A folder that is a file: unwritable even for root.
    result = _cli(tf_fixtures / "tf1", tmp_path / "file" / "out.npz")
    assert result.returncode == 6
    assert "out.npz: cannot create a temporary file beside it: Not a directory" in result.stderr
    assert os.listdir(tmp_path) == ["file"]


def test_disk_full_mid_write_leaves_nothing(tf_fixtures, tmp_path):
    # Writes past 2 KB fail with EFBIG (Python ignores SIGXFSZ). The limit is set by the child
    # itself: a `preexec_fn` would fork this (multithreaded, JAX-using) test process.
    limited = (
        "import resource, runpy, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))\n"
        "sys.argv = ['sonnax.convert', *sys.argv[1:]]\n"
        "runpy.run_module('sonnax.convert', run_name='__main__')\n"
    )
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "p.npz"
    command = [sys.executable, "-c", limited, str(tf_fixtures / "sonnet"), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 6, result.stderr
    assert re.search(r"p\.npz: writing entry '.*' failed: File too large \(EFBIG\)", result.stderr)
    assert os.listdir(tmp_path / "out") == []


# Argument handling runs in this process: it needs no checkpoint and no subprocess isolation.
@pytest.mark.parametrize(
    "args, message",
    [
        (["SRC"], "OUT is required unless --list is given"),
        (["SRC", "o.npz", "--include", "("], "bad regular expression '(': missing )"),
        (["SRC", "o.npz", "--dtype", "int8"], "dtype 'int8' is int8; expected a floating-point"),
        (["SRC", "o.npz", "--dtype", "float33"], "dtype 'float33' is not a dtype"),
    ],
)
def test_usage_errors_exit_2(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def _subclasses(error: type) -> list[type]:
    return [error, *(sub for child in error.__subclasses__() for sub in _subclasses(child))]


def test_help_documents_every_exit_code(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "  0  success" in text and "  2  usage error" in text
    assert "  1  an unexpected error" in text
    classes = _subclasses(errors.ConvertError)
    assert len(classes) == 8
    for error in classes:
        assert f"  {error.exit_code}  {error.__name__}: " in text
    # A ConvertError never exits as an uncaught exception (1) or a usage error (2) would.
    assert all(error.exit_code not in (0, 1, 2) for error in classes)
    assert errors.ConvertError.exit_code == 7


def test_a_convert_error_of_no_subclass_exits_7(monkeypatch, capsys):
    def fail(src, selection):
        raise errors.ConvertError("something else went wrong")

    monkeypatch.setattr(cli._listing, "describe", fail)
    assert cli.main(["--list", "SRC"]) == 7
    assert capsys.readouterr().err == "sonnax.convert: error: something else went wrong\n"


def test_list_shows_trainability_where_a_saved_model_records_it(tf_fixtures, capsys):
    assert cli.main(["--list", fixtures.load(tf_fixtures, "saved_model").path]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert rows["step"][-2:] == ["no", "state/~/step"]
    assert rows["mlp/linear_0/w"][-2:] == ["yes", "params/mlp/~/linear_0/w"]
