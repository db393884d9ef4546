"""Catalogue entries for convolutions, padding, pooling."""

from tests.catalogue.entry import Entry

SHAPE_1D, SHAPE_2D, SHAPE_3D = (8, 6, 3), (8, 5, 5, 2), (8, 3, 3, 3, 2)


def _conv1d(lib):
    return lib.Conv1D(4, 3, rate=2, padding=lib.pad.causal)


def _conv2d(lib):
    return lib.Conv2D(5, 3, stride=2, data_format="NCHW", feature_group_count=5)


def _pool(function, padding):
    def build(lib):
        return lambda x: getattr(lib, function)(x, (1, 2, 2, 1), (1, 2, 1, 1), padding)

    return build


ENTRIES = [
    Entry("conv_nd", lambda lib: lib.ConvND(2, 3, (2, 3), data_format="channels_first"), SHAPE_2D),
    Entry("conv1d_causal", _conv1d, SHAPE_1D),
    Entry("conv2d_nchw_groups", _conv2d, SHAPE_2D),
    Entry("conv3d", lambda lib: lib.Conv3D(3, 2, padding="VALID"), SHAPE_3D),
    Entry("conv_nd_transpose", lambda lib: lib.ConvNDTranspose(1, 3, 3, stride=2), SHAPE_1D),
    Entry("conv1d_transpose", lambda lib: lib.Conv1DTranspose(3, 4, 2, output_shape=11), SHAPE_1D),
    Entry("conv2d_transpose", lambda lib: lib.Conv2DTranspose(3, 3, data_format="NCHW"), SHAPE_2D),
    Entry("conv3d_transpose", lambda lib: lib.Conv3DTranspose(2, 2, padding="VALID"), SHAPE_3D),
    Entry("depthwise_conv1d", lambda lib: lib.DepthwiseConv1D(2, 3, rate=2), SHAPE_1D),
    Entry("depthwise_conv2d", lambda lib: lib.DepthwiseConv2D(2, 3, stride=2), SHAPE_2D),
    Entry("depthwise_conv3d", lambda lib: lib.DepthwiseConv3D(1, 2), SHAPE_3D),
    Entry("separable_depthwise_conv2d", lambda lib: lib.SeparableDepthwiseConv2D(2, 3), SHAPE_2D),
    Entry("max_pool", _pool("max_pool", "SAME"), SHAPE_2D),
    Entry("avg_pool", _pool("avg_pool", "SAME"), SHAPE_2D),
    Entry("max_pool_module", lambda lib: lib.MaxPool((1, 3, 3, 1), 1, "VALID"), SHAPE_2D),
    Entry("avg_pool_module", lambda lib: lib.AvgPool((2, 2, 1), (2, 2, 1), "VALID"), SHAPE_2D),
]
