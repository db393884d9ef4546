"""Haiku 0.0.17's README (quickstart and user manual), run with `import sonnax as hk`.

Each snippet is written as in the README inside a function taking the library as `hk`, so
the same text runs with sonnax and, as the oracle, with dm-haiku. Deviations from the
README text: `jax.tree_multimap` is `jax.tree.map`, `input_dataset` is a small synthetic
dataset, and the pmap example's `hk.nets.MLP([8, 4, 2])` is written out with `hk.Sequential`.
"""

import itertools

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax

NUM_DEVICES = 8
NUM_CLASSES = 10
FEATURES = 64


def input_dataset(batch_size=32, seed=0):
    """Endless batches of a learnable problem: labels are a fixed linear function of images."""
    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=[FEATURES, NUM_CLASSES])
    while True:
        images = rng.normal(size=[batch_size, FEATURES]).astype(np.float32)
        yield images, np.argmax(images @ teacher, axis=-1)


def softmax_cross_entropy(logits, labels):
    one_hot = jax.nn.one_hot(labels, logits.shape[-1])
    return -jnp.sum(jax.nn.log_softmax(logits) * one_hot, axis=-1)


def quickstart(hk):
    def loss_fn(images, labels):
        mlp = hk.Sequential(
            [
                hk.Linear(300),
                jax.nn.relu,
                hk.Linear(100),
                jax.nn.relu,
                hk.Linear(10),
            ]
        )
        logits = mlp(images)
        return jnp.mean(softmax_cross_entropy(logits, labels))

    loss_fn_t = hk.transform(loss_fn)
    loss_fn_t = hk.without_apply_rng(loss_fn_t)
    return loss_fn_t


def update_rule(param, update):
    return param - 0.01 * update


def train(loss_fn_t, num_steps):
    dataset = input_dataset()
    rng = jax.random.PRNGKey(42)
    dummy_images, dummy_labels = next(dataset)
    params = loss_fn_t.init(rng, dummy_images, dummy_labels)
    grad_fn = jax.jit(jax.grad(loss_fn_t.apply))  # The README calls jax.grad eagerly.
    for images, labels in itertools.islice(dataset, num_steps):
        grads = grad_fn(params, images, labels)
        params = jax.tree.map(update_rule, params, grads)
    return params, (dummy_images, dummy_labels)


def assert_trees_close(actual, expected, rtol=1e-5, atol=1e-6):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(
        lambda a, e: np.testing.assert_allclose(a, e, rtol=rtol, atol=atol), actual, expected
    )


def test_quickstart_init_matches_haiku():
    images, labels = next(input_dataset())
    rng = jax.random.PRNGKey(42)
    params = quickstart(sonnax).init(rng, images, labels)
    assert jax.tree.map(jnp.shape, params) == {
        "linear": {"b": (300,), "w": (FEATURES, 300)},
        "linear_1": {"b": (100,), "w": (300, 100)},
        "linear_2": {"b": (10,), "w": (100, 10)},
    }
    assert_trees_close(params, quickstart(haiku).init(rng, images, labels), rtol=0, atol=0)


def test_quickstart_apply_and_grad_match_haiku():
    images, labels = next(input_dataset())
    params = quickstart(haiku).init(jax.random.PRNGKey(42), images, labels)
    ours, theirs = quickstart(sonnax), quickstart(haiku)
    np.testing.assert_allclose(
        ours.apply(params, images, labels), theirs.apply(params, images, labels), rtol=1e-6
    )
    assert_trees_close(
        jax.grad(ours.apply)(params, images, labels), jax.grad(theirs.apply)(params, images, labels)
    )


def test_quickstart_training_loop():
    loss_fn_t = quickstart(sonnax)
    initial = loss_fn_t.init(jax.random.PRNGKey(42), *next(input_dataset()))
    params, (images, labels) = train(loss_fn_t, num_steps=20)
    assert loss_fn_t.apply(params, images, labels) < loss_fn_t.apply(initial, images, labels)
    expected, _ = train(quickstart(haiku), num_steps=20)
    assert_trees_close(params, expected, rtol=1e-4, atol=1e-5)


def define_my_linear(hk):
    class MyLinear(hk.Module):
        def __init__(self, output_size, name=None):
            super().__init__(name=name)
            self.output_size = output_size

        def __call__(self, x):
            j, k = x.shape[-1], self.output_size
            w_init = hk.initializers.TruncatedNormal(1.0 / np.sqrt(j))
            w = hk.get_parameter("w", shape=[j, k], dtype=x.dtype, init=w_init)
            b = hk.get_parameter("b", shape=[k], dtype=x.dtype, init=jnp.zeros)
            return jnp.dot(x, w) + b

    return MyLinear


def my_linear_readme(hk):
    MyLinear = define_my_linear(hk)

    def forward_fn(x):
        model = MyLinear(10)
        return model(x)

    forward = hk.transform(forward_fn)
    x = jnp.ones([1, 1])
    key = hk.PRNGSequence(42)
    params = forward.init(next(key), x)
    y = forward.apply(params, None, x)
    return params, y


def test_my_linear_matches_haiku():
    params, y = my_linear_readme(sonnax)
    expected_params, expected_y = my_linear_readme(haiku)
    assert jax.tree.map(jnp.shape, params) == {"my_linear": {"b": (10,), "w": (1, 10)}}
    assert_trees_close(params, expected_params, rtol=0, atol=0)
    np.testing.assert_array_equal(y, expected_y)


@pytest.mark.parametrize(
    "seed", [pytest.param(42, id="int"), pytest.param(jax.random.PRNGKey(42), id="key")]
)
def test_prng_sequence_matches_haiku(seed):
    ours, theirs = sonnax.PRNGSequence(seed), haiku.PRNGSequence(seed)
    for _ in range(3):
        np.testing.assert_array_equal(next(ours), next(theirs))
    np.testing.assert_array_equal(jnp.stack(ours.take(2)), jnp.stack(theirs.take(2)))


def my_dropout_readme(hk):
    class MyDropout(hk.Module):
        def __init__(self, rate=0.5, name=None):
            super().__init__(name=name)
            self.rate = rate

        def __call__(self, x):
            key = hk.next_rng_key()
            p = jax.random.bernoulli(key, 1.0 - self.rate, shape=x.shape)
            return x * p / (1.0 - self.rate)

    forward = hk.transform(lambda x: MyDropout()(x))
    x = jnp.ones([4, 8])
    key1, key2 = jax.random.split(jax.random.PRNGKey(42), 2)
    params = forward.init(key1, x)
    prediction = forward.apply(params, key2, x)
    return forward, params, prediction


def test_stochastic_model_matches_haiku():
    forward, params, prediction = my_dropout_readme(sonnax)
    _, expected_params, expected_prediction = my_dropout_readme(haiku)
    assert params == expected_params == {}
    np.testing.assert_array_equal(prediction, expected_prediction)
    assert set(np.unique(prediction).tolist()) == {0.0, 2.0}
    with pytest.raises(ValueError, match="You must pass a non-None PRNGKey"):
        forward.apply(params, None, jnp.ones([4, 8]))


def test_forgetting_transform_with_state_gives_a_clear_error():
    def forward(x):
        count = sonnax.get_state("count", [], jnp.int32, init=jnp.zeros)
        sonnax.set_state("count", count + 1)
        return x

    with pytest.raises(ValueError, match="with `hk.transform_with_state`"):
        sonnax.transform(forward).init(None, jnp.ones([1]))
    params, state = sonnax.transform_with_state(forward).init(None, jnp.ones([1]))
    _, state = sonnax.transform_with_state(forward).apply(params, state, None, jnp.ones([1]))
    assert int(state["~"]["count"]) == 1


def pmap_readme(hk, num_steps):
    def loss_fn(inputs, labels):
        logits = hk.Sequential(
            [hk.Linear(8), jax.nn.relu, hk.Linear(4), jax.nn.relu, hk.Linear(NUM_CLASSES)]
        )(inputs)
        return jnp.mean(softmax_cross_entropy(logits, labels))

    loss_fn_t = hk.transform(loss_fn)
    loss_fn_t = hk.without_apply_rng(loss_fn_t)

    dataset = input_dataset(batch_size=16)
    rng = jax.random.PRNGKey(428)
    sample_image, sample_label = next(dataset)
    params = loss_fn_t.init(rng, sample_image, sample_label)

    num_devices = jax.local_device_count()
    params = jax.tree.map(lambda x: np.stack([x] * num_devices), params)

    def make_superbatch():
        superbatch = [next(dataset) for _ in range(num_devices)]
        superbatch_images, superbatch_labels = zip(*superbatch, strict=True)
        return np.stack(superbatch_images), np.stack(superbatch_labels)

    def update(params, inputs, labels, axis_name="i"):
        loss, grads = jax.value_and_grad(loss_fn_t.apply)(params, inputs, labels)
        grads = jax.lax.pmean(grads, axis_name)
        new_params = jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)
        return new_params, jax.lax.pmean(loss, axis_name)

    p_update = jax.pmap(update, axis_name="i")
    losses = []
    for _ in range(num_steps):
        superbatch_images, superbatch_labels = make_superbatch()
        params, loss = p_update(params, superbatch_images, superbatch_labels)
        losses.append(float(loss[0]))
    return params, losses


def test_pmap_data_parallel_training():
    assert jax.local_device_count() == NUM_DEVICES
    params, losses = pmap_readme(sonnax, num_steps=10)
    for leaf in jax.tree.leaves(params):
        assert leaf.shape[0] == NUM_DEVICES
        for replica in leaf[1:]:
            np.testing.assert_array_equal(replica, leaf[0])
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    expected_params, expected_losses = pmap_readme(haiku, num_steps=10)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-4)
    assert_trees_close(params, expected_params, rtol=1e-4, atol=1e-5)
