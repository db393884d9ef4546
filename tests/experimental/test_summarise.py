"""eval_summary records the same module calls, shapes and params as Haiku's."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax


def _mlp(lib, x):
    return lib.nets.MLP([3, 2])(x)


class _TwoMethods:
    """A module class built per library, with a `name_like` method and a kwarg."""

    @staticmethod
    def build(lib, x):
        class Scaled(lib.Module):
            def __call__(self, x, *, scale=1.0):
                return self.project(x) * scale

            @lib.name_like("__call__")
            def project(self, x):
                return lib.Linear(2)(x)

        return Scaled()(x, scale=2.0)


def _stateful(lib, x):
    count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
    lib.set_state("count", count + 1)
    return lib.Sequential([lib.Linear(3), jax.nn.relu, lib.Linear(1)])(x)


def _rows(lib, build, *args):
    summary = lib.experimental.eval_summary(lambda *a: build(lib, *a))(*args)
    return [
        (
            call.module_details.module.module_name,
            type(call.module_details.module).__name__,
            call.module_details.method_name,
            repr(call.args_spec),
            repr(call.kwargs_spec),
            repr(call.output_spec),
            repr(call.module_details.params),
            repr(call.module_details.state),
            [(d.module.module_name, d.method_name) for d in call.call_stack],
            call.context.method_name,
        )
        for call in summary
    ]


@pytest.mark.parametrize(
    "build", [_mlp, _TwoMethods.build, _stateful], ids=["mlp", "methods", "state"]
)
def test_rows_match_haiku(build):
    x = jnp.ones([2, 5])
    assert _rows(sonnax, build, x) == _rows(haiku, build, x)


def test_accepts_transformed_and_jitted_functions():
    for lib in (haiku, sonnax):
        f = lib.transform(lambda x, lib=lib: _mlp(lib, x))
        x = jnp.ones([1, 4])
        params = f.init(jax.random.PRNGKey(0), x)
        by_fn = [c.output_spec for c in lib.experimental.eval_summary(f)(x)]
        by_init = [c.output_spec for c in lib.experimental.eval_summary(f.init)(x)]
        jitted = jax.jit(lambda p, x, f=f: f.apply(p, None, x))
        assert by_fn == by_init
        assert jitted(params, x).shape == (1, 2)


def test_array_spec_matches_haiku():
    for array in (jnp.ones([2, 3]), jnp.ones([4], jnp.bfloat16), jnp.ones([], jnp.uint8)):
        ours = sonnax.experimental.ArraySpec.from_array(array)
        theirs = haiku.experimental.ArraySpec.from_array(array)
        assert (repr(ours), str(ours), ours.size) == (repr(theirs), str(theirs), theirs.size)
