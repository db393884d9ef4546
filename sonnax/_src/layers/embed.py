"""`Embed` and `EmbedLookupStyle`: a learned vector per token id."""

from __future__ import annotations

import enum
import typing
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src import initializers
from sonnax._src.core import module, params
from sonnax._src.typing import Initializer


class EmbedLookupStyle(enum.Enum):
    """How `Embed` turns ids into vectors; the result is the same, the speed is not."""

    # A gather, `embeddings[ids]`: fastest on GPU, and on TPU for large vocabularies.
    ARRAY_INDEX = 1
    # `one_hot(ids) @ embeddings`: often faster on TPU for small vocabularies.
    ONE_HOT = 2


class Embed(module.Module):
    """Maps integer ids to rows of an `embeddings` matrix `[vocab_size, embed_dim]`.

    The matrix is a parameter, by default from a truncated normal with stddev 1,
    or starting from a given `embedding_matrix`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda ids: hk.Embed(vocab_size=10, embed_dim=4)(ids))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.array([1, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'embed': {'embeddings': (10, 4)}}
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        embed_dim: int | None = None,
        embedding_matrix: np.ndarray | jax.Array | None = None,
        w_init: Initializer | None = None,
        lookup_style: str | EmbedLookupStyle = "ARRAY_INDEX",
        name: str | None = None,
        precision: jax.lax.Precision = jax.lax.Precision.HIGHEST,
    ):
        """Constructs the layer.

        Args:
          vocab_size: the number of distinct ids; inferred from
            `embedding_matrix` if that is given.
          embed_dim: the size of each vector; inferred from `embedding_matrix`
            if that is given.
          embedding_matrix: the initial `[vocab_size, embed_dim]` matrix; any
            `vocab_size`/`embed_dim` given must agree with its shape.
          w_init: initializer for the matrix (default truncated normal, stddev 1).
          lookup_style: the default `EmbedLookupStyle`, or its name.
          name: the module's name.
          precision: the `jnp.dot` precision of `ONE_HOT` lookups.

        Raises:
          ValueError: neither `embedding_matrix` nor both sizes are given, or a
            size disagrees with `embedding_matrix`.
        """
        super().__init__(name=name)
        if embedding_matrix is None and not (vocab_size and embed_dim):
            raise ValueError(
                "hk.Embed must be supplied either with an initial `embedding_matrix` or with "
                f"`embed_dim` and `vocab_size`: module {self.module_name!r} got "
                f"vocab_size={vocab_size!r}, embed_dim={embed_dim!r} and no embedding_matrix."
            )
        if embedding_matrix is not None:
            matrix = jnp.asarray(embedding_matrix)
            for arg, size, dim in (("vocab_size", vocab_size, 0), ("embed_dim", embed_dim, 1)):
                if size and matrix.shape[dim] != size:
                    raise ValueError(
                        f"An `embedding_matrix` was supplied but the `{arg}` of {size} was not "
                        f"consistent with its shape {matrix.shape}: module "
                        f"{self.module_name!r} expects {arg}={matrix.shape[dim]} (dimension "
                        f"{dim} of the matrix), or no {arg}."
                    )
            w_init = lambda shape, dtype: matrix  # noqa: E731
            vocab_size, embed_dim = matrix.shape
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.lookup_style = lookup_style
        self.precision = precision
        self.w_init = w_init or initializers.TruncatedNormal()

    @property
    def embeddings(self) -> jax.Array:
        """The `[vocab_size, embed_dim]` matrix (parameter `embeddings`)."""
        # Both sizes are set by now: given, or read from `embedding_matrix`.
        shape = typing.cast(list[int], [self.vocab_size, self.embed_dim])
        return params.get_parameter("embeddings", shape, init=self.w_init)

    def __call__(
        self,
        ids: jax.Array | Sequence[int],
        lookup_style: str | EmbedLookupStyle | None = None,
        precision: jax.lax.Precision | None = None,
    ) -> jax.Array:
        """Looks up the vector of each id.

        Args:
          ids: integer ids in `[0, vocab_size)` (others give NaNs or garbage).
          lookup_style: overrides the constructor's `lookup_style`.
          precision: overrides the constructor's `precision`.

        Returns:
          An array of shape `ids.shape + (embed_dim,)`.

        Raises:
          ValueError: `ids` is not of an integer dtype.
          AttributeError: `lookup_style` names no `EmbedLookupStyle`.
          NotImplementedError: `lookup_style` is not an `EmbedLookupStyle`.
        """
        ids = jnp.asarray(ids)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            raise ValueError(
                "hk.Embed's __call__ method must take an array of integer dtype but was "
                f"called with an array of {ids.dtype}: module {self.module_name!r} got ids "
                f"of shape {ids.shape}; cast them with `.astype(jnp.int32)`."
            )
        style = _lookup_style(lookup_style or self.lookup_style, self.module_name)
        if style == EmbedLookupStyle.ARRAY_INDEX:
            # A one-element tuple makes this a gather along rows, even for traced ids.
            return jnp.asarray(self.embeddings)[(ids,)]
        if style == EmbedLookupStyle.ONE_HOT:
            one_hot_ids = jax.nn.one_hot(ids, self.vocab_size)  # type: ignore[arg-type]
            precision = self.precision if precision is None else precision
            return jnp.dot(one_hot_ids, self.embeddings, precision=precision)
        raise NotImplementedError(
            f"{style} is not supported by hk.Embed: module {self.module_name!r} expects one of "
            f"{[s.name for s in EmbedLookupStyle]}."
        )


def _lookup_style(style: Any, module_name: str) -> Any:
    """The `EmbedLookupStyle` named by `style`, or `style` itself if not a string."""
    if not isinstance(style, str):
        return style
    try:
        return EmbedLookupStyle[style.upper()]
    except KeyError:
        raise AttributeError(
            f"{style.upper()}: unknown lookup_style {style!r} for module {module_name!r}; "
            f"expected one of {[s.name for s in EmbedLookupStyle]}."
        ) from None
