"""Parity cases: single layers (linear, bias, convolutions, embedding, reshaping, ...)."""

from tests.parity.cases import Case

CASES = [
    Case("linear", lambda snt: snt.Linear(4), inputs=((3, 5),)),
    Case("linear_no_bias", lambda snt: snt.Linear(4, with_bias=False), inputs=((3, 5),)),
    Case("linear_rank3", lambda snt: snt.Linear(6, name="proj"), inputs=((2, 3, 5),)),
]
