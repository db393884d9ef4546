"""Compat ResNet and Cifar10ConvNet: Sonnet's signatures, names and errors."""

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet

import sonnax
from sonnax import compat

CLASSES = [
    ("ResNet", compat.nets.ResNet, sonnet.nets.ResNet),
    ("ResNet50", compat.nets.ResNet50, sonnet.nets.ResNet50),
    ("Cifar10ConvNet", compat.nets.Cifar10ConvNet, sonnet.nets.Cifar10ConvNet),
    ("BlockGroup", compat.nets.resnet.BlockGroup, sonnet.nets.resnet.BlockGroup),
    (
        "BottleNeckBlockV1",
        compat.nets.resnet.BottleNeckBlockV1,
        sonnet.nets.resnet.BottleNeckBlockV1,
    ),
    (
        "BottleNeckBlockV2",
        compat.nets.resnet.BottleNeckBlockV2,
        sonnet.nets.resnet.BottleNeckBlockV2,
    ),
]


def _unwrapped(method):
    """Sonnet's own method: its name-scope wrapper hides the signature (`*args, **kwargs`)."""
    return inspect.getclosurevars(method).nonlocals.get("f", method)


def _signature(function):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(("name", "ours", "theirs"), CLASSES, ids=[c[0] for c in CLASSES])
def test_signatures_are_sonnets(name, ours, theirs):
    for method in ("__init__", "__call__"):
        assert _signature(getattr(ours, method)) == _signature(
            _unwrapped(getattr(theirs, method))
        ), f"{name}.{method}"


def test_public_names_are_sonnets():
    assert sorted(compat.nets.__all__) == sorted(sonnet.nets.__all__)
    assert sorted(compat.nets.resnet.__all__) == sorted(sonnet.nets.resnet.__all__)


def _init(f, *args):
    return sonnax.transform_with_state(f).init(jax.random.PRNGKey(0), *args)


@pytest.mark.parametrize("argument", ["blocks_per_group_list", "channels_per_group_list"])
def test_resnet_lists_must_have_length_4(argument):
    kwargs = {"blocks_per_group_list": [1, 1, 1, 1], argument: [1, 1, 1]}

    def f():
        compat.nets.ResNet(num_classes=2, **kwargs)

    with pytest.raises(ValueError, match=f"`{argument}` must be of length 4 not 3"):
        _init(f)


def test_convnet_strides_must_match_output_channels():
    def f():
        compat.nets.Cifar10ConvNet(output_channels=(4, 4), strides=(1,))

    with pytest.raises(ValueError, match="must be equal: got 2 output channels and 1 strides"):
        _init(f)


def test_resnet50_default_name_is_sonnets():
    names = []

    def f():
        names.append(compat.nets.ResNet50(num_classes=2).name)

    _init(f)
    assert names == [sonnet.nets.ResNet50(num_classes=2).name]


def test_convnet_returns_logits_and_every_activation():
    def f(x):
        net = compat.nets.Cifar10ConvNet(num_classes=3, output_channels=(4, 6), strides=(1, 2))
        return net(x, is_training=True)

    out, _ = sonnax.transform_with_state(f).apply(
        *_init(f, jnp.ones([2, 8, 8, 3])), None, jnp.ones([2, 8, 8, 3])
    )
    assert out["logits"].shape == (2, 3)
    assert [a.shape for a in out["activations"]] == [(2, 8, 8, 4), (2, 4, 4, 6), (2, 6)]
