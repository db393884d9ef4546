"""Tests for sonnax/convert/_mapping/: the name rule, params vs state, selection, dtype casts."""

import math
import re

import ml_dtypes
import numpy as np
import pytest

from sonnax.convert._mapping import dtypes, names
from sonnax.convert._read import checkpoint
from tests.convert import fixtures


def _info(
    name, kind="variable", trainable=None, object_path=None, dtype="float32", shape=(2,), key=None
):
    dtype = None if dtype is None else np.dtype(dtype)
    return checkpoint.TensorInfo(
        key=key or f"{object_path or name}/.ATTRIBUTES/VARIABLE_VALUE",
        name=name,
        object_path=object_path,
        kind=kind,
        trainable=trainable,
        dtype=dtype,
        shape=shape,
        nbytes=math.prod(shape) * (dtype.itemsize if dtype else 1),
    )


def _entries(*infos):
    return {info.key: info for info in infos}


def _plan(entries, **options):
    return names.plan(entries, names.Selection(**options))


def _places(plan):
    return {p.info.key: (p.collection, p.module, p.name) for p in plan.placements}


@pytest.mark.parametrize(
    "full_name, expected",
    [
        ("mlp/linear_0/w", ("mlp/~/linear_0", "w")),
        ("mlp/linear_0/w:0", ("mlp/~/linear_0", "w")),
        ("linear/b:0", ("linear", "b")),
        ("encoder/mlp/linear_1/b", ("encoder/~/mlp/~/linear_1", "b")),
        ("w:0", ("~", "w")),
        ("lstm/w_i:12", ("lstm", "w_i")),
    ],
)
def test_split_name(full_name, expected):
    assert names.split_name(full_name) == expected


@pytest.mark.parametrize(
    "name, trainable, kind, expected",
    [
        ("mlp/linear_0/w", None, "variable", "params"),
        ("batch_norm/scale", None, "variable", "params"),
        ("batch_norm/moving_mean/counter", None, "variable", "state"),
        ("batch_norm/moving_mean/hidden", None, "variable", "state"),
        ("batch_norm/moving_variance/average", None, "variable", "state"),
        ("bn/moving_mean", None, "variable", "state"),
        ("bn/moving_variance:0", None, "variable", "state"),
        ("mean/sum", None, "variable", "state"),
        ("mean/count", None, "variable", "state"),
        ("accuracy/total", None, "variable", "state"),
        ("global_step", None, "variable", "state"),
        ("net/w/ExponentialMovingAverage", None, "variable", "state"),
        ("net/w/ExponentialMovingAverage_1", None, "variable", "state"),
        ("ExponentialMovingAverage", None, "variable", "params"),
        ("discount_counter_scale", None, "variable", "params"),
        ("mlp/w", False, "variable", "state"),
        ("ema/counter", True, "variable", "params"),
        ("mlp/w/m", None, "slot", "state"),
        ("save_counter", None, "save_counter", "state"),
    ],
)
def test_collection_of(name, trainable, kind, expected):
    assert names.collection_of(_info(name, kind=kind, trainable=trainable)) == expected


def test_slots_and_save_counter_are_skipped_unless_asked():
    entries = _entries(
        _info("mlp/linear_0/w"),
        _info("mlp/linear_0/w/m", kind="slot"),
        _info("save_counter", kind="save_counter", dtype="int64", shape=()),
    )
    plan = _plan(entries)
    assert list(_places(plan).values()) == [("params", "mlp/~/linear_0", "w")]
    assert list(plan.skipped.values()) == [
        "optimizer state (include_slots=True / --include-slots)",
        "save counter (include_save_counter=True / --include-save-counter)",
    ]
    plan = _plan(entries, include_slots=True, include_save_counter=True)
    assert sorted(_places(plan).values()) == [
        ("params", "mlp/~/linear_0", "w"),
        ("state", "mlp/~/linear_0/~/w", "m"),
        ("state", "~", "save_counter"),
    ]
    assert plan.skipped == {}


@pytest.mark.parametrize(
    "name",
    [
        "adam/m/mlp/linear_0/w",
        "adam_1/v/linear/b",
        "adam/t",
        "momentum/accumulated_momentum/mlp/linear_0/w",
        "rmsprop/rms/linear/w",
        "rmsprop/mg/linear/w",
        "beta1_power",
        "beta2_power_3",
        "net/w/Adam",
        "net/w/Adam_1",
        "net/w/Momentum",
        "net/w/RMSProp",
        "net/w/RMSProp_1",
        "net/w/Adagrad",
        "net/w/Ftrl",
        "net/w/Ftrl_1",
        "w/Adadelta_2",
    ],
)
def test_optimizer_state_in_ordinary_variables_is_treated_as_slots(name):
    assert list(_plan(_entries(_info(name))).skipped.values()) == [
        "optimizer state (include_slots=True / --include-slots)"
    ]
    (placement,) = _plan(_entries(_info(name)), include_slots=True).placements
    assert placement.collection == "state"


@pytest.mark.parametrize(
    "name", ["adamant/m/w", "encoder/adam/m", "model/beta1_powers", "Adam", "net/Adamax", "w/adam"]
)
def test_lookalike_names_are_not_optimizer_state(name):
    assert _plan(_entries(_info(name))).placements[0].collection == "params"


def test_string_tensors_and_other_entries_are_skipped_with_a_reason():
    entries = _entries(_info("vocab", dtype=None), _info("meta/config", kind="other"))
    plan = _plan(entries)
    assert plan.placements == ()
    assert list(plan.skipped.values()) == [
        "not a numeric tensor (a string or a TensorFlow-only dtype)",
        "not a variable (kind 'other')",
    ]


@pytest.mark.parametrize("name", ["scope/", "a\0b"])
def test_names_that_cannot_be_keys_are_skipped(name):
    assert list(_plan(_entries(_info(name))).skipped.values()) == [
        "its name cannot be a params key (it ends in '/' or holds a NUL)"
    ]


def test_include_and_exclude_search_the_variable_name():
    entries = _entries(*(_info(f"mlp/linear_{i}/{p}") for i in range(3) for p in "wb"))
    plan = _plan(entries, include=[r"linear_[01]/"], exclude=[r"/b$", "linear_0"])
    assert list(_places(plan).values()) == [("params", "mlp/~/linear_1", "w")]
    reasons = list(plan.skipped.values())
    assert reasons.count("matches no include pattern") == 2
    assert reasons.count("matches an exclude pattern") == 3


def test_colliding_names_are_told_apart_by_object_path_and_noted():
    entries = _entries(
        _info("linear/w:0", object_path="encoder/w"),
        _info("linear/w:0", object_path="decoder/w"),
        _info("linear/b:0", object_path="encoder/b"),
    )
    plan = _plan(entries)
    assert sorted(_places(plan).values()) == [
        ("params", "decoder", "w"),
        ("params", "encoder", "w"),
        ("params", "linear", "b"),
    ]
    assert len(plan.notes) == 2
    assert (
        "name collision: 'linear/w' (key 'encoder/w/.ATTRIBUTES/VARIABLE_VALUE')" in plan.notes[0]
    )
    assert "placed at params['encoder']['w'] by its object path 'encoder/w'" in plan.notes[0]


def test_nested_object_paths_become_module_paths():
    entries = _entries(
        _info("batch_norm/moving_mean/average", object_path="model/bn1/_mean/average"),
        _info("batch_norm/moving_mean/average", object_path="model/bn2/_mean/average"),
    )
    assert sorted(_places(_plan(entries)).values()) == [
        ("state", "model/~/bn1/~/_mean", "average"),
        ("state", "model/~/bn2/~/_mean", "average"),
    ]


def test_dict_keys_in_object_paths_tell_colliding_variables_apart():
    entries = _entries(
        _info("w", object_path="holder/vs/g"),
        _info("w", object_path="holder/vs/h"),
        _info("lstm/w_h", object_path="a/lstm/_w_h"),
        _info("lstm/w_h", object_path="b/lstm/_w_h"),
    )
    assert sorted(_places(_plan(entries)).values()) == [
        ("params", "a/~/lstm", "w_h"),
        ("params", "b/~/lstm", "w_h"),
        ("params", "holder/~/vs/~/g", "w"),
        ("params", "holder/~/vs/~/h", "w"),
    ]


def test_collisions_without_object_paths_get_numbered_modules():
    entries = _entries(_info("a/w"), _info("a/w:1"), _info("a/w:2"), _info("a_1/w"))
    plan = _plan(entries)
    assert sorted(_places(plan).values()) == [
        ("params", "a", "w"),
        ("params", "a_1", "w"),
        ("params", "a_2", "w"),
        ("params", "a_3", "w"),
    ]
    assert len(plan.notes) == 2
    assert all("by its checkpoint key" in note for note in plan.notes)


def test_a_tensor_is_never_merged_into_another():
    entries = _entries(
        _info("m/w", object_path="same/w", key="k1"),
        _info("m/w", object_path="same/w", key="k2"),
        _info("same/w", key="k3"),
    )
    plan = _plan(entries)
    assert _places(plan) == {
        "k1": ("params", "same_1", "w"),
        "k2": ("params", "same_2", "w"),
        "k3": ("params", "same", "w"),
    }
    assert len(plan.notes) == 4


def test_selection_compiles_and_freezes_its_patterns():
    selection = names.Selection(include=["^a/", re.compile("b$")], exclude=None)
    assert selection.include == (re.compile("^a/"), re.compile("b$"))
    assert selection.exclude == ()
    with pytest.raises(re.error, match="missing \\)"):
        names.Selection(exclude=["("])


@pytest.mark.parametrize("name", fixtures.WITH_ROLES)
def test_roles_are_tensorflows(tf_fixtures, name):
    """Trainable variables go to params, the model's others to state, and the optimizer's
    nowhere unless asked for, then to state: as TensorFlow itself classes them."""
    roles = fixtures.roles(tf_fixtures, name)
    with checkpoint.open_checkpoint(fixtures.load(tf_fixtures, name).path) as ckpt:
        entries = ckpt.entries()
    variables = {
        names.variable_name(i): i for i in entries.values() if i.kind in ("variable", "slot")
    }
    assert sorted(variables) == sorted(roles["params"] + roles["state"] + roles["optimizer"])
    placed = {names.variable_name(p.info): p.collection for p in _plan(entries).placements}
    assert placed == {
        **{variable: "params" for variable in roles["params"]},
        **{variable: "state" for variable in roles["state"]},
    }
    reason = "optimizer state (include_slots=True / --include-slots)"
    for variable in roles["optimizer"]:
        assert _plan(entries).skipped[variables[variable].key] == reason
    with_slots = _plan(entries, include_slots=True).placements
    placed = {names.variable_name(p.info): p.collection for p in with_slots}
    assert {variable: placed[variable] for variable in roles["optimizer"]} == dict.fromkeys(
        roles["optimizer"], "state"
    )


@pytest.mark.parametrize("name", ["bfloat16", "float16", "float32", "float8_e4m3fn"])
def test_parse_dtype_accepts_floating_point_names(name):
    assert dtypes.parse_dtype(name) == np.dtype(getattr(ml_dtypes, name, name))


@pytest.mark.parametrize("name", ["int32", "complex64", "bool", "int4"])
def test_parse_dtype_refuses_non_floating_dtypes(name):
    with pytest.raises(ValueError, match=f"dtype '{name}' is {name}; expected a floating-point"):
        dtypes.parse_dtype(name)


def test_parse_dtype_refuses_unknown_names():
    with pytest.raises(ValueError, match="dtype 'float33' is not a dtype"):
        dtypes.parse_dtype("float33")


def test_cast_changes_floating_tensors_only():
    target = np.dtype(ml_dtypes.bfloat16)
    floats = np.linspace(-1, 1, 5, dtype=np.float32)
    assert dtypes.cast(floats, target).dtype == target
    np.testing.assert_array_equal(dtypes.cast(floats, target), floats.astype(target))
    for array in [np.arange(3, dtype=np.int64), np.ones(2, bool), np.ones(2, np.complex64)]:
        assert dtypes.cast(array, target) is array
    assert dtypes.cast(floats, None) is floats
