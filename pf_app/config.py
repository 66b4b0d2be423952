"""YAML configuration validated into typed, frozen dataclasses.

Every capability declares its configuration as dataclasses whose type hints are the schema:
``int``, ``float``, ``str``, ``bool``, ``Path``, ``Literal[...]``, ``X | None``, ``list[X]``,
``tuple[X, ...]``, ``dict[str, X]`` and nested dataclasses.  Numeric ranges go in the field's
metadata through :func:`bounded`.  :func:`build` turns a mapping into such an object and raises
:class:`ConfigError` naming the file, the dotted key and what was expected; the CLI prints that one
line and exits with status 2.  Cross-field checks live in a dataclass method ``check(self, fail)``
where ``fail(key, expected, got)`` raises the same error with the right key prefix.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

_MISSING = dataclasses.MISSING


class ConfigError(ValueError):
    """A configuration problem, reported as ``<file>: <key>: expected <what>, got <value>``."""

    def __init__(self, file: str | Path | None, key: str, expected: str, got: Any = _MISSING):
        self.file, self.key, self.expected, self.got = str(file or "<config>"), key or "<top>", expected, got
        self.file_known = bool(file)
        text = f"{self.file}: {self.key}: expected {expected}"
        if got is not _MISSING:
            text += f", got {got!r}"
        super().__init__(text)

    def in_file(self, file: str | Path | None) -> ConfigError:
        """This error, naming ``file`` if it was raised without one (code that holds only the parsed
        config, e.g. a trainer given an IDNNConfig, cannot name the YAML file the keys came from)."""
        if self.file_known or not file:
            return self
        return ConfigError(file, self.key, self.expected, self.got)


def bounded(default: Any = _MISSING, *, ge=None, gt=None, le=None, lt=None, doc: str = "", **kw):
    """A dataclass field with a numeric range, e.g. ``dt: float = bounded(1.0, gt=0)``."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "doc": doc}
    if default is not _MISSING:
        kw["default"] = default
    return dataclasses.field(metadata=meta, **kw)

def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a missing file or a syntax error is a :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "<file>", "an existing YAML file", str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<document>"
        raise ConfigError(path, where, "valid YAML", str(getattr(exc, "problem", exc))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, "<top>", "a mapping of keys to values", type(data).__name__)
    return data


def load_json(path: str | Path, expected: str) -> dict:
    """Read a JSON model file; a missing file or a syntax error is a :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "<file>", expected, str(path))
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(path, f"line {exc.lineno}", "valid JSON", exc.msg) from None


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict:
    """``--set KEY=VALUE`` strings as {dotted key: YAML-parsed value}."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--set", item, "KEY=VALUE with a dotted key, e.g. time.t_end=10")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError("--set", key.strip(), "a YAML value", value) from None
    return out


def apply_overrides(data: dict, overrides: dict | None) -> dict:
    """Set dotted keys in a loaded mapping (creating intermediate mappings)."""
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError("--set", dotted, f"{p} to be a mapping")
        node[leaf] = value
    return data


def load(cls: type, path: str | Path, overrides: dict | None = None):
    """Load ``path`` into dataclass ``cls``; ``overrides`` (dotted keys) win over the file."""
    data = apply_overrides(load_yaml(path), overrides)
    return build(cls, data, file=path, base_dir=Path(path).parent)


def build(cls: type, data: Any, *, file: str | Path | None = None, key: str = "", base_dir: Path | None = None):
    """Validate ``data`` against dataclass ``cls`` and return an instance."""
    return _Builder(file, base_dir)(cls, data, key)


def _join(key: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{key}[{part}]"
    return f"{key}.{part}" if key else part


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is float:
        return "a number"
    if tp is int:
        return "an integer"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp is Path:
        return "a file path"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return f"a list of {_describe(args[0])}" if args else "a list"
    if origin is dict:
        return f"a mapping of names to {_describe(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return f"a mapping with keys {', '.join(f.name for f in dataclasses.fields(tp))}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp))


class _Builder:
    def __init__(self, file, base_dir):
        self.file, self.base_dir = file, base_dir

    def fail(self, key, expected, got=_MISSING):
        raise ConfigError(self.file, key, expected, got)

    def __call__(self, tp, value, key):
        origin = typing.get_origin(tp)
        if tp is Any:
            return value
        if origin in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            if value is None and type(None) in args:
                return None
            for arg in (a for a in args if a is not type(None)):
                try:
                    return self(arg, value, key)
                except ConfigError:
                    continue
            self.fail(key, _describe(tp), value)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, value, key)
        if origin is Literal:
            if value not in typing.get_args(tp):
                self.fail(key, _describe(tp), value)
            return value
        if origin in (list, tuple):
            if not isinstance(value, (list, tuple)):
                self.fail(key, _describe(tp), value)
            args = typing.get_args(tp)
            item = args[0] if args else Any
            if origin is tuple and args and args[-1] is not Ellipsis:
                if len(value) != len(args):
                    self.fail(key, f"a list of {len(args)} items", value)
                return tuple(self(a, v, _join(key, i)) for i, (a, v) in enumerate(zip(args, value)))
            items = [self(item, v, _join(key, i)) for i, v in enumerate(value)]
            return tuple(items) if origin is tuple else items
        if origin is dict:
            if not isinstance(value, dict):
                self.fail(key, _describe(tp), value)
            vt = typing.get_args(tp)[1]
            return {str(k): self(vt, v, _join(key, str(k))) for k, v in value.items()}
        if tp is bool:
            if not isinstance(value, bool):
                self.fail(key, "true or false", value)
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(key, "an integer", value)
            return value
        if tp is float:
            if isinstance(value, str):
                try:  # YAML 1.1 reads "1e-5" as a string; accept plain numeric strings
                    value = float(value)
                except ValueError:
                    self.fail(key, "a number", value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(key, "a number", value)
            return float(value)
        if tp is str:
            if not isinstance(value, str):
                self.fail(key, "a string", value)
            return value
        if tp is Path:
            if not isinstance(value, (str, Path)):
                self.fail(key, "a file path", value)
            p = Path(value).expanduser()
            if not p.is_absolute() and self.base_dir is not None and not p.exists():
                candidate = self.base_dir / p
                if candidate.exists():
                    return candidate
            return p
        raise TypeError(f"unsupported config type {tp!r} at {key}")

    def dataclass(self, cls, value, key):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.fail(key, _describe(cls), value)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(map(str, value)) - set(fields))
        if unknown:
            self.fail(_join(key, unknown[0]), f"one of the keys {', '.join(fields)}", "unknown key")
        kwargs = {}
        for name, f in fields.items():
            sub = _join(key, name)
            if name not in value:
                if f.default is _MISSING and f.default_factory is _MISSING:
                    self.fail(sub, _describe(hints[name]) + " (required)", "nothing")
                continue
            v = self(hints[name], value[name], sub)
            self.check_range(f, v, sub)
            kwargs[name] = v
        obj = cls(**kwargs)
        check: Callable | None = getattr(obj, "check", None)
        if check is not None:
            check(lambda k, expected, got=_MISSING: self.fail(_join(key, k), expected, got))
        return obj

    def check_range(self, f, v, key):
        m = f.metadata
        if not m or not isinstance(v, (int, float)) or isinstance(v, bool):
            return
        if m.get("gt") is not None and not v > m["gt"]:
            self.fail(key, f"a number > {m['gt']}", v)
        if m.get("ge") is not None and not v >= m["ge"]:
            self.fail(key, f"a number >= {m['ge']}", v)
        if m.get("lt") is not None and not v < m["lt"]:
            self.fail(key, f"a number < {m['lt']}", v)
        if m.get("le") is not None and not v <= m["le"]:
            self.fail(key, f"a number <= {m['le']}", v)


def to_dict(obj: Any) -> Any:
    """A dataclass config as plain YAML-ready data (paths as strings), for the resolved config."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj
