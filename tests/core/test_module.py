"""Module behaviour: construction rules, repr, params/state dicts, dataclass modules."""

import dataclasses
import inspect

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax


def _run(fn):
    return sonnax.transform_with_state(fn).init(jax.random.PRNGKey(0))


def test_module_outside_transform_names_the_class():
    with pytest.raises(
        ValueError, match="All `hk.Module`s must be initialized inside an `hk.transform`.*`Linear`"
    ):
        sonnax.Linear(2)


def test_missing_super_init_is_reported():
    class Broken(sonnax.Module):
        def __init__(self):
            pass

    with pytest.raises(ValueError, match=r"super\(Broken, self\).__init__\(\)"):
        _run(lambda: Broken())


def test_parameters_before_super_init_are_reported():
    class Early(sonnax.Module):
        def __init__(self):
            sonnax.get_parameter("w", [], init=jnp.zeros)
            super().__init__()

    with pytest.raises(
        ValueError, match="super constructor must be called before.*`Early.__init__`"
    ):
        _run(lambda: Early())


def _keyword_only(lib):
    class KeywordOnly(lib.Module):
        def __init__(self, size, *, scale=1.0, shift=0.0, name=None):
            super().__init__(name=name)

    return KeywordOnly(3, shift=0.0, scale=2.0)


def _variadic(lib):
    class Variadic(lib.Module):
        def __init__(self, *sizes, name=None, **options):
            super().__init__(name=name)

    return Variadic(1, 2, name="v", extra=True)


@pytest.mark.parametrize(
    "build",
    [
        lambda lib: lib.Linear(3),
        lambda lib: lib.Linear(3, with_bias=False, name="proj"),
        lambda lib: lib.Linear(output_size=4, w_init=jnp.zeros),
        lambda lib: lib.Linear(3, with_bias=True),
        _keyword_only,
        _variadic,
    ],
    ids=[
        "positional",
        "keywords",
        "callable_argument",
        "default_given",
        "keyword_only",
        "variadic",
    ],
)
def test_auto_repr_matches_haiku(build):
    reprs = {}
    for lib in (haiku, sonnax):
        lib.transform(lambda lib=lib: reprs.setdefault(lib.__name__, repr(build(lib)))).init(None)
    assert reprs["sonnax"] == reprs["haiku"]


def test_auto_repr_can_be_disabled():
    def f():
        with sonnax.config.context(module_auto_repr=False):
            return repr(sonnax.Linear(3))

    seen = []
    sonnax.transform(lambda: seen.append(f())).init(None)
    assert seen[0].startswith("<") and "Linear object" in seen[0]


def test_class_signature_omits_self():
    assert list(inspect.signature(sonnax.Linear).parameters) == list(
        inspect.signature(haiku.Linear).parameters
    )


def _params_and_state_dicts(lib):
    class Block(lib.Module):
        def __call__(self, x):
            lib.get_state("calls", [], init=jnp.zeros)
            return lib.Linear(2)(x)

    class Outer(lib.Module):
        def __call__(self, x):
            self.block = Block()
            return self.block(x)

    def f(x):
        outer = Outer()
        outer(x)
        shapes = lambda d: {k: v.shape for k, v in d.items()}  # noqa: E731
        return (
            shapes(outer.params_dict()),
            shapes(outer.state_dict()),
            shapes(outer.block.params_dict()),
        )

    return lib.transform_with_state(f)


def test_params_dict_and_state_dict_match_haiku():
    x = jnp.ones([1, 3])
    results = {}
    for lib in (haiku, sonnax):
        f = _params_and_state_dicts(lib)
        params, state = f.init(jax.random.PRNGKey(0), x)
        results[lib.__name__] = f.apply(params, state, None, x)[0]
    assert results["sonnax"] == results["haiku"]


def test_params_dict_outside_transform():
    holder = []
    _run(lambda: holder.append(sonnax.Linear(1)))
    with pytest.raises(
        ValueError, match=r"must be initialized inside an `hk.transform`.*`Linear.params_dict`"
    ):
        holder[0].params_dict()


def _dataclass_module(lib):
    @dataclasses.dataclass
    class Scaled(lib.Module):
        scale: float = 2.0
        name: str | None = None

        def __call__(self, x):
            return self.scale * lib.Linear(1)(x)

    return lambda x: Scaled(name="scaled")(x) + Scaled()(x)


def test_dataclass_modules_are_named_like_haiku():
    x = jnp.ones([1, 2])
    shapes = {}
    for lib in (haiku, sonnax):
        params = lib.transform(_dataclass_module(lib)).init(jax.random.PRNGKey(0), x)
        shapes[lib.__name__] = jax.tree.map(jnp.shape, params)
    assert shapes["sonnax"] == shapes["haiku"]


def test_properties_enter_the_module_scope():
    class WithProperty(sonnax.Module):
        @property
        def weight(self):
            return sonnax.get_parameter("w", [2], init=jnp.ones)

        def __call__(self):
            return self.weight

    params, _ = _run(lambda: WithProperty()())
    assert list(params) == ["with_property"]


def test_module_methods_work_under_jit_grad_vmap():
    class Affine(sonnax.Module):
        def __call__(self, x):
            return sonnax.Linear(1)(x).sum()

    f = sonnax.transform(lambda x: Affine()(x))
    x = jnp.ones([4, 3])
    params = f.init(jax.random.PRNGKey(0), x)
    grads = jax.jit(jax.grad(f.apply))(params, None, x)
    assert jax.tree.map(jnp.shape, grads) == jax.tree.map(jnp.shape, params)
    per_example = jax.vmap(f.apply, in_axes=(None, None, 0))(params, None, x)
    assert per_example.shape == (4,)


def _custom_new_module(lib):
    class Sized(lib.Module):
        def __new__(cls, size, name=None):
            instance = super().__new__(cls)
            instance.made_by_new = size
            return instance

        def __init__(self, size, name=None):
            super().__init__(name=name)
            self.size = size

        def __call__(self):
            return self.made_by_new + self.size

    return Sized


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_custom_new_receives_the_constructor_arguments(lib):
    seen = []
    lib.transform(lambda: seen.append(_custom_new_module(lib)(3)())).init(None)
    assert seen == [6]


def test_repr_is_fixed_at_construction_like_haiku():
    reprs = {}
    for lib in (haiku, sonnax):

        def f(lib=lib):
            sizes = [3, 2]
            mlp = lib.nets.MLP(sizes)
            sizes.append(99)
            reprs[lib.__name__] = repr(mlp)

        lib.transform(f).init(None)
    assert reprs["sonnax"] == reprs["haiku"]
    assert "99" not in reprs["sonnax"]
