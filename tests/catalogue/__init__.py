"""One entry per public module: how to build it in a library, and the input it takes.

Cross-cutting tests (`test_catalogue.py`) run every entry under jit, grad, vmap,
pmap, sharded jit and bfloat16, with dm-haiku as the oracle. Add an entry when a
module lands, in the file of its area; `build(lib)` must work with both `haiku`
and `sonnax` as `lib`, and is run under `lib.transform_with_state`.
"""

from tests.catalogue import conv, core, lifting, nets, normalization, recurrent, stateful
from tests.catalogue.entry import Entry as Entry
from tests.catalogue.entry import inputs as inputs

ENTRIES = [
    *core.ENTRIES,
    *conv.ENTRIES,
    *normalization.ENTRIES,
    *recurrent.ENTRIES,
    *nets.ENTRIES,
    *lifting.ENTRIES,
    *stateful.ENTRIES,
]
