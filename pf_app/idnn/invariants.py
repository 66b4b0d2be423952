"""Polynomial invariants h_j(x) written as text, e.g. ``"eta1^2 + eta2^2"`` or ``"2*c*eta^2"``.

The text is parsed by the project's formula parser (:mod:`pf_app.formula`) and the
tree expanded into the ``features`` representation of :mod:`pf_app.idnn.weights`: per invariant a
list of terms ``(coef, powers)`` with one integer power per order parameter.  A polynomial is built
from numbers, order-parameter names, ``+ - *``, division by a number and non-negative integer
powers (``^`` or ``**``); constant terms are dropped (the network's inputs are standardized).

A config may also name a set of invariants instead of listing them (``features: cubic``); the set is
written as polynomial text in the order parameters' own names and parsed like a list (see
:data:`INVARIANT_SETS`).
"""

from __future__ import annotations

from pf_app.formula import FormulaError, Node, parse

Terms = list[tuple[float, tuple[int, ...]]]
_Polynomial = dict[tuple[int, ...], float]  # powers -> coefficient, in order of first appearance


def _b2(c: str, eta: str) -> tuple[str, ...]:
    return (c, f"{eta}^2")


def _cubic(x: str, e1: str, e2: str, e3: str) -> tuple[str, ...]:
    return (x, f"{e1}*{e2}*{e3}", f"{e1}^2 + {e2}^2 + {e3}^2", f"{e1}^2*{e2}^2 + {e1}^2*{e3}^2 + {e2}^2*{e3}^2")


# name -> (what it is, the polynomials as a function of the order-parameter names, in order)
INVARIANT_SETS = {
    "b2": ("(c, eta^2) of two order parameters (composition, B2 order): g even in eta", _b2),
    "cubic": ("(eta0, eta1 eta2 eta3, sum eta_i^2, sum_(i<j) eta_i^2 eta_j^2) of four order parameters "
              "(composition, then the three FCC 4-sublattice order parameters): g invariant under the 24 "
              "permutations and sign changes of pairs of (eta1, eta2, eta3), the sublattice permutations that "
              "map the L1_2 (and L1_0) variants onto each other; these generate every polynomial invariant "
              "of that group (degrees 2, 3, 4)", _cubic),
}


def default_invariants(order_parameters: tuple[str, ...]) -> tuple[str, ...]:
    """(c, eta^2) for the B2 order parameters (c, eta); otherwise the order parameters themselves."""
    if tuple(order_parameters) == ("c", "eta"):
        return _b2("c", "eta")
    return tuple(order_parameters)


def invariant_texts(features: tuple[str, ...] | str | None, order_parameters: tuple[str, ...]) -> tuple[str, ...]:
    """The polynomials a config's ``features`` stands for: a list as given, the name of an invariant set
    written in the order parameters' names, or (None) :func:`default_invariants`.  Raises
    ``ValueError`` naming what was expected."""
    names = tuple(order_parameters)
    if features is None:
        return default_invariants(names)
    if not isinstance(features, str):
        return tuple(features)
    if features not in INVARIANT_SETS:
        raise ValueError(f"unknown invariant set {features!r} (known: {', '.join(INVARIANT_SETS)})")
    what, polynomials = INVARIANT_SETS[features]
    arity = polynomials.__code__.co_argcount
    if len(names) != arity:
        raise ValueError(f"invariant set {features!r} needs {arity} order parameters, the data have "
                         f"{len(names)} ({', '.join(names)})")
    return polynomials(*names)


def parse_invariant(text: str, names: tuple[str, ...]) -> Terms:
    """Parse one polynomial; raises ``ValueError`` (a :class:`FormulaError`) with the reason on bad input."""
    names = tuple(names)
    terms = _expand(parse(text, set(names)), names)
    terms = {p: c for p, c in terms.items() if c != 0.0 and any(p)}
    if not terms:
        raise FormulaError("the invariant is constant")
    return [(c, p) for p, c in terms.items()]


def _expand(node: Node, names: tuple[str, ...]) -> _Polynomial:
    op, args = node.op, node.args
    if op == "num":
        return {(0,) * len(names): float(node.value)}
    if op == "var":
        return {tuple(int(n == node.value) for n in names): 1.0}
    if op == "neg":
        return {p: -c for p, c in _expand(args[0], names).items()}
    if op in ("+", "-"):
        sign = 1.0 if op == "+" else -1.0
        out = dict(_expand(args[0], names))
        for p, c in _expand(args[1], names).items():
            out[p] = out.get(p, 0.0) + sign * c
        return out
    if op == "*":
        return _product(_expand(args[0], names), _expand(args[1], names))
    if op == "/":
        divisor = _constant(_expand(args[1], names))
        if divisor is None or divisor == 0.0:
            raise FormulaError("a polynomial divides only by a non-zero number")
        return {p: c / divisor for p, c in _expand(args[0], names).items()}
    if op == "**":
        exponent = _constant(_expand(args[1], names))
        if exponent is None or exponent < 0 or exponent != int(exponent):
            raise FormulaError("a polynomial has only non-negative integer powers")
        base, out = _expand(args[0], names), {(0,) * len(names): 1.0}
        for _ in range(int(exponent)):
            out = _product(out, base)
        return out
    raise FormulaError(f"{op}() is not allowed in a polynomial")


def _product(a: _Polynomial, b: _Polynomial) -> _Polynomial:
    out: _Polynomial = {}
    for pa, ca in a.items():
        for pb, cb in b.items():
            p = tuple(i + j for i, j in zip(pa, pb))
            out[p] = out.get(p, 0.0) + ca * cb
    return out


def _constant(poly: _Polynomial) -> float | None:
    """The value of a polynomial that is a number, else None."""
    nonzero = {p: c for p, c in poly.items() if c != 0.0}
    if any(any(p) for p in nonzero):
        return None
    return sum(nonzero.values(), 0.0)


def format_invariant(terms: Terms, names: tuple[str, ...]) -> str:
    """Inverse of :func:`parse_invariant` (for logs and provenance)."""
    parts = []
    for coef, powers in terms:
        factors = [n if p == 1 else f"{n}^{p}" for n, p in zip(names, powers) if p]
        if coef != 1.0:
            factors.insert(0, repr(coef))
        parts.append("*".join(factors))
    return " + ".join(parts).replace("+ -", "- ")
