"""Polynomial invariants h_j(x) written as text, e.g. ``"eta1^2 + eta2^2"`` or ``"2*c*eta^2"``.

The parsed form is the ``features`` representation of :mod:`pf_app.idnn.weights`: per invariant a
list of terms ``(coef, powers)`` with one integer power per order parameter.  Grammar: a sum of
terms separated by ``+``/``-``; a term is a product (``*``) of numbers and ``name`` or
``name^p`` / ``name**p`` factors.
"""

from __future__ import annotations

import re

Terms = list[tuple[float, tuple[int, ...]]]

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\*\*|[-+*^]))")


def default_invariants(order_parameters: tuple[str, ...]) -> tuple[str, ...]:
    """(c, eta^2) for the B2 order parameters (c, eta); otherwise the order parameters themselves."""
    if tuple(order_parameters) == ("c", "eta"):
        return ("c", "eta^2")
    return tuple(order_parameters)


def parse_invariant(text: str, names: tuple[str, ...]) -> Terms:
    """Parse one polynomial; raises ``ValueError`` with the reason on bad input."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read {text[pos:]!r}")
        tokens.append(m.groups())
        pos = m.end()
    terms: dict[tuple[int, ...], float] = {}
    i, sign = 0, 1.0
    while i < len(tokens):
        if tokens[i][2] in ("+", "-"):
            sign = -1.0 if tokens[i][2] == "-" else 1.0
            i += 1
        coef, powers = sign, [0] * len(names)
        while True:
            if i >= len(tokens):
                raise ValueError("a term is missing after an operator")
            number, name, op = tokens[i]
            if number is not None:
                coef *= float(number)
                i += 1
            elif name is not None:
                if name not in names:
                    raise ValueError(f"unknown order parameter {name!r} (known: {', '.join(names)})")
                i += 1
                power = 1
                if i < len(tokens) and tokens[i][2] in ("^", "**"):
                    if i + 1 >= len(tokens) or tokens[i + 1][0] is None or not tokens[i + 1][0].isdigit():
                        raise ValueError(f"expected a non-negative integer power after {name!r}")
                    power = int(tokens[i + 1][0])
                    i += 2
                powers[names.index(name)] += power
            else:
                raise ValueError(f"unexpected {op!r}")
            if i < len(tokens) and tokens[i][2] == "*":
                i += 1
                continue
            break
        key = tuple(powers)
        terms[key] = terms.get(key, 0.0) + coef
        if i < len(tokens) and tokens[i][2] not in ("+", "-"):
            raise ValueError(f"unexpected {tokens[i][0] or tokens[i][1] or tokens[i][2]!r}")
        sign = 1.0
    terms = {p: c for p, c in terms.items() if c != 0.0 and any(p)}
    if not terms:
        raise ValueError("the invariant is constant")
    return [(c, p) for p, c in terms.items()]


def format_invariant(terms: Terms, names: tuple[str, ...]) -> str:
    """Inverse of :func:`parse_invariant` (for logs and provenance)."""
    parts = []
    for coef, powers in terms:
        factors = [n if p == 1 else f"{n}^{p}" for n, p in zip(names, powers) if p]
        if coef != 1.0:
            factors.insert(0, repr(coef))
        parts.append("*".join(factors))
    return " + ".join(parts).replace("+ -", "- ")
