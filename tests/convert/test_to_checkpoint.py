"""Tests for sonnax/convert/_write/checkpoint.py: compat params written back for TF Sonnet.

The oracle is TF Sonnet itself: each case's module is built in TF, the checkpoint written by
`to_checkpoint` from JAX params is restored into it with `assert_consumed()`, and TF's outputs
are compared with the compat module's on the same inputs.
"""

import os
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from sonnax import compat, convert
from sonnax.convert._write import bundle, table
from tests.parity.cases import CASES

# (parity case, mode): a representative set of compat classes, stateful ones in eval mode so
# that the restored state decides the outputs.
_CASES = [
    ("linear", ""),
    ("mlp", ""),
    ("conv2d", ""),
    ("conv2d_transpose", ""),
    ("batch_norm_channels_last_rank4_scale1_offset1", "eval"),
    ("lstm_static_unroll", ""),
    ("cifar10_convnet_eval_moving_stats", "eval"),
    ("embed", ""),
    ("vector_quantizer_ema", "eval"),
]


@pytest.fixture(scope="module")
def tf_sonnet():
    """TensorFlow and Sonnet, imported here only (TF32 off for exact float32 matmuls)."""
    import sonnet
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(False)
    return tf, sonnet


def _perturbed(tree, rng, *, positive):
    """Moves every value off its initializer (biases off zero, counters off zero)."""

    def move(value):
        value = np.asarray(value)
        if np.issubdtype(value.dtype, np.integer):
            return value + 3 if value.ndim == 0 else value
        noise = rng.uniform(0.0, 0.2, value.shape) if positive else rng.normal(0, 0.2, value.shape)
        return (value + noise).astype(value.dtype)

    return jax.tree.map(move, tree)


def _jax_side(case, mode):
    rng = np.random.default_rng(len(case.name))
    kwargs = case.modes[mode]
    forward = sonnax.transform_with_state(
        lambda *xs: case.call(compat, case.build(compat), *xs, **kwargs)
    )
    inputs = case.make_inputs(rng)
    params, state = forward.init(jax.random.PRNGKey(0), *map(jnp.asarray, inputs))
    params = _perturbed(params, rng, positive=False)
    state = _perturbed(state, rng, positive=True)
    with jax.default_matmul_precision("highest"):
        outputs, _ = forward.apply(params, state, None, *map(jnp.asarray, inputs))
    return inputs, params, state, jax.tree.leaves(outputs)


def _tf_module(tf, sonnet, case, mode, inputs):
    """A freshly built TF module, called once so that its variables exist."""
    module = case.build(sonnet)
    case.call(sonnet, module, *map(tf.constant, inputs), **case.modes[mode])
    return module


def _flat(tree):
    return {(m, n): np.asarray(v) for m, b in tree.items() for n, v in b.items()}


@pytest.mark.parametrize("use_template", [True, False], ids=["template", "name_based"])
@pytest.mark.parametrize(("case_name", "mode"), _CASES, ids=[name for name, _ in _CASES])
def test_tf_restores_and_reproduces_jax_outputs(tf_sonnet, tmp_path, case_name, mode, use_template):
    tf, sonnet = tf_sonnet
    case = CASES[case_name]
    inputs, params, state, jax_outputs = _jax_side(case, mode)
    template = None
    if use_template:
        original = _tf_module(tf, sonnet, case, mode, inputs)
        template = tf.train.Checkpoint(module=original).save(str(tmp_path / "template" / "ckpt"))

    prefix = convert.to_checkpoint(params, state, tmp_path / "out" / "ckpt-1", template=template)

    restored = _tf_module(tf, sonnet, case, mode, inputs)
    tf.train.Checkpoint(module=restored).restore(prefix).assert_consumed()
    written = {**_flat(params), **_flat(state)}
    for variable in restored.variables:
        expected = written.pop(convert.split_name(variable.name))
        np.testing.assert_array_equal(variable.numpy(), expected, err_msg=variable.name)
    assert not written, f"not restored into TF: {sorted(written)}"
    tf_outputs = tf.nest.flatten(
        case.call(sonnet, restored, *map(tf.constant, inputs), **case.modes[mode])
    )
    assert len(tf_outputs) == len(jax_outputs)
    for tf_output, jax_output in zip(tf_outputs, jax_outputs, strict=True):
        np.testing.assert_allclose(tf_output.numpy(), jax_output, rtol=1e-5, atol=1e-5)


def test_a_template_without_a_save_counter_gains_one(tf_sonnet, tmp_path):
    tf, sonnet = tf_sonnet
    case = CASES["linear"]
    inputs, params, state, jax_outputs = _jax_side(case, "")
    original = _tf_module(tf, sonnet, case, "", inputs)
    # `write`, unlike `save`, records no save counter, which `restore` creates and then wants.
    template = tf.train.Checkpoint(module=original).write(str(tmp_path / "template"))
    prefix = convert.to_checkpoint(params, state, tmp_path / "ckpt-1", template=template)
    restored = _tf_module(tf, sonnet, case, "", inputs)
    checkpoint = tf.train.Checkpoint(module=restored)
    checkpoint.restore(prefix).assert_consumed()
    assert checkpoint.save_counter.numpy() == 1
    np.testing.assert_allclose(
        restored(tf.constant(inputs[0])), jax_outputs[0], rtol=1e-5, atol=1e-5
    )


def test_a_saved_model_template_restores_into_its_root(tf_sonnet, tmp_path):
    tf, sonnet = tf_sonnet
    case = CASES["mlp"]
    inputs, params, state, jax_outputs = _jax_side(case, "")
    tf.saved_model.save(_tf_module(tf, sonnet, case, "", inputs), str(tmp_path / "saved"))
    prefix = convert.to_checkpoint(params, state, tmp_path / "ckpt-1", template=tmp_path / "saved")
    restored = _tf_module(tf, sonnet, case, "", inputs)
    tf.train.Checkpoint(restored).restore(prefix).assert_consumed()
    np.testing.assert_allclose(
        restored(tf.constant(inputs[0])), jax_outputs[0], rtol=1e-5, atol=1e-5
    )


def _mlp_trees():
    rng = np.random.default_rng(0)
    params = {
        "mlp/~/linear_0": {"w": rng.normal(size=(5, 4)).astype(np.float32), "b": np.ones(4, "f4")},
        "mlp/~/linear_1": {"w": rng.normal(size=(4, 3)).astype(np.float32), "b": np.ones(3, "f4")},
    }
    state = {"bn/~/mean_ema": {"counter": np.int32(7), "hidden": np.ones(3, np.float32)}}
    return params, state


@pytest.fixture
def template(tmp_path):
    """A template written by `to_checkpoint` itself (name-based), for the error tests."""
    params, state = _mlp_trees()
    return convert.to_checkpoint(params, state, tmp_path / "template" / "ckpt-1")


def test_the_part_one_reader_reads_back_exactly(tmp_path, template):
    params, state = _mlp_trees()
    for prefix in (
        template,
        convert.to_checkpoint(params, state, tmp_path / "t", template=template),
    ):
        with convert.open_checkpoint(prefix) as checkpoint:
            result = convert.to_params(checkpoint)
        read, expected = _flat(result.params), _flat(params)
        assert read.keys() == expected.keys()
        for key, value in expected.items():
            np.testing.assert_array_equal(read[key], value, err_msg=str(key))
        assert _flat(result.state).keys() == _flat(state).keys()
        counter = result.state["bn/~/mean_ema"]["counter"]
        assert counter.dtype == np.int64 and counter == 7  # TF's dtype for Sonnet's counters.


def test_the_state_file_names_the_checkpoint(tmp_path):
    params, _ = _mlp_trees()
    prefix = convert.to_checkpoint(params, None, tmp_path / "ckpt-1")
    with convert.open_checkpoint(tmp_path) as checkpoint:
        assert checkpoint.path == prefix
    convert.to_checkpoint(params, None, tmp_path / "other" / "ckpt-1", update_state_file=False)
    assert sorted(os.listdir(tmp_path / "other")) == ["ckpt-1.data-00000-of-00001", "ckpt-1.index"]


def test_a_float_array_is_cast_to_the_template_dtype(tmp_path, template):
    params, state = _mlp_trees()
    params["mlp/~/linear_0"]["w"] = params["mlp/~/linear_0"]["w"].astype(jnp.bfloat16)
    prefix = convert.to_checkpoint(params, state, tmp_path / "t", template=template)
    with convert.open_checkpoint(prefix) as checkpoint:
        assert checkpoint.read("mlp/linear_0/w").dtype == np.float32


def test_every_misfit_is_listed_in_one_error(tmp_path, template):
    params, state = _mlp_trees()
    del params["mlp/~/linear_1"]["b"]
    params["mlp/~/linear_0"]["w"] = np.zeros((4, 5), np.float32)
    params["extra"] = {"w": np.zeros(2, np.float32)}
    state["bn/~/mean_ema"]["counter"] = np.float32(0.5)
    with pytest.raises(ValueError, match="4 problems") as raised:
        convert.to_checkpoint(params, state, tmp_path / "t", template=template)
    message = str(raised.value)
    assert "missing params['mlp/~/linear_1']['b'] for template key 'mlp/linear_1/b'" in message
    assert "'mlp/linear_0/w'): expected shape (5, 4), got (4, 5)" in message
    assert "unexpected params['extra']['w'] (shape (2,), float32)" in message
    assert "expected dtype int64, got float32" in message
    assert not (tmp_path / "t.index").exists()


def test_a_long_list_of_misfits_is_cut_short(tmp_path, template):
    params = {f"extra_{i}": {"w": np.zeros(1)} for i in range(25)}
    with pytest.raises(ValueError, match=r"(?s)\(25 problems\).*\.\.\. and 5 more"):
        convert.to_checkpoint(
            {**_mlp_trees()[0], **params}, _mlp_trees()[1], tmp_path / "t", template=template
        )


def test_one_place_in_both_trees_is_refused(tmp_path):
    params, _ = _mlp_trees()
    with pytest.raises(ValueError, match=r"params and state both hold \['mlp/~/linear_0'\]\['w'\]"):
        convert.to_checkpoint(params, {"mlp/~/linear_0": {"w": 1.0}}, tmp_path / "t")


def test_two_places_naming_one_variable_are_refused(tmp_path):
    params = {"a/~/b": {"w": np.zeros(1)}, "a/b": {"w": np.zeros(1)}}
    with pytest.raises(ValueError, match="names the TF variable 'a/b/w', as another entry does"):
        convert.to_checkpoint(params, None, tmp_path / "t")


def test_an_existing_checkpoint_is_kept_without_overwrite(tmp_path, template):
    params, state = _mlp_trees()
    before = (tmp_path / "template" / "ckpt-1.index").read_bytes()
    with pytest.raises(convert.OutputError, match="already exists; pass overwrite=True"):
        convert.to_checkpoint(params, state, template)
    assert (tmp_path / "template" / "ckpt-1.index").read_bytes() == before
    params["mlp/~/linear_0"]["b"] = np.full(4, 2.0, np.float32)
    convert.to_checkpoint(params, state, template, template=template, overwrite=True)
    with convert.open_checkpoint(template) as checkpoint:
        assert checkpoint.read("mlp/linear_0/b").tolist() == [2.0] * 4


def test_a_failure_while_writing_leaves_no_files(tmp_path):
    params = {"a": {"w": np.zeros(2, np.float32), "z": np.array(["text"])}}
    with pytest.raises(convert.UnsupportedError, match="a/z: dtype <U4 has no TensorFlow"):
        convert.to_checkpoint(params, None, tmp_path / "ckpt-1")
    assert os.listdir(tmp_path) == []


def test_a_directory_that_cannot_be_made_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(convert.OutputError, match="cannot create the directory"):
        convert.to_checkpoint(_mlp_trees()[0], None, tmp_path / "file" / "ckpt-1")


def test_a_string_tensor_must_hold_bytes():
    with pytest.raises(convert.UnsupportedError, match=r"must hold bytes; found \['str'\]"):
        bundle.encode(np.array(["x"], dtype=object), "key")


def test_table_keys_must_be_sorted():
    with pytest.raises(ValueError, match="sorted and distinct: b'b' >= b'a'"):
        table.encode([(b"b", b""), (b"a", b"")])


@pytest.mark.parametrize("refused", [".data-00000-of-00001", ".index"])
def test_a_failed_rename_leaves_no_files(tmp_path, monkeypatch, refused):
    replace = os.replace

    def refuse(source, target):
        # Staging writes (to hidden names) go through; the chosen rename into place fails.
        if target.endswith(refused) and not os.path.basename(target).startswith("."):
            raise PermissionError(13, "Permission denied")
        replace(source, target)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(convert.OutputError, match=f"ckpt-1{re.escape(refused)}: cannot rename"):
        convert.to_checkpoint(_mlp_trees()[0], None, tmp_path / "ckpt-1")
    assert os.listdir(tmp_path) == []


def test_tf_reads_every_dtype_as_written(tf_sonnet, tmp_path):
    tf, _ = tf_sonnet
    rng = np.random.default_rng(0)
    values = {
        name: rng.normal(size=(2, 3)).astype(dtype)
        for name, dtype in [("f32", np.float32), ("f64", np.float64), ("f16", np.float16),
                            ("bf16", jnp.bfloat16), ("c64", np.complex64)]
    }  # fmt: skip
    values |= {
        "i8": np.arange(-3, 3, dtype=np.int8),
        "u16": np.arange(6, dtype=np.uint16),
        "i64": np.array([2**40, -1]),
        "i32": np.array([7, -7], np.int32),
        "flags": np.array([True, False, True]),
        "empty": np.zeros((0, 4), np.float32),
        "text": np.array([b"", b"sonnax", b"\xff\x00"], dtype=object),
    }
    prefix = convert.to_checkpoint({"m": values}, None, tmp_path / "ckpt-1")
    reader = tf.train.load_checkpoint(prefix)
    with convert.open_checkpoint(prefix) as checkpoint:
        for name, value in values.items():
            for read in (reader.get_tensor(f"m/{name}"), checkpoint.read(f"m/{name}")):
                assert read.shape == value.shape, name
                np.testing.assert_array_equal(read, value, err_msg=name)
    dtypes = reader.get_variable_to_dtype_map()
    assert (dtypes["m/bf16"], dtypes["m/i8"], dtypes["m/u16"]) == (tf.bfloat16, tf.int8, tf.uint16)
    assert dtypes["m/i32"] == tf.int64  # JAX's int32 for TF's int64 (counters, steps).
