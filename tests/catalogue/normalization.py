"""Catalogue entries for normalization layers, EMA, Embed, attention."""

import jax.numpy as jnp

from tests.catalogue.entry import Entry


def _batch_norm_inference(lib):
    def forward(x):
        bn = lib.BatchNorm(True, True, decay_rate=0.9)
        # Init runs one training step so that apply starts from non-trivial averages.
        if lib.running_init():
            bn(x, is_training=True)
        return bn(x, is_training=False)

    return forward


def _token_ids(x):
    """Maps the catalogue's normal inputs to ids in [0, 10)."""
    return jnp.clip(jnp.floor(x * 3 + 5), 0, 9).astype(jnp.int32)


def _embed(lib, lookup_style):
    def forward(x):
        embed = lib.Embed(vocab_size=10, embed_dim=4, lookup_style=lookup_style)
        # Cast so the output follows the input's dtype (the bfloat16 check needs one).
        return embed(_token_ids(x)).astype(x.dtype)

    return forward


def _attention(lib):
    def forward(x):
        mha = lib.MultiHeadAttention(
            2, 3, w_init=lib.initializers.VarianceScaling(), value_size=2, model_size=5
        )
        causal = jnp.tril(jnp.ones([x.shape[-2]] * 2, bool))[None, None]
        return mha(x, x * 2, x, mask=causal)

    return forward


ENTRIES = [
    Entry(
        "batch_norm_training",
        lambda lib: lambda x: lib.BatchNorm(True, True, 0.9)(x, is_training=True),
        (8, 3, 4),
    ),
    Entry("batch_norm_inference", _batch_norm_inference),
    Entry("layer_norm", lambda lib: lib.LayerNorm(-1, True, True)),
    Entry("instance_norm", lambda lib: lib.InstanceNorm(True, True), (8, 4, 3)),
    Entry("group_norm", lambda lib: lib.GroupNorm(2), (8, 4, 6)),
    Entry("rms_norm", lambda lib: lib.RMSNorm(-1)),
    Entry("spectral_norm", lambda lib: lib.SpectralNorm()),
    Entry("sn_params_tree", lambda lib: lambda x: lib.SNParamsTree()({"linear": {"w": x}})),
    Entry("exponential_moving_average", lambda lib: lib.ExponentialMovingAverage(0.9)),
    Entry("ema_params_tree", lambda lib: lambda x: lib.EMAParamsTree(0.9)({"linear": {"w": x}})),
    Entry("embed", lambda lib: _embed(lib, "ARRAY_INDEX")),
    Entry("embed_one_hot", lambda lib: _embed(lib, "ONE_HOT")),
    Entry("multi_head_attention", _attention, (8, 4, 6)),
]
