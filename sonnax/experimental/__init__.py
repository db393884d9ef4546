"""Experimental features (Haiku's `hk.experimental`); they may change without notice."""

from sonnax._src.core.interceptors import GetterContext as GetterContext
from sonnax._src.core.interceptors import GetterContext as ParamContext
from sonnax._src.core.interceptors import MethodContext as MethodContext
from sonnax._src.core.interceptors import custom_creator as custom_creator
from sonnax._src.core.interceptors import custom_getter as custom_getter
from sonnax._src.core.interceptors import intercept_methods as intercept_methods
from sonnax._src.core.naming import current_name as current_name
from sonnax._src.core.naming import force_name as force_name
from sonnax._src.core.naming import name_like as name_like
from sonnax._src.core.naming import name_scope as name_scope
from sonnax._src.core.params import DO_NOT_STORE as DO_NOT_STORE
from sonnax._src.core.params import get_params as get_params
from sonnax._src.core.rng import maybe_get_rng_sequence_state as maybe_get_rng_sequence_state
from sonnax._src.core.rng import replace_rng_sequence_state as replace_rng_sequence_state
from sonnax._src.core.state import get_current_state as get_current_state
from sonnax._src.core.state import get_initial_state as get_initial_state
from sonnax._src.experimental.dot import abstract_to_dot as abstract_to_dot
from sonnax._src.experimental.dot import to_dot as to_dot
from sonnax._src.experimental.fast_eval_shape import fast_eval_shape as fast_eval_shape
from sonnax._src.experimental.optimize_rng_use import optimize_rng_use as optimize_rng_use
from sonnax._src.experimental.summarise import ArraySpec as ArraySpec
from sonnax._src.experimental.summarise import MethodInvocation as MethodInvocation
from sonnax._src.experimental.summarise import ModuleDetails as ModuleDetails
from sonnax._src.experimental.summarise import eval_summary as eval_summary
from sonnax._src.experimental.tabulate import tabulate as tabulate
from sonnax._src.experimental.toggles import check_jax_usage as check_jax_usage
from sonnax._src.experimental.toggles import module_auto_repr as module_auto_repr
from sonnax._src.experimental.toggles import rng_reserve_size as rng_reserve_size
from sonnax._src.transforms.layer_stack import (
    LayerStackTransparencyMapping as LayerStackTransparencyMapping,
)
from sonnax._src.transforms.layer_stack import layer_stack as layer_stack
from sonnax._src.transforms.lift import LiftWithStateUpdater as LiftWithStateUpdater
from sonnax._src.transforms.lift import lift as lift
from sonnax._src.transforms.lift import lift_with_state as lift_with_state
from sonnax._src.transforms.lift import transparent_lift as transparent_lift
from sonnax._src.transforms.lift import transparent_lift_with_state as transparent_lift_with_state
from sonnax.experimental import jaxpr_info as jaxpr_info


def __getattr__(name: str) -> object:
    # `flax` is imported on first use, so that `import sonnax` never imports Flax.
    if name == "flax":
        import sonnax.experimental.flax

        return sonnax.experimental.flax
    raise AttributeError(f"module 'sonnax.experimental' has no attribute {name!r}")


__all__ = [
    "ArraySpec",
    "DO_NOT_STORE",
    "GetterContext",
    "LayerStackTransparencyMapping",
    "LiftWithStateUpdater",
    "MethodContext",
    "MethodInvocation",
    "ModuleDetails",
    "ParamContext",
    "abstract_to_dot",
    "check_jax_usage",
    "current_name",
    "custom_creator",
    "custom_getter",
    "eval_summary",
    "fast_eval_shape",
    "flax",
    "force_name",
    "get_current_state",
    "get_initial_state",
    "get_params",
    "intercept_methods",
    "jaxpr_info",
    "layer_stack",
    "lift",
    "lift_with_state",
    "maybe_get_rng_sequence_state",
    "module_auto_repr",
    "name_like",
    "name_scope",
    "optimize_rng_use",
    "replace_rng_sequence_state",
    "rng_reserve_size",
    "tabulate",
    "to_dot",
    "transparent_lift",
    "transparent_lift_with_state",
]
