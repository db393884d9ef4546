"""Is a library's compiled training step the same program as hand-written JAX's?

Two compiled XLA programs are compared through their optimized HLO text
(`jax.jit(...).lower(...).compile().as_text()`): the count of each opcode, and the multiset of
(opcode, result type) pairs, which also catches a same-numbered op working on other shapes.
Instruction names, parameter names, metadata, the order of computations and the order of a
tuple's elements are left out: they differ between programs doing the same work (names and
argument order follow the pytree paths).
"""

from __future__ import annotations

import collections
import re
from typing import Any

_INSTRUCTION = re.compile(r"^\s*(ROOT )?%[\w.-]+ = ")
_OPCODE = re.compile(r"([\w.-]+)\(")
_LAYOUT = re.compile(r"\{[^{}]*\}")
_INDEX_COMMENT = re.compile(r"/\*index=\d+\*/")


def _split_instruction(line: str) -> tuple[str, str] | None:
    """`(result type, opcode)` of one HLO instruction line, or `None` for other lines."""
    match = _INSTRUCTION.match(line)
    if match is None:
        return None
    rhs = line[match.end() :]
    if rhs.startswith("("):  # A tuple type: up to its closing parenthesis.
        end = _closing_parenthesis(rhs)
        result_type, rest = rhs[: end + 1], rhs[end + 1 :].lstrip()
    else:
        result_type, _, rest = rhs.partition(" ")
    match = _OPCODE.match(rest)
    if match is None:
        return None
    return _canonical_type(_LAYOUT.sub("", result_type)), match.group(1)


def _closing_parenthesis(text: str) -> int:
    """The index of the parenthesis that closes the one `text` starts with."""
    depth = 0
    for position, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return position
    raise ValueError(f"Unbalanced parentheses in the HLO type {text!r}.")


def _canonical_type(result_type: str) -> str:
    """A tuple type with its elements sorted: their order follows the pytree paths."""
    if not result_type.startswith("("):
        return result_type
    elements, depth, start = [], 0, 1
    body = _INDEX_COMMENT.sub("", result_type)
    for position, char in enumerate(body):
        depth += (char == "(") - (char == ")")
        if (char == "," and depth == 1) or depth == 0 and position > 0:
            elements.append(_canonical_type(body[start:position].strip()))
            start = position + 1
    return "(" + ", ".join(sorted(e for e in elements if e)) + ")"


def signature(hlo_text: str) -> collections.Counter[tuple[str, str]]:
    """The multiset of `(opcode, result type)` of every instruction in `hlo_text`."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for line in hlo_text.splitlines():
        parts = _split_instruction(line)
        if parts is not None:
            counts[parts[1], parts[0]] += 1
    return counts


def opcode_counts(hlo_text: str) -> dict[str, int]:
    """`{opcode: count}` over every instruction in `hlo_text`, sorted by opcode."""
    counts: collections.Counter[str] = collections.Counter()
    for (opcode, _), count in signature(hlo_text).items():
        counts[opcode] += count
    return dict(sorted(counts.items()))


def compare(text: str, reference: str) -> dict[str, Any]:
    """How the program `text` differs from `reference`.

    Returns:
      `{"same_opcodes", "same_typed_ops", "instructions", "reference_instructions",
      "opcode_differences"}`, the last mapping each opcode whose count differs to
      `[count, reference count]`.
    """
    ops, reference_ops = opcode_counts(text), opcode_counts(reference)
    differences = {
        opcode: [ops.get(opcode, 0), reference_ops.get(opcode, 0)]
        for opcode in sorted(set(ops) | set(reference_ops))
        if ops.get(opcode, 0) != reference_ops.get(opcode, 0)
    }
    return {
        "same_opcodes": not differences,
        "same_typed_ops": signature(text) == signature(reference),
        "instructions": sum(ops.values()),
        "reference_instructions": sum(reference_ops.values()),
        "opcode_differences": differences,
    }
