"""The project's one formula parser: text parsed with :mod:`ast` into a small expression tree (never
``eval``), with exact symbolic derivatives, evaluated with numpy or as UFL.

Grammar: numbers, names (order parameters and user parameters), ``+ - * / **``, ``^`` as a synonym of
``**`` (``eta^2``), unary minus and calls of ``exp log sqrt tanh sinh cosh sin cos``.  ``pi`` and
``sqrt2`` are predefined.  Users: free-energy, mobility and initial-condition formulas of phase-field
cases (:class:`Formula`) and the IDNN's polynomial invariants (:func:`pf_app.idnn.invariants.parse_invariant`
expands the tree into monomials).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass

import numpy as np

FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sinh", "cosh", "sin", "cos")
CONSTANTS = {"pi": math.pi, "sqrt2": math.sqrt(2.0)}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
               "**": operator.pow}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class FormulaError(ValueError):
    """A formula that does not parse or uses something outside the grammar."""


@dataclass(frozen=True)
class Node:
    op: str  # "num", "var", "+", "-", "*", "/", "**", "neg", or a function name
    args: tuple = ()
    value: float | str | None = None  # number for "num", name for "var"


def num(v: float) -> Node:
    return Node("num", value=float(v))


def var(name: str) -> Node:
    return Node("var", value=name)


ZERO, ONE = num(0.0), num(1.0)


def _is(n: Node, v: float) -> bool:
    return n.op == "num" and n.value == v


def add(a: Node, b: Node) -> Node:
    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    if a.op == b.op == "num":
        return num(a.value + b.value)
    return Node("+", (a, b))


def sub(a: Node, b: Node) -> Node:
    if _is(b, 0):
        return a
    if _is(a, 0):
        return neg(b)
    return Node("-", (a, b))


def mul(a: Node, b: Node) -> Node:
    if _is(a, 0) or _is(b, 0):
        return ZERO
    if _is(a, 1):
        return b
    if _is(b, 1):
        return a
    if a.op == b.op == "num":
        return num(a.value * b.value)
    return Node("*", (a, b))


def div(a: Node, b: Node) -> Node:
    if _is(a, 0):
        return ZERO
    if _is(b, 1):
        return a
    return Node("/", (a, b))


def power(a: Node, b: Node) -> Node:
    if _is(b, 0):
        return ONE
    if _is(b, 1):
        return a
    return Node("**", (a, b))


def neg(a: Node) -> Node:
    if a.op == "num":
        return num(-a.value)
    return Node("neg", (a,))


def call(fn: str, a: Node) -> Node:
    return Node(fn, (a,))


def parse(text: str, names: set[str]) -> Node:
    """Parse ``text``; ``names`` are the allowed variables (order parameters and parameters)."""
    source = text.strip().replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        where = f" of {source!r}" if "^" in text else ""  # the column counts ^ as the two characters of **
        raise FormulaError(f"does not parse: {exc.msg} at column {exc.offset}{where}") from None
    return _convert(tree.body, names)


def _convert(n: ast.AST, names: set[str]) -> Node:
    if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
        return num(n.value)
    if isinstance(n, ast.Name):
        if n.id in names:
            return var(n.id)
        if n.id in CONSTANTS:
            return num(CONSTANTS[n.id])
        raise FormulaError(f"unknown name {n.id!r} (allowed: {', '.join(sorted(names | set(CONSTANTS)))})")
    if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
        a, b = _convert(n.left, names), _convert(n.right, names)
        return {"+": add, "-": sub, "*": mul, "/": div, "**": power}[_BINOPS[type(n.op)]](a, b)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
        a = _convert(n.operand, names)
        return neg(a) if isinstance(n.op, ast.USub) else a
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in FUNCTIONS:
        if len(n.args) != 1 or n.keywords:
            raise FormulaError(f"{n.func.id}() takes exactly one argument")
        return call(n.func.id, _convert(n.args[0], names))
    raise FormulaError(f"not allowed in a formula: {ast.unparse(n)!r} (allowed: numbers, names, + - * / **, "
                       f"{', '.join(FUNCTIONS)})")


def diff(e: Node, x: str) -> Node:
    """Exact derivative d e / d x."""
    op, a = e.op, e.args
    if op == "num":
        return ZERO
    if op == "var":
        return ONE if e.value == x else ZERO
    if op == "+":
        return add(diff(a[0], x), diff(a[1], x))
    if op == "-":
        return sub(diff(a[0], x), diff(a[1], x))
    if op == "neg":
        return neg(diff(a[0], x))
    if op == "*":
        return add(mul(diff(a[0], x), a[1]), mul(a[0], diff(a[1], x)))
    if op == "/":
        return div(sub(mul(diff(a[0], x), a[1]), mul(a[0], diff(a[1], x))), mul(a[1], a[1]))
    if op == "**":
        base, expo = a
        d_base, d_expo = diff(base, x), diff(expo, x)
        if d_expo == ZERO:  # d(u^p) = p u^(p-1) u'
            return mul(mul(expo, power(base, sub(expo, ONE))), d_base)
        return mul(e, add(mul(d_expo, call("log", base)), div(mul(expo, d_base), base)))
    inner = diff(a[0], x)
    u = a[0]
    outer = {
        "exp": lambda: e,
        "log": lambda: div(ONE, u),
        "sqrt": lambda: div(num(0.5), e),
        "tanh": lambda: sub(ONE, mul(e, e)),
        "sinh": lambda: call("cosh", u),
        "cosh": lambda: call("sinh", u),
        "sin": lambda: call("cos", u),
        "cos": lambda: neg(call("sin", u)),
    }[op]()
    return mul(outer, inner)


def evaluate(e: Node, env: dict, backend) -> object:
    """Evaluate with ``backend`` = numpy or ufl (both provide exp, ln/log, sqrt, tanh, ...)."""
    op, a = e.op, e.args
    if op == "num":
        return e.value
    if op == "var":
        return env[e.value]
    if op in ("+", "-", "*", "/", "**"):
        return _ARITHMETIC[op](evaluate(a[0], env, backend), evaluate(a[1], env, backend))
    if op == "neg":
        return -evaluate(a[0], env, backend)
    fn = getattr(backend, "ln" if (op == "log" and not hasattr(backend, "log")) else op)
    return fn(evaluate(a[0], env, backend))


class Formula:
    """A scalar formula in named variables with exact gradient and Hessian trees."""

    def __init__(self, tree: Node, variables: tuple[str, ...], parameters: dict[str, float]):
        self.variables, self.parameters = tuple(variables), dict(parameters)
        self.tree = tree
        self.grad = [diff(tree, v) for v in self.variables]
        self.hess = [[diff(gk, v) for v in self.variables] for gk in self.grad]

    @classmethod
    def from_text(cls, text: str, variables, parameters=None) -> "Formula":
        parameters = parameters or {}
        return cls(parse(text, set(variables) | set(parameters)), tuple(variables), parameters)

    def _env(self, values) -> dict:
        env = dict(zip(self.variables, values))
        env.update(self.parameters)
        return env

    def ufl(self, fields):
        import ufl

        return evaluate(self.tree, self._env(fields), ufl)

    def ufl_gradient(self, fields):
        import ufl

        env = self._env(fields)
        return [evaluate(gk, env, ufl) for gk in self.grad]

    def numpy(self, x: np.ndarray, order: int = 1):
        x = np.atleast_2d(np.asarray(x, float))
        env = self._env(list(x.T))
        n = x.shape[0]

        def ev(t):
            return np.broadcast_to(np.asarray(evaluate(t, env, np), float), (n,))

        g = ev(self.tree)
        if order == 0:
            return g
        grad = np.column_stack([ev(t) for t in self.grad])
        if order == 1:
            return g, grad
        hess = np.stack([np.column_stack([ev(t) for t in row]) for row in self.hess], axis=1)
        return g, grad, hess
