"""Convert Sonnet / TensorFlow checkpoints into sonnax params files, without TensorFlow."""

from sonnax.convert import _requirements  # noqa: F401 - first: names the extra if one is missing.
from sonnax.convert._convert import ConversionSummary as ConversionSummary
from sonnax.convert._convert import convert as convert
from sonnax.convert._load.restore import restore as restore
from sonnax.convert._load.sources import from_checkpoint as from_checkpoint
from sonnax.convert._load.sources import from_module as from_module
from sonnax.convert._load.sources import from_saved_model as from_saved_model
from sonnax.convert._mapping.layer_stack import stack_layers as stack_layers
from sonnax.convert._mapping.layer_stack import unstack_layers as unstack_layers
from sonnax.convert._mapping.layouts import to_compat_layout as to_compat_layout
from sonnax.convert._mapping.layouts import to_haiku_layout as to_haiku_layout
from sonnax.convert._mapping.names import ConversionResult as ConversionResult
from sonnax.convert._mapping.names import split_name as split_name
from sonnax.convert._mapping.names import to_params as to_params
from sonnax.convert._mapping.optimizer_state import optax_optimizer as optax_optimizer
from sonnax.convert._mapping.optimizer_state import optimizer_state as optimizer_state
from sonnax.convert._read.checkpoint import Checkpoint as Checkpoint
from sonnax.convert._read.checkpoint import TensorInfo as TensorInfo
from sonnax.convert._read.checkpoint import open_checkpoint as open_checkpoint
from sonnax.convert._write.checkpoint import to_checkpoint as to_checkpoint
from sonnax.convert._write.npz import load as load
from sonnax.convert._write.npz import save as save
from sonnax.convert._write.optimizer_state import load_optimizer_state as load_optimizer_state
from sonnax.convert.errors import ChecksumError as ChecksumError
from sonnax.convert.errors import ConvertError as ConvertError
from sonnax.convert.errors import CorruptCheckpointError as CorruptCheckpointError
from sonnax.convert.errors import InputNotFoundError as InputNotFoundError
from sonnax.convert.errors import MismatchError as MismatchError
from sonnax.convert.errors import NotACheckpointError as NotACheckpointError
from sonnax.convert.errors import OutputError as OutputError
from sonnax.convert.errors import UnsupportedError as UnsupportedError

__all__ = [
    "Checkpoint",
    "ChecksumError",
    "ConversionResult",
    "ConversionSummary",
    "ConvertError",
    "CorruptCheckpointError",
    "InputNotFoundError",
    "MismatchError",
    "NotACheckpointError",
    "OutputError",
    "TensorInfo",
    "UnsupportedError",
    "convert",
    "from_checkpoint",
    "from_module",
    "from_saved_model",
    "load",
    "load_optimizer_state",
    "open_checkpoint",
    "optax_optimizer",
    "optimizer_state",
    "restore",
    "save",
    "split_name",
    "stack_layers",
    "to_checkpoint",
    "to_compat_layout",
    "to_haiku_layout",
    "to_params",
    "unstack_layers",
]
