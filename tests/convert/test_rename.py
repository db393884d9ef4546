"""Tests for sonnax/convert/_mapping/rename.py: Sonnet 1 / TF1 name-based checkpoints.

The checkpoints are made here with `tf.compat.v1` in graph mode, named as Sonnet 1 named its
variables (variable scopes `mlp/linear_0/w`) and with the `kernel` / `bias` names TF1's layers give
(`conv_net_2d/conv_2d_0/kernel`), saved by `tf.compat.v1.train.Saver`; TF's outputs, computed
in the same session, are the oracle.
"""

import jax
import numpy as np
import pytest
import tensorflow as tf

import sonnax
import sonnax.convert
from sonnax import compat
from sonnax.convert import __main__ as cli
from sonnax.convert._mapping import rename

tf.config.experimental.enable_tensor_float_32_execution(False)
v1 = tf.compat.v1
MLP_INPUT = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
CONV_INPUT = np.random.default_rng(1).standard_normal((2, 8, 8, 3)).astype(np.float32)
CONV_RULES = [
    (r"^conv_net_2d/conv_2d_(\d+)/", r"conv_\1/"),
    (r"^conv_net_2d/logits/", "logits/"),
    (r"/kernel$", "/w"),
    (r"/bias$", "/b"),
]
CONV_FLAGS = [f"--rename={regex}={replacement}" for regex, replacement in CONV_RULES]


@pytest.fixture(autouse=True)
def _highest_matmul_precision():
    with jax.default_matmul_precision("highest"):
        yield


def _normal():
    return v1.random_normal_initializer(stddev=0.5, seed=3)


def _tf1_mlp(x):
    """Sonnet 1's MLP naming (`mlp/linear_<i>/{w,b}`), under an outer `encoder` scope."""
    with v1.variable_scope("encoder"), v1.variable_scope("mlp"):
        for index, size in enumerate([5, 4]):
            with v1.variable_scope(f"linear_{index}"):
                w = v1.get_variable("w", [x.shape[-1], size], initializer=_normal())
                b = v1.get_variable("b", [size], initializer=_normal())
            x = tf.matmul(x, w) + b
            x = tf.nn.relu(x) if index == 0 else x
    v1.train.get_or_create_global_step()
    return x


def _tf1_convnet(x):
    """Sonnet 1's ConvNet2D scope names, with the `kernel` / `bias` names of TF1's layers."""
    with v1.variable_scope("conv_net_2d"):
        for index, (channels, stride) in enumerate([(4, 1), (6, 2)]):
            with v1.variable_scope(f"conv_2d_{index}"):
                shape = [3, 3, x.shape[-1], channels]
                kernel = v1.get_variable("kernel", shape, initializer=_normal())
                bias = v1.get_variable("bias", [channels], initializer=_normal())
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, stride, "SAME") + bias)
        x = tf.reshape(x, [x.shape[0], -1])
        with v1.variable_scope("logits"):
            kernel = v1.get_variable("kernel", [x.shape[-1], 3], initializer=_normal())
            bias = v1.get_variable("bias", [3], initializer=_normal())
        return tf.matmul(x, kernel) + bias


def _save_tf1(tmp_path, build, inputs, name):
    """Builds `build` in a graph, runs it once and saves it; returns the prefix and output."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, inputs.shape)
        y = build(x)
        saver = v1.train.Saver()
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            out = session.run(y, {x: inputs})
            prefix = saver.save(session, str(tmp_path / name))
    return prefix, out


@pytest.fixture(scope="module")
def mlp_checkpoint(tmp_path_factory):
    return _save_tf1(tmp_path_factory.mktemp("tf1"), _tf1_mlp, MLP_INPUT, "mlp")


@pytest.fixture(scope="module")
def conv_checkpoint(tmp_path_factory):
    return _save_tf1(tmp_path_factory.mktemp("tf1"), _tf1_convnet, CONV_INPUT, "convnet")


def _compat_mlp(x):
    return compat.nets.MLP([5, 4])(x)


def _compat_convnet(x):
    net = compat.Sequential(
        [
            compat.Conv2D(4, 3, name="conv_0"),
            jax.nn.relu,
            compat.Conv2D(6, 3, stride=2, name="conv_1"),
            jax.nn.relu,
            compat.Flatten(),
            compat.Linear(3, name="logits"),
        ]
    )
    return net(x)


def _apply(forward, params, x):
    transformed = sonnax.transform(forward)
    restored = sonnax.convert.restore(params, transformed, x)
    return np.asarray(transformed.apply(restored, None, x))


def test_a_sonnet1_mlp_loads_with_a_prefix_rename(mlp_checkpoint):
    prefix, expected = mlp_checkpoint
    params, state = sonnax.convert.from_checkpoint(prefix, rename=[(r"^encoder/", "")])
    assert sorted(params) == ["mlp/~/linear_0", "mlp/~/linear_1"]
    assert sorted(state["~"]) == ["global_step"]  # TF1's step, by the state rules
    np.testing.assert_allclose(
        _apply(_compat_mlp, params, MLP_INPUT), expected, rtol=1e-5, atol=1e-6
    )


def test_a_tf1_layers_convnet_loads_with_the_rename_rules(conv_checkpoint):
    prefix, expected = conv_checkpoint
    params, _ = sonnax.convert.from_checkpoint(prefix, rename=CONV_RULES)
    assert sorted(params) == ["conv_0", "conv_1", "logits"]
    assert sorted(params["conv_0"]) == ["b", "w"]
    out = _apply(_compat_convnet, params, CONV_INPUT)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_without_the_rules_restore_names_what_does_not_fit(conv_checkpoint):
    params, _ = sonnax.convert.from_checkpoint(conv_checkpoint[0])
    with pytest.raises(
        sonnax.convert.MismatchError, match=r"conv_net_2d/~/conv_2d_0'\]\['kernel'\]"
    ):
        _apply(_compat_convnet, params, CONV_INPUT)


def test_the_cli_renames(tmp_path, conv_checkpoint, capsys):
    prefix, expected = conv_checkpoint
    out = tmp_path / "convnet.npz"
    assert cli.main([prefix, str(out), "--quiet", *CONV_FLAGS]) == 0
    params, _ = sonnax.convert.load(out)
    np.testing.assert_allclose(
        _apply(_compat_convnet, params, CONV_INPUT), expected, rtol=1e-5, atol=1e-6
    )


def test_the_cli_rejects_a_bad_rule(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["ckpt", "out.npz", "--rename", "no-equals-sign"])
    assert caught.value.code == 2
    assert "expected REGEX=REPLACEMENT" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["ckpt", "out.npz", "--rename", r"^a=\1"])
    assert "invalid group reference 1" in capsys.readouterr().err


def test_rename_keeps_the_output_suffix_and_applies_rules_in_order():
    rules = rename.compile_rules([(r"^a/", "b/"), (r"^b/", "c/")])
    assert rename.rename("a/w:0", rules) == "c/w:0"
    assert rename.rename("a/w", rules) == "c/w"


@pytest.mark.parametrize(
    ("rules", "match"),
    [
        (["ab"], r"rename rule 0 is 'ab'; expected a \(regex, replacement\) pair"),
        ([("(", "")], r"rename rule 0 \('\(' -> ''\) is invalid: missing \)"),
        ([("a", "b"), ("a", r"\2")], r"rename rule 1 .* invalid group reference 2"),
        ([("(?P<x>a)", r"\g<y>")], r"unknown group name 'y'"),
    ],
    ids=["not-a-pair", "bad-regex", "bad-group-number", "bad-group-name"],
)
def test_invalid_rules_are_refused(rules, match):
    with pytest.raises(ValueError, match=match):
        rename.compile_rules(rules)


def test_a_rule_that_empties_a_name_is_refused(mlp_checkpoint):
    with pytest.raises(ValueError, match=r"turn variable 'global_step' .* into ''"):
        sonnax.convert.from_checkpoint(mlp_checkpoint[0], rename=[(r"^global_step$", "")])
