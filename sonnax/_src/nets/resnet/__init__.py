"""ResNet: the network (`resnet.py`) and its residual blocks (`blocks.py`)."""
