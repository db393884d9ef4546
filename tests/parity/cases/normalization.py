"""Parity cases: normalization and moving averages."""

from tests.parity.cases import Case

BN_MODES = {
    "train": {"is_training": True},
    "eval": {"is_training": False},
    "test_local_stats": {"is_training": False, "test_local_stats": True},
}


def _metric(snt, kind: str, name: str):
    if kind == "ExponentialMovingAverage":
        return snt.ExponentialMovingAverage(decay=0.8, name=name)
    return snt.Mean(name=name)


def _batch_norm_cases() -> list[Case]:
    cases = []
    for fmt, shapes in (
        ("channels_last", {"rank2": (6, 3), "rank4": (2, 3, 3, 4)}),
        ("channels_first", {"rank2": (6, 3), "rank4": (2, 4, 3, 3)}),
    ):
        for rank, shape in shapes.items():
            for scale, offset in ((True, True), (False, False), (True, False)):
                cases.append(
                    Case(
                        f"batch_norm_{fmt}_{rank}_scale{int(scale)}_offset{int(offset)}",
                        lambda snt, fmt=fmt, scale=scale, offset=offset: snt.BatchNorm(
                            create_scale=scale,
                            create_offset=offset,
                            decay_rate=0.9,
                            data_format=fmt,
                            name="bn",
                        ),
                        inputs=(shape,),
                        modes=BN_MODES,
                        steps=3,
                    )
                )
    cases.append(
        Case(
            "batch_norm_inits",
            lambda snt: snt.BatchNorm(
                create_scale=True,
                create_offset=True,
                eps=1e-3,
                scale_init=snt.initializers.RandomUniform(0.5, 1.5),
                offset_init=snt.initializers.RandomNormal(),
            ),
            inputs=((2, 3, 3, 4),),
            modes=BN_MODES,
            steps=3,
        )
    )
    cases.append(
        Case(
            "batch_norm_default_decay_nchw",
            lambda snt: snt.BatchNorm(True, True, data_format="NCHW"),
            inputs=((2, 3, 2, 2),),
            modes=BN_MODES,
            steps=3,
        )
    )
    for name, metric in (("ema", "ExponentialMovingAverage"), ("mean", "Mean")):
        # BaseBatchNorm with the moving statistics given as any `Metric`s.
        cases.append(
            Case(
                f"base_batch_norm_{name}",
                lambda snt, metric=metric: snt.BaseBatchNorm(
                    create_scale=True,
                    create_offset=False,
                    moving_mean=_metric(snt, metric, "moving_mean"),
                    moving_variance=_metric(snt, metric, "moving_variance"),
                    name="bn",
                ),
                inputs=((6, 3),),
                modes=BN_MODES,
                steps=3,
            )
        )
    for rank, shape in (("rank2", (6, 3)), ("rank4", (2, 3, 3, 4))):
        # Outside a map, as under TF's default strategy: one replica, never the fused kernel.
        cases.append(
            Case(
                f"cross_replica_batch_norm_{rank}",
                lambda snt: snt.distribute.CrossReplicaBatchNorm(
                    True,
                    True,
                    moving_mean=_metric(snt, "ExponentialMovingAverage", "moving_mean"),
                    moving_variance=_metric(snt, "ExponentialMovingAverage", "moving_variance"),
                    name="bn",
                ),
                inputs=(shape,),
                modes=BN_MODES,
                steps=3,
            )
        )
    cases.append(
        Case(
            "batch_norm_fused_large_mean",
            lambda snt: snt.BatchNorm(True, True, decay_rate=0.5, name="bn"),
            inputs=(_integers_near_4e5, lambda rng: _near_4e5(rng, (2, 3, 3, 4))),
            call=_train_on_then_eval,
            grad=False,
        )
    )
    return cases


def _integers_near_4e5(rng):
    # 16 integers per channel: their sums, mean and variance are exact in float32 in any
    # order, so TF and XLA agree on the statistics and only the normalization's arithmetic
    # is compared (which TF's fused kernel does as `(x - mean) * inv + offset`).
    return _near_4e5(rng, (2, 2, 4, 4)).round()


def _near_4e5(rng, shape):
    return (4e5 + 30 * rng.standard_normal(shape)).astype("float32")


def _train_on_then_eval(snt, module, batch, x):
    """Trains on `batch` (setting the moving statistics), then normalizes `x` with them.

    Without gradients: TF reads the moving statistics as variables, here they are computed
    from `batch`, so gradients with respect to it differ by design.
    """
    del snt
    return module(batch, is_training=True), module(x, is_training=False)


CASES: list[Case] = [
    *_batch_norm_cases(),
    Case(
        "exponential_moving_average",
        lambda snt: snt.ExponentialMovingAverage(0.8, name="ema"),
        inputs=((3, 2),),
        steps=3,
    ),
]
CASES += [
    Case("metric_sum", lambda snt: snt.Sum(name="total"), inputs=((2, 3),), steps=3),
    Case("metric_mean", lambda snt: snt.Mean(name="avg"), inputs=((4,),), steps=3),
]


def _update_reset_update(snt, module, x):
    del snt
    module.update(x)
    module.reset()
    return module(2.0 * x)


CASES += [
    Case(
        "exponential_moving_average_reset",
        lambda snt: snt.ExponentialMovingAverage(0.5, name="ema"),
        inputs=((3,),),
        call=_update_reset_update,
        steps=2,
    ),
]


def _axis_norm_cases() -> list[Case]:
    nontrivial = {
        "scale_init": lambda snt: snt.initializers.RandomUniform(0.5, 1.5),
        "offset_init": lambda snt: snt.initializers.RandomNormal(),
    }
    cases = []
    for axis_name, axis in (("last", -1), ("slice", slice(1, None)), ("list", [1, 2])):
        for fmt, shape in (("channels_last", (2, 3, 4)), ("channels_first", (2, 4, 3))):
            for scale, offset in ((True, True), (False, False), (False, True)):
                cases.append(
                    Case(
                        f"layer_norm_{axis_name}_{fmt}_scale{int(scale)}_offset{int(offset)}",
                        lambda snt, axis=axis, fmt=fmt, scale=scale, offset=offset: snt.LayerNorm(
                            axis, scale, offset, data_format=fmt, name="ln"
                        ),
                        inputs=(shape,),
                    )
                )
    cases.append(
        Case(
            "layer_norm_inits_rank2",
            lambda snt: snt.LayerNorm(
                -1,
                True,
                True,
                eps=1e-3,
                scale_init=nontrivial["scale_init"](snt),
                offset_init=nontrivial["offset_init"](snt),
            ),
            inputs=((3, 5),),
        )
    )
    for fmt, shape in (("channels_last", (2, 3, 3, 4)), ("NCHW", (2, 4, 3, 3))):
        for scale, offset in ((True, True), (False, False)):
            cases.append(
                Case(
                    f"instance_norm_{fmt}_scale{int(scale)}_offset{int(offset)}",
                    lambda snt, fmt=fmt, scale=scale, offset=offset: snt.InstanceNorm(
                        scale, offset, data_format=fmt, name="inorm"
                    ),
                    inputs=(shape,),
                )
            )
    cases.append(
        Case(
            "instance_norm_inits_rank3",
            lambda snt: snt.InstanceNorm(
                True,
                True,
                scale_init=nontrivial["scale_init"](snt),
                offset_init=nontrivial["offset_init"](snt),
            ),
            inputs=((2, 5, 3),),
        )
    )
    for fmt, shape in (("channels_last", (2, 3, 3, 6)), ("channels_first", (2, 6, 3, 3))):
        for groups in (1, 2, 3):
            cases.append(
                Case(
                    f"group_norm_{fmt}_groups{groups}",
                    lambda snt, fmt=fmt, groups=groups: snt.GroupNorm(
                        groups, data_format=fmt, name="gn"
                    ),
                    inputs=(shape,),
                )
            )
    cases += [
        Case(
            "group_norm_inits_no_scale",
            lambda snt: snt.GroupNorm(
                2, create_scale=False, offset_init=snt.initializers.RandomNormal()
            ),
            inputs=((3, 4),),
        ),
        Case(
            "group_norm_axis_int_rank3",
            lambda snt: snt.GroupNorm(
                2,
                axis=-1,
                eps=1e-3,
                scale_init=nontrivial["scale_init"](snt),
                create_offset=False,
            ),
            inputs=((2, 3, 4),),
        ),
        Case(
            "group_norm_axis_list_nchw",
            lambda snt: snt.GroupNorm(2, axis=[1, 2], data_format="NCW"),
            inputs=((2, 4, 3),),
        ),
    ]
    return cases


CASES += _axis_norm_cases()


def _regularize(snt, regularizer, *tensors):
    del snt
    return regularizer(list(tensors))


CASES += [
    Case("regularizer_l1", lambda snt: snt.regularizers.L1(0.3), ((3, 4), (5,)), _regularize),
    Case("regularizer_l2", lambda snt: snt.regularizers.L2(0.3), ((3, 4), (5,)), _regularize),
    Case(
        "regularizer_off_diagonal_orthogonal",
        lambda snt: snt.regularizers.OffDiagonalOrthogonal(0.1),
        ((2, 3, 4), (5, 3)),
        _regularize,
    ),
]
