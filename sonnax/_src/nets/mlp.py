"""`MLP`: a stack of `Linear` layers with an activation between them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import jax

from sonnax._src.core import module
from sonnax._src.core import rng as rng_lib
from sonnax._src.layers import dropout, linear
from sonnax._src.typing import Initializer, PRNGKey


class MLP(module.Module):
    """A multi-layer perceptron: `Linear` layers, each but the last followed by `activation`.

    The layers are submodules `linear_0`, `linear_1`, ... (parameter keys
    `mlp/~/linear_0`, ...), as in Haiku; the default activation is ReLU.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.nets.MLP([8, 1])(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'mlp/~/linear_0': {'b': (8,), 'w': (3, 8)}, 'mlp/~/linear_1': {'b': (1,), 'w': (8, 1)}}
    """

    def __init__(
        self,
        output_sizes: Iterable[int],
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        with_bias: bool = True,
        activation: Callable[[jax.Array], jax.Array] = jax.nn.relu,
        activate_final: bool = False,
        name: str | None = None,
    ):
        """Constructs the MLP and its layers.

        Args:
          output_sizes: the output size of each layer, in order.
          w_init: initializer for every layer's `w` (default: `Linear`'s).
          b_init: initializer for every layer's `b` (default: zeros); must be
            `None` when `with_bias=False`.
          with_bias: whether the layers add a bias.
          activation: applied after each layer but the last.
          activate_final: also apply `activation` (and dropout) after the last layer.
          name: the module's name.

        Raises:
          ValueError: `b_init` is given with `with_bias=False`.
        """
        if not with_bias and b_init is not None:
            raise ValueError(
                f"When with_bias=False b_init must not be set: MLP {name or 'mlp'!r} got "
                f"b_init={b_init!r}. Drop b_init, or set with_bias=True."
            )
        super().__init__(name=name)
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init
        self.activation = activation
        self.activate_final = activate_final
        output_sizes = tuple(output_sizes)
        self.layers = tuple(
            linear.Linear(
                output_size=output_size,
                w_init=w_init,
                b_init=b_init,
                with_bias=with_bias,
                name=f"linear_{index}",
            )
            for index, output_size in enumerate(output_sizes)
        )
        self.output_size = output_sizes[-1] if output_sizes else None

    def __call__(
        self,
        inputs: jax.Array,
        dropout_rate: float | None = None,
        rng: PRNGKey | None = None,
    ) -> jax.Array:
        """Applies the layers.

        Args:
          inputs: array of shape `[batch_size, input_size]`.
          dropout_rate: if given, dropout at this rate before each activation.
          rng: key for dropout; required with `dropout_rate`, refused without.

        Returns:
          Array of shape `[batch_size, output_size]`.

        Raises:
          ValueError: only one of `dropout_rate` and `rng` is given.
        """
        if dropout_rate is not None and rng is None:
            raise ValueError(
                f"When using dropout an rng key must be passed: module {self.module_name!r} "
                f"got dropout_rate={dropout_rate} and rng=None; pass e.g. rng=hk.next_rng_key()."
            )
        if dropout_rate is None and rng is not None:
            raise ValueError(
                f"RNG should only be passed when using dropout: module {self.module_name!r} got "
                "an rng but dropout_rate=None; pass a dropout_rate, or no rng."
            )
        keys = rng_lib.PRNGSequence(rng) if rng is not None else None
        last = len(self.layers) - 1
        out = inputs
        for index, layer in enumerate(self.layers):
            out = layer(out)
            if index < last or self.activate_final:
                if keys is not None and dropout_rate is not None:
                    out = dropout.dropout(next(keys), dropout_rate, out)
                out = self.activation(out)
        return out

    def reverse(self, activate_final: bool | None = None, name: str | None = None) -> MLP:
        """A new MLP mapping this one's outputs back to its input size.

        The layer sizes are this MLP's input sizes, in reverse order, so this
        MLP must have been called. The new module shares no parameters.

        >>> import sonnax as hk
        >>> import jax, jax.numpy as jnp
        >>> def f(x):
        ...     mlp = hk.nets.MLP([4, 2])
        ...     hidden = mlp(x)
        ...     return mlp.reverse()(hidden)
        >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
        >>> jax.tree.map(jnp.shape, params)["mlp/~reverse/mlp_reversed/~/linear_1"]
        {'b': (3,), 'w': (4, 3)}

        Args:
          activate_final: whether the new MLP activates its last layer
            (default: as this one).
          name: the new module's name (default: this one's name + `_reversed`).

        Returns:
          The reversed `MLP`.

        Raises:
          ValueError: this MLP has not been called yet.
        """
        if activate_final is None:
            activate_final = self.activate_final
        if name is None:
            name = f"{self.name}_reversed"
        sizes = tuple(
            layer.input_size for layer in reversed(self.layers) if layer.input_size is not None
        )
        if len(sizes) != len(self.layers):
            raise ValueError(
                f"You cannot reverse an MLP until it has been called: module "
                f"{self.module_name!r} knows the input size of {len(sizes)} of its "
                f"{len(self.layers)} layers. Call it on inputs first."
            )
        return MLP(
            output_sizes=sizes,
            w_init=self.w_init,
            b_init=self.b_init,
            with_bias=self.with_bias,
            activation=self.activation,
            activate_final=activate_final,
            name=name,
        )
