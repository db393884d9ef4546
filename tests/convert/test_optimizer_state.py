"""`optimizer_state`: after converting a Sonnet optimizer's state, one optax step equals TF's."""

import dataclasses
import pathlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sonnax import convert
from sonnax.convert.__main__ import main

LEARNING_RATE = 0.05


@dataclasses.dataclass(frozen=True)
class Config:
    name: str
    optimizer: str
    hyperparameters: dict[str, Any]


CONFIGS = [
    Config("sgd", "sgd", {}),
    Config("momentum", "momentum", {"momentum": 0.9}),
    Config("nesterov", "momentum", {"momentum": 0.8, "use_nesterov": True}),
    Config("adam", "adam", {"beta1": 0.8, "beta2": 0.95, "epsilon": 1e-7}),
    Config("rmsprop", "rmsprop", {"decay": 0.8}),
    Config("rmsprop_centered_momentum", "rmsprop", {"momentum": 0.5, "centered": True}),
]
_SONNET_CLASS = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam", "rmsprop": "RMSProp"}


@pytest.fixture(scope="module")
def tf() -> Any:
    import tensorflow  # noqa: PLC0415 - TensorFlow only in the tests that compare with it.

    tensorflow.config.experimental.enable_tensor_float_32_execution(False)
    return tensorflow


class Trained:
    """A TF Sonnet MLP + Conv2D trained for 3 steps, saved, then given a 4th step."""

    def __init__(self, tf: Any, config: Config, out: pathlib.Path):
        import sonnet as snt  # noqa: PLC0415

        self.tf, self.config = tf, config
        self.conv, self.mlp = snt.Conv2D(2, 3), snt.nets.MLP([3, 2])
        cls = getattr(snt.optimizers, _SONNET_CLASS[config.optimizer])
        self.optimizer = cls(LEARNING_RATE, **config.hyperparameters)
        rng = np.random.default_rng(0)
        self.batches = [rng.standard_normal((2, 4, 4, 1)).astype(np.float32) for _ in range(4)]
        for batch in self.batches[:3]:
            self.optimizer.apply(self.gradients(batch), self.variables)
        self.prefix = tf.train.Checkpoint(
            model=self.mlp, conv=self.conv, optimizer=self.optimizer
        ).write(str(out / config.name / "ckpt"))
        self.next_gradients = {
            convert.split_name(v.name): g.numpy()
            for v, g in zip(self.variables, self.gradients(self.batches[3]), strict=True)
        }
        self.optimizer.apply(self.gradients(self.batches[3]), self.variables)
        self.after = {convert.split_name(v.name): v.numpy() for v in self.variables}

    @property
    def variables(self) -> list[Any]:
        return list(self.conv.trainable_variables + self.mlp.trainable_variables)

    def gradients(self, batch: np.ndarray) -> list[Any]:
        with self.tf.GradientTape() as tape:
            hidden = self.tf.reshape(self.tf.nn.relu(self.conv(batch)), [2, -1])
            loss = self.tf.reduce_sum(self.mlp(hidden) ** 2)
        return tape.gradient(loss, self.variables)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
def test_one_optax_step_equals_tf_sonnets_next_step(
    tf: Any, tmp_path: pathlib.Path, config: Config
) -> None:
    import optax  # noqa: PLC0415

    trained = Trained(tf, config, tmp_path)
    with convert.open_checkpoint(trained.prefix) as checkpoint:
        params = convert.to_params(checkpoint).params
        state = convert.optimizer_state(checkpoint, params, config.optimizer)
    tx = convert.optax_optimizer(config.optimizer, LEARNING_RATE, **config.hyperparameters)
    assert str(jax.tree.structure(state)) == str(jax.tree.structure(tx.init(params)))
    gradients = {
        module: {name: trained.next_gradients[module, name] for name in names}
        for module, names in params.items()
    }
    updates, _ = tx.update(gradients, state, params)
    new = optax.apply_updates(params, updates)
    assert sorted((m, n) for m in new for n in new[m]) == sorted(trained.after)
    for (module, name), expected in trained.after.items():
        np.testing.assert_allclose(
            new[module][name], expected, rtol=1e-6, atol=1e-6, err_msg=f"{module}/{name}"
        )


def test_haiku_layout_state_steps_the_core_lstm_as_tf_steps_sonnets(
    tf: Any, tmp_path: pathlib.Path
) -> None:
    import optax  # noqa: PLC0415
    import sonnet as snt  # noqa: PLC0415

    import sonnax as snx  # noqa: PLC0415

    rng = np.random.default_rng(5)
    batches = [rng.standard_normal((3, 2, 4)).astype(np.float32) for _ in range(4)]
    lstm, adam = snt.LSTM(3, forget_bias=2.0), snt.optimizers.Adam(LEARNING_RATE)

    def tf_step(batch: np.ndarray) -> None:
        with tf.GradientTape() as tape:
            state, loss = lstm.initial_state(2), 0.0
            for inputs in batch:
                output, state = lstm(tf.constant(inputs), state)
                loss += tf.reduce_sum(output**2)
        adam.apply(tape.gradient(loss, lstm.trainable_variables), lstm.trainable_variables)

    for batch in batches[:3]:
        tf_step(batch)
    prefix = tf.train.Checkpoint(lstm=lstm, optimizer=adam).write(str(tmp_path / "ckpt"))
    tf_step(batches[3])
    expected, _ = convert.to_haiku_layout(
        {"lstm": {v.name.split("/")[1][:-2]: v.numpy() for v in lstm.variables}}
    )

    with convert.open_checkpoint(prefix) as checkpoint:
        compat = convert.to_params(checkpoint).params
        with pytest.raises(convert.UnsupportedError, match=r"layout='haiku' needs the model's"):
            convert.optimizer_state(checkpoint, compat, "adam", layout="haiku")
        state = convert.optimizer_state(checkpoint, compat, "adam", layout="haiku", state={})
    params, _ = convert.to_haiku_layout(compat)

    def loss(x: jax.Array) -> jax.Array:
        core = snx.LSTM(3)
        carry, total = core.initial_state(2), jnp.zeros(())
        for inputs in x:
            output, carry = core(inputs, carry)
            total += (output**2).sum()
        return total

    with jax.default_matmul_precision("highest"):
        gradients = jax.grad(snx.transform(loss).apply)(params, None, batches[3])
    updates, _ = convert.optax_optimizer("adam", LEARNING_RATE).update(gradients, state, params)
    new = optax.apply_updates(params, updates)
    for name in ("w", "b"):
        np.testing.assert_allclose(
            new["lstm/linear"][name], expected["lstm/linear"][name], rtol=1e-6, atol=1e-6
        )

    # The CLI writes the same params and optimizer state.
    out = tmp_path / "out.npz"
    assert (
        main([prefix, str(out), "--layout", "haiku", "--optimizer-state", "adam", "--quiet"]) == 0
    )
    written, _ = convert.load(out)
    loaded = convert.load_optimizer_state(tmp_path / "out.opt_state.npz", "adam")
    for got, want in ((written, params), (loaded, state)):
        assert str(jax.tree.structure(got)) == str(jax.tree.structure(want))
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
            np.testing.assert_array_equal(g, w)


def test_the_optimizer_state_file_round_trips(tf: Any, tmp_path: pathlib.Path) -> None:
    from sonnax.convert._mapping import optimizer_state  # noqa: PLC0415
    from sonnax.convert._write import optimizer_state as state_file  # noqa: PLC0415

    trained = Trained(tf, CONFIGS[-1], tmp_path)
    with convert.open_checkpoint(trained.prefix) as checkpoint:
        params = convert.to_params(checkpoint).params
        fields = optimizer_state.read_fields(checkpoint, params, "rmsprop")
        expected = convert.optimizer_state(checkpoint, params, "rmsprop")
    path = state_file.path_beside(tmp_path / "out.npz")
    assert path == str(tmp_path / "out.opt_state.npz")
    state_file.write_fields(path, fields, overwrite=False)
    got = convert.load_optimizer_state(path, "rmsprop")
    assert str(jax.tree.structure(got)) == str(jax.tree.structure(expected))
    for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_array_equal(g, e)
    with pytest.raises(
        convert.UnsupportedError,
        match=r"holds optax fields \['mu', 'nu', 'trace'\], but a 'adam' state has "
        r"\['count', 'mu', 'nu'\]; was it written for another optimizer\?",
    ):
        convert.load_optimizer_state(path, "adam")


def _adam_checkpoint(
    tf: Any, out: pathlib.Path, edit: Any = None, save_model: bool = True, **objects: Any
) -> tuple[str, Any]:
    """An MLP trained one step by Adam, `edit(adam)` applied before saving; `(prefix, mlp)`."""
    import sonnet as snt  # noqa: PLC0415

    mlp, adam = snt.nets.MLP([2]), snt.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(mlp(tf.ones([1, 3])) ** 2)
    adam.apply(tape.gradient(loss, mlp.trainable_variables), mlp.trainable_variables)
    if edit is not None:
        edit(adam)
    objects = {**({"model": mlp} if save_model else {}), "optimizer": adam, **objects}
    return tf.train.Checkpoint(**objects).write(str(out / "ckpt")), mlp


def _state(path: str, optimizer: str = "adam", params: Any = None, **kwargs: Any) -> Any:
    with convert.open_checkpoint(path) as checkpoint:
        if params is None:
            params = convert.to_params(checkpoint).params
        return convert.optimizer_state(checkpoint, params, optimizer, **kwargs)


def _step_renamed(adam: Any) -> None:
    adam.counter = adam.step
    del adam.step


def _reversed_m(adam: Any) -> None:
    adam.m = list(reversed(adam.m))


def _params(prefix: str) -> dict[str, dict[str, np.ndarray]]:
    with convert.open_checkpoint(prefix) as checkpoint:
        return convert.to_params(checkpoint).params


def _two_adams(tf: Any, out: pathlib.Path) -> str:
    import sonnet as snt  # noqa: PLC0415

    other, variable = snt.optimizers.Adam(0.1), tf.Variable([1.0], name="x")
    other.apply([tf.ones([1])], [variable])
    return _adam_checkpoint(tf, out, other=other, variable=variable)[0]


ERRORS: dict[str, tuple[Any, str]] = {
    "unknown_optimizer": (
        lambda tf, out: _state(_adam_checkpoint(tf, out)[0], "adagrad"),
        r"optimizer 'adagrad' is not supported; expected one of "
        r"\['adam', 'momentum', 'rmsprop', 'sgd'\]",
    ),
    "no_such_optimizer": (
        lambda tf, out: _state(_adam_checkpoint(tf, out)[0], "rmsprop"),
        r"expected one 'rmsprop' optimizer in the checkpoint, found none",
    ),
    "wrong_prefix": (
        lambda tf, out: _state(_adam_checkpoint(tf, out)[0], prefix="opt"),
        r"found \['optimizer'\].*Give its object path as `prefix` \(not 'opt'\)",
    ),
    "several_optimizers": (
        lambda tf, out: _state(_two_adams(tf, out)),
        r"expected one 'adam' optimizer in the checkpoint, found \['optimizer', 'other'\]",
    ),
    "slot_without_variable": (
        lambda tf, out: _state(_adam_checkpoint(tf, out, save_model=False)[0], params={}),
        r"slot 'optimizer/m/0' \(named 'adam/m/mlp/linear_0/b'\) must belong to one model "
        r"variable named like '<...>/m/<variable name>'; found none",
    ),
    "params_lack_variable": (
        lambda tf, out: _state(_adam_checkpoint(tf, out)[0], params={"other": {}}),
        r"belongs to params\['mlp/~/linear_0'\]\['b'\], which `params` lacks",
    ),
    "shape_mismatch": (
        lambda tf, out: _state(
            (p := _adam_checkpoint(tf, out)[0]),
            params={
                **_params(p),
                "mlp/~/linear_0": {"b": np.ones(5, np.float32), "w": np.ones((3, 2), np.float32)},
            },
        ),
        r"slot 'optimizer/m/0' has shape \(2,\) and dtype float32, but its parameter "
        r"params\['mlp/~/linear_0'\]\['b'\] has shape \(5,\)",
    ),
    "missing_list": (
        lambda tf, out: _state(_adam_checkpoint(tf, out, lambda adam: setattr(adam, "v", []))[0]),
        r"the 'adam' optimizer has no slot list \['v'\] \(found \['m'\]\)",
    ),
    "order_disagrees": (
        lambda tf, out: _state(_adam_checkpoint(tf, out, _reversed_m)[0]),
        r"slots 'optimizer/m/0' and 'optimizer/v/0' share list index 0 but belong to "
        r"params\['mlp/~/linear_0'\]\['w'\] and params\['mlp/~/linear_0'\]\['b'\]",
    ),
    "param_without_slot": (
        lambda tf, out: _state(
            (p := _adam_checkpoint(tf, out)[0]), params={**_params(p), "extra": {"w": np.ones(1)}}
        ),
        r"no 'adam' slot belongs to \[\"params\['extra'\]\['w'\]\"\]",
    ),
    "no_step": (
        lambda tf, out: _state(_adam_checkpoint(tf, out, _step_renamed)[0]),
        r"the 'adam' optimizer's step counter \('step'\) is not in the checkpoint",
    ),
    "step_too_large": (
        lambda tf, out: _state(_adam_checkpoint(tf, out, lambda adam: adam.step.assign(2**31))[0]),
        r"step counter 'optimizer/step' is array\(2147483648\); "
        r"expected a scalar in \[0, 2\*\*31\)",
    ),
    "unknown_layout": (
        lambda tf, out: _state(_adam_checkpoint(tf, out)[0], layout="flax"),
        r"optimizer_state: layout 'flax'; expected 'compat' or 'haiku'",
    ),
    "unknown_hyperparameter": (
        lambda tf, out: convert.optax_optimizer("adam", 0.1, b1=0.9),
        r"optax_optimizer: 'adam' takes no \['b1'\]; Sonnet's arguments are "
        r"\['beta1', 'beta2', 'epsilon'\]",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_name_the_slots(tf: Any, tmp_path: pathlib.Path, name: str) -> None:
    call, match = ERRORS[name]
    with pytest.raises(convert.UnsupportedError, match=match):
        call(tf, tmp_path)


def test_cli_optimizer_state_error_leaves_out_unwritten(
    tf: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix, _ = _adam_checkpoint(tf, tmp_path)
    out = tmp_path / "out.npz"
    assert main([prefix, str(out), "--optimizer-state", "rmsprop", "--quiet"]) == 5
    assert "expected one 'rmsprop' optimizer in the checkpoint" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "out.opt_state.npz").exists()
