"""A sonnax model inside Keras 3: `apply` wrapped in `keras.layers.JaxLayer`, trained by `fit`.

`JaxLayer` calls `call_fn(params, state, rng, inputs, training)`, recognising the arguments by
name; that is exactly the signature of `snx.transform_with_state(f).apply` when `f` takes
`(inputs, training)`, so `apply` is passed as it is, with the params and state from `init`.
Keras then owns the training loop: params become trainable weights, the BatchNorm moving
averages non-trainable ones, and a fresh rng reaches the dropout at every step. After each
epoch a callback saves params, state and the Keras optimizer's variables with
`sonnax.convert.save`; `--restore` puts the saved values back and carries on from that epoch.
The data are scikit-learn's bundled 8x8 digits.
Run: `python examples/keras_interop.py` (15 epochs by default: about 99% test accuracy).
"""

import os

# Keras picks its backend when first imported; JaxLayer needs JAX's.
os.environ["KERAS_BACKEND"] = "jax"

import checkpointing  # noqa: E402
import digits  # noqa: E402
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tqdm  # noqa: E402
from absl import app, flags  # noqa: E402

import sonnax as snx  # noqa: E402

_EPOCHS = flags.DEFINE_integer("epochs", 15, "Total number of passes over the training set.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 50, "Images per training step.")
_HIDDEN_SIZE = flags.DEFINE_integer("hidden_size", 256, "Width of the hidden layer.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/sonnax_keras", "Where checkpoints are written.")
_RESTORE = flags.DEFINE_bool("restore", False, "Resume from the checkpoint in --workdir.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for the initial params and dropout.")


def classifier(inputs: jax.Array, training: bool) -> jax.Array:
    """Digit logits; argument names as `JaxLayer` expects them."""
    x = snx.Linear(_HIDDEN_SIZE.value)(snx.Flatten()(inputs))
    x = snx.BatchNorm(create_scale=True, create_offset=True, decay_rate=0.9)(x, training)
    x = jax.nn.relu(x)
    if training:
        x = snx.dropout(snx.next_rng_key(), 0.2, x)
    return snx.Linear(10)(x)


def as_numpy(tree):
    return jax.tree.map(lambda v: np.asarray(keras.ops.convert_to_numpy(v)), tree)


class Progress(keras.callbacks.Callback):
    """A tqdm bar over all training steps, a log line and a checkpoint after every epoch."""

    def __init__(self, layer: keras.layers.JaxLayer, steps_per_epoch: int, initial_epoch: int):
        super().__init__()
        self.layer = layer
        self.bar = tqdm.tqdm(
            total=_EPOCHS.value * steps_per_epoch, initial=initial_epoch * steps_per_epoch
        )

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        tqdm.tqdm.write(
            f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}  "
            f"test_accuracy {logs['val_accuracy']:.4f}"
        )
        optimizer_variables = as_numpy(list(self.model.optimizer.variables))
        params, state = as_numpy(self.layer.params), as_numpy(self.layer.state)
        checkpointing.save(_WORKDIR.value, epoch + 1, params, state, optimizer_variables)

    def on_train_end(self, logs=None):
        self.bar.close()


def build(train: digits.Split) -> tuple[keras.Model, keras.layers.JaxLayer, int]:
    """The Keras model around the sonnax classifier, fresh or restored; and its first epoch."""
    model_fn = snx.transform_with_state(classifier)
    # `JaxLayer(model_fn.apply, init_fn=model_fn.init)` would initialise when Keras builds the
    # model; initialising here instead gives weights that a restored run can overwrite.
    init = jax.jit(model_fn.init, static_argnames="training")
    params, state = init(jax.random.PRNGKey(_SEED.value), train.images[:1], training=True)
    layer = keras.layers.JaxLayer(model_fn.apply, params=params, state=state, seed=_SEED.value)
    model = keras.Sequential([keras.Input(train.images.shape[1:]), layer])
    model.compile(
        optimizer=keras.optimizers.Adam(_LEARNING_RATE.value),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    if not _RESTORE.value:
        return model, layer, 0
    # Keras makes the optimizer's variables when it is built, from the model's weights.
    model.optimizer.build(model.trainable_variables)
    optimizer_variables = list(model.optimizer.variables)
    saved = checkpointing.restore(_WORKDIR.value, params, state, optimizer_variables)
    restored = zip(
        (layer.params, layer.state, optimizer_variables),
        (saved.params, saved.state, saved.opt_state),
        strict=True,
    )
    for variables, values in restored:
        jax.tree.map(lambda variable, value: variable.assign(value), variables, values)
    print(f"restored epoch {saved.step} from {checkpointing.path(_WORKDIR.value)}")
    return model, layer, saved.step


def main(argv: list[str]) -> None:
    del argv
    train, test = digits.load()
    model, layer, initial_epoch = build(train)
    steps_per_epoch = -(-len(train.images) // _BATCH_SIZE.value)
    history = model.fit(
        train.images,
        train.labels,
        batch_size=_BATCH_SIZE.value,
        epochs=_EPOCHS.value,
        initial_epoch=initial_epoch,
        validation_data=(test.images, test.labels),
        callbacks=[Progress(layer, steps_per_epoch, initial_epoch)],
        verbose=0,
    )
    # The last epoch's validation pass measured the final model; evaluate only if none ran.
    measured = history.history.get("val_accuracy")
    accuracy = measured[-1] if measured else model.evaluate(test.images, test.labels, verbose=0)[1]
    print(f"final test_accuracy {accuracy:.4f} ({_EPOCHS.value} epochs)")


if __name__ == "__main__":
    app.run(main)
