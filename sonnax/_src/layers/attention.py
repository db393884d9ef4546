"""`MultiHeadAttention`: scaled dot-product attention over several heads."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src import initializers
from sonnax._src.core import module, naming
from sonnax._src.layers import linear
from sonnax._src.typing import Initializer


class MultiHeadAttention(module.Module):
    """Multi-head attention (https://arxiv.org/abs/1706.03762).

    Queries, keys and values are projected by `Linear` layers named `query`,
    `key` and `value` into `num_heads` heads; each head's weights are
    `softmax(q k^T / sqrt(key_size))` over the key positions; the weighted
    values of all heads are concatenated and projected by a final `linear` to
    `model_size`. Any leading dimensions are batch dimensions.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     mha = hk.MultiHeadAttention(2, 3, w_init=hk.initializers.VarianceScaling())
    ...     return mha(x, x, x)
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([5, 4]))
    >>> jax.tree.map(jnp.shape, params)["multi_head_attention/query"]
    {'b': (6,), 'w': (4, 6)}
    >>> sorted(params)  # doctest: +NORMALIZE_WHITESPACE
    ['multi_head_attention/key', 'multi_head_attention/linear',
     'multi_head_attention/query', 'multi_head_attention/value']
    """

    def __init__(
        self,
        num_heads: int,
        key_size: int,
        w_init_scale: float | None = None,
        *,
        w_init: Initializer | None = None,
        with_bias: bool = True,
        b_init: Initializer | None = None,
        value_size: int | None = None,
        model_size: int | None = None,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          num_heads: the number of heads (H).
          key_size: the size of each head's keys and queries (K).
          w_init_scale: deprecated: the scale of a `VarianceScaling` initializer;
            pass `w_init` instead.
          w_init: initializer for every projection's weights (required unless
            `w_init_scale` is given).
          with_bias: whether the projections add a bias.
          b_init: initializer for the biases (default zeros).
          value_size: the size of each head's values (default `key_size`).
          model_size: the output size (default `key_size * num_heads`).
          name: the module's name.

        Raises:
          ValueError: both or neither of `w_init` and `w_init_scale` are given.
        """
        super().__init__(name=name)
        self.num_heads = num_heads
        self.key_size = key_size
        self.value_size = value_size or key_size
        self.model_size = model_size or key_size * num_heads
        if w_init_scale is not None:
            warnings.warn(
                "w_init_scale is deprecated; please pass an explicit weight initialiser "
                f"instead (module {self.module_name!r}: "
                f"w_init=hk.initializers.VarianceScaling({w_init_scale!r})).",
                DeprecationWarning,
                stacklevel=2,
            )
        if w_init and w_init_scale:
            raise ValueError(
                f"Please provide only `w_init`, not `w_init_scale`: module {self.module_name!r} "
                f"got both w_init={w_init!r} and w_init_scale={w_init_scale!r}."
            )
        if w_init is None and w_init_scale is None:
            raise ValueError(
                "Please provide a weight initializer: `w_init`. `w_init` will become "
                f"mandatory once `w_init_scale` is fully deprecated (module "
                f"{self.module_name!r} got neither)."
            )
        if w_init is None:
            w_init = initializers.VarianceScaling(w_init_scale)  # type: ignore[arg-type]
        self.w_init = w_init
        self.with_bias = with_bias
        self.b_init = b_init

    def __call__(
        self,
        query: jax.Array,
        key: jax.Array,
        value: jax.Array,
        mask: jax.Array | None = None,
    ) -> jax.Array:
        """Attends from `query` positions to `key`/`value` positions.

        Args:
          query: the sequence the queries come from, `[..., T', D_q]`.
          key: the sequence the keys come from, `[..., T, D_k]`.
          value: the sequence the values come from, `[..., T, D_v]`.
          mask: where `False`, the attention weight is zero; broadcastable to
            `[..., H, T', T]` and of that rank.

        Returns:
          The attended sequence, `[..., T', model_size]`.

        Raises:
          ValueError: `mask` has another rank than the attention logits.
        """
        *leading_dims, sequence_length, _ = query.shape
        query_heads = self._linear_projection(query, self.key_size, "query")
        key_heads = self._linear_projection(key, self.key_size, "key")
        value_heads = self._linear_projection(value, self.value_size, "value")

        logits = jnp.einsum("...thd,...Thd->...htT", query_heads, key_heads)
        logits = logits / np.sqrt(self.key_size).astype(key.dtype)
        if mask is not None:
            if mask.ndim != logits.ndim:
                raise ValueError(
                    f"Mask dimensionality {mask.ndim} must match logits dimensionality "
                    f"{logits.ndim}: module {self.module_name!r} got a mask of shape "
                    f"{mask.shape} for logits of shape {logits.shape} ([..., H, T', T])."
                )
            logits = jnp.where(mask, logits, -1e30)
        weights = jax.nn.softmax(logits)

        attended = jnp.einsum("...htT,...Thd->...thd", weights, value_heads)
        attended = jnp.reshape(attended, (*leading_dims, sequence_length, -1))
        final = linear.Linear(
            self.model_size, w_init=self.w_init, with_bias=self.with_bias, b_init=self.b_init
        )
        return final(attended)

    @naming.transparent
    def _linear_projection(
        self, x: jax.Array, head_size: int, name: str | None = None
    ) -> jax.Array:
        """Projects `x` to `[..., T, num_heads, head_size]` with a `Linear` called `name`."""
        y = linear.Linear(
            self.num_heads * head_size,
            w_init=self.w_init,
            with_bias=self.with_bias,
            b_init=self.b_init,
            name=name,
        )(x)
        return y.reshape((*x.shape[:-1], self.num_heads, head_size))
