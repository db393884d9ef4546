"""The `rename` option: regex rewrites of variable names, applied before the name rule.

Sonnet 1 and other TF1 code named variables by variable scopes, so a checkpoint's names may
differ from the ones `sonnax.compat` gives the same model: `conv_net_2d/conv_2d_0/w` where a
Sequential of `snt.Conv2D(name="conv_0")` expects `conv_0/w`. A rule list such as
`[(r"^conv_net_2d/conv_2d_(\\d+)/", r"conv_\\1/")]` rewrites each name with `re.sub`, rules
applied in order, before the include / exclude patterns and the name rule see it.
"""

import collections.abc
import dataclasses
import re

from sonnax.convert._read import checkpoint as checkpoint_lib

Rule = tuple[str | re.Pattern[str], str]
Rules = collections.abc.Sequence[Rule]


def compile_rules(rules: Rules | None) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Compiles `(regex, replacement)` rules, checking each replacement against its regex.

    Args:
      rules: `(regex, replacement)` pairs in `re.sub` syntax, or `None` for none.

    Returns:
      The compiled rules, in order.

    Raises:
      ValueError: a rule is not a pair, its regex does not compile, or its replacement
        refers to a group the regex does not have.
    """
    compiled = []
    for index, rule in enumerate(rules or ()):
        if not isinstance(rule, tuple | list) or len(rule) != 2:
            raise ValueError(
                f"rename rule {index} is {rule!r}; expected a (regex, replacement) pair such "
                "as (r'^model/', '')"
            )
        pattern, replacement = rule
        try:
            regex = re.compile(pattern)
            _check_replacement(regex, replacement)
        except (re.error, IndexError) as error:
            raise ValueError(
                f"rename rule {index} ({pattern!r} -> {replacement!r}) is invalid: {error}"
            ) from error
        compiled.append((regex, replacement))
    return tuple(compiled)


def _check_replacement(regex: re.Pattern[str], replacement: str) -> None:
    """Expands `replacement` against a regex with `regex`'s groups that matches anything.

    `re.sub` checks group references only once a name matches; this finds a bad one now.
    """
    names = {index: name for name, index in regex.groupindex.items()}
    groups = "".join(
        f"(?P<{names[index]}>)" if index in names else "()" for index in range(1, regex.groups + 1)
    )
    re.compile(groups).sub(replacement, "")


def rename(name: str, rules: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    """Rewrites one variable name by each rule in turn; its `:N` suffix is kept as it is.

    Args:
      name: e.g. `conv_net_2d/conv_2d_0/w:0`.
      rules: compiled rules, from `compile_rules`.

    Returns:
      The rewritten name.

    >>> rename("encoder/mlp/linear_0/w:0", compile_rules([(r"^encoder/", "")]))
    'mlp/linear_0/w:0'
    """
    base, colon, suffix = name.rpartition(":")
    if not (colon and suffix.isdigit()):
        base, colon, suffix = name, "", ""
    for regex, replacement in rules:
        base = regex.sub(replacement, base)
    return base + colon + suffix


def rename_entries(
    entries: collections.abc.Mapping[str, checkpoint_lib.TensorInfo], rules: Rules | None
) -> dict[str, checkpoint_lib.TensorInfo]:
    """Returns the entries with each `TensorInfo.name` rewritten by `rules`.

    Args:
      entries: a checkpoint's `{key: TensorInfo}`.
      rules: `(regex, replacement)` pairs, or `None` (the entries are returned unchanged).

    Returns:
      The entries, same keys, names rewritten.

    Raises:
      ValueError: a rule is invalid (see `compile_rules`), or a name becomes empty.
    """
    compiled = compile_rules(rules)
    if not compiled:
        return dict(entries)
    renamed = {}
    for key, info in entries.items():
        name = rename(info.name, compiled)
        if not name or name.startswith(":"):
            raise ValueError(
                f"rename rules turn variable {info.name!r} (key {key!r}) into {name!r}; a "
                "variable name must stay non-empty: check the rules' anchors"
            )
        renamed[key] = dataclasses.replace(info, name=name)
    return renamed
