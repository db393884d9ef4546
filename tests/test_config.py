"""sonnax.config: per-thread settings, seeded from the main thread, restored field by field."""

import threading

import haiku
import pytest

import sonnax


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_new_threads_start_from_the_main_threads_settings(lib):
    seen = []
    lib.config.set(module_auto_repr=False)
    try:
        thread = threading.Thread(target=lambda: seen.append(_auto_repr_enabled(lib)))
        thread.start()
        thread.join()
    finally:
        lib.config.set(module_auto_repr=True)
    assert seen == [False]


def _auto_repr_enabled(lib):
    reprs = []
    lib.transform(lambda: reprs.append(repr(lib.Linear(1)))).init(None)
    return reprs[0] == "Linear(output_size=1)"


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_context_restores_only_the_options_it_was_given(lib):
    try:
        with lib.config.context(rng_reserve_size=3):
            lib.config.set(module_auto_repr=False)
        assert not _auto_repr_enabled(lib)
    finally:
        lib.config.set(module_auto_repr=True)
    assert _auto_repr_enabled(lib)


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match=r"Unknown config option\(s\) \['colour'\]"):
        sonnax.config.set(colour="blue")
