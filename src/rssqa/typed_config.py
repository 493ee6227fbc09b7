"""One way to read every YAML config rssqa takes (experiment, assessor, benchmark, CLIP-RS pipeline
and training): a plain mapping becomes a typed dataclass, checked against its annotations.

Unknown keys are listed with the known ones, missing required keys are named, a value of the wrong
type says where it sits (``pool.methods[1].kwargs must be a mapping``), and nothing but
:class:`~rssqa.errors.InputError` ever leaves, whatever the file holds. Range checks belong to the
dataclasses themselves (``__post_init__``), which see typed values.

Why not pydantic (installed with FastAPI): the configs stay plain standard-library dataclasses
that saved runs and checkpoints record with ``asdict``, nothing is coerced behind the user's back
(``"4"`` is not an integer, ``1`` is not ``true``), and every message keeps the project's
one-line ``<file>: <where> <what>. <what to do>`` form; the whole job is the short walk below.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rssqa.errors import InputError

C = TypeVar("C")


# A config is a few hundred values; these bounds refuse files that would make rssqa do unbounded
# work before any setting is read (a "billion laughs" of nested aliases expands a 1 KB file into
# billions of values once anything copies it). A program that truly needs more raises them by
# assigning the module attribute (``rssqa.typed_config.MAX_YAML_VALUES = 10**6``) before loading.
MAX_YAML_BYTES = 1_000_000  # size of the file
MAX_YAML_VALUES = 100_000  # scalars, lists and mappings, with every alias expanded
MAX_YAML_DEPTH = 64  # lists and mappings nested in one another


def read_yaml(path: str | Path, what: str, example: str) -> dict[str, Any]:
    """The mapping in the YAML file ``path``; an absent file, bad syntax, a key given twice, a
    file past the limits above or a top level that is not a mapping is an error that names
    ``what`` the file should be and an ``example``."""
    path = Path(path)
    if not path.is_file():
        problem = "is a folder, not a file" if path.is_dir() else "file not found"
        raise InputError(path, f"{what} {problem}", f"give the path of a YAML file such as {example}")
    try:
        data = _load_bounded(_read_bounded(path, what))
    except _Refused as refused:
        raise InputError(path, f"line {refused.line}: {refused.problem}", refused.hint) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(path, f"is not valid YAML ({error})".replace("\n", " "),
                         "fix the syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(path, f"{what} must be a mapping of settings, got {type(data).__name__}",
                         f"see {example}")
    return data


def _read_bounded(path: Path, what: str) -> str:
    """The file's text, read no further than one byte past MAX_YAML_BYTES."""
    with path.open("rb") as handle:
        content = handle.read(MAX_YAML_BYTES + 1)
    if len(content) > MAX_YAML_BYTES:
        raise InputError(path, f"{what} is larger than {MAX_YAML_BYTES:,} bytes "
                         "(rssqa.typed_config.MAX_YAML_BYTES)",
                         "give the YAML config itself, not a data file")
    return content.decode()


class _Refused(Exception):
    """A YAML document refused at ``line`` (1-based) for ``problem``, before it is built."""

    def __init__(self, mark: yaml.Mark, problem: str, hint: str):
        super().__init__(problem)
        self.line, self.problem, self.hint = mark.line + 1, problem, hint


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts the document's values as they would be once every alias
    is expanded (an alias adds the size of the value it repeats), and refuses a document past
    MAX_YAML_VALUES or MAX_YAML_DEPTH, an alias inside the value it names, and a key given twice
    in one mapping (plain PyYAML keeps the last silently)."""

    def __init__(self, text: str):
        super().__init__(text)
        self._values, self._depth = 0, 0
        self._expanded: dict[int, int] = {}  # id(node) -> its size expanded, once composed

    def compose_node(self, parent, index):
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor
            node = super().compose_node(parent, index)
            if id(node) not in self._expanded:
                raise _Refused(mark, f"alias *{anchor} lies inside the value &{anchor} it repeats",
                               "a value cannot contain itself: remove the alias")
            self._count(self._expanded[id(node)], mark)
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _Refused(mark, f"values are nested more than {MAX_YAML_DEPTH} deep "
                           "(rssqa.typed_config.MAX_YAML_DEPTH)", "flatten the config")
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._expanded[id(node)] = 1 + sum(self._expanded[id(child)] for child in _children(node))
        self._count(1, mark)
        return node

    def _count(self, values: int, mark: yaml.Mark) -> None:
        self._values += values
        if self._values > MAX_YAML_VALUES:
            raise _Refused(mark, f"the document expands to more than {MAX_YAML_VALUES:,} values "
                           "here (rssqa.typed_config.MAX_YAML_VALUES), through its aliases (*name)",
                           "write the values out, or repeat fewer of them")

    def construct_mapping(self, node, deep=False):
        first_seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue  # ``<<: *defaults`` merges are meant to be overridden
            key, line = self.construct_object(key_node), key_node.start_mark.line + 1
            if key in first_seen:
                raise _Refused(key_node.start_mark, f"key {key!r} is given twice in one mapping "
                               f"(first at line {first_seen[key]})", "keep only one of them")
            first_seen[key] = line
        return super().construct_mapping(node, deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_bounded(text: str) -> Any:
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml_config(cls: type[C], path: str | Path, what: str, example: str,
                     overrides: dict[str, Any] | None = None, refuse_empty: bool = False) -> C:
    """``from_dict(cls, ...)`` of the YAML file ``path`` (plus ``overrides``); errors name the
    file. ``refuse_empty``: a file without a single setting is an error, not all defaults."""
    data = {**read_yaml(path, what, example), **(overrides or {})}
    if refuse_empty and not data:
        raise InputError(path, f"{what} is empty", f"give its settings; see {example}")
    try:
        return from_dict(cls, data)
    except InputError as error:
        raise InputError(path, error.problem, error.hint or "fix the config") from None


def from_dict(cls: type[C], data: Any, where: str = "") -> C:
    """Dataclass ``cls`` from a plain mapping, recursing into nested dataclasses, lists, tuples,
    mappings and optional values; ``where`` prefixes every message (the key path so far)."""
    if not isinstance(data, dict):
        raise InputError(None, f"{_at(where)}must be a mapping, got {_describe(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(str(key) for key in set(data) - set(fields))
    if unknown:
        raise InputError(None, f"{_at(where)}unknown key(s) {', '.join(unknown)}",
                         f"known keys: {', '.join(sorted(fields))}")
    missing = [name for name, f in fields.items() if name not in data
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise InputError(None, f"{_at(where)}missing required key(s) {', '.join(missing)}")
    values = {name: convert(hints[name], value, _join(where, name)) for name, value in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:  # a __post_init__ that is not ours to change
        raise InputError(None, f"{_at(where)}{error}") from None


def as_config(cls: type[C], value: C | dict | None, where: str) -> C:
    """``value`` as a ``cls``: itself if it is one, the defaults for None, and a mapping through
    :func:`from_dict`, so that a typo in a nested setting is located like any other."""
    if value is None:
        return cls()
    return value if isinstance(value, cls) else from_dict(cls, value, where)


def convert(hint: Any, value: Any, where: str) -> Any:
    """``value`` as type ``hint``, or an error saying where it is and what was expected."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _convert_optional(args, value, where)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if origin is list or hint is list:
        items = _sequence(value, where, "a list")
        return [convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(items)] if args else items
    if origin is tuple or hint is tuple:
        items = _sequence(value, where, "a list")
        item = args[0] if args else Any
        return tuple(convert(item, v, f"{where}[{i}]") for i, v in enumerate(items))
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise InputError(None, f"{where} must be a mapping, got {_describe(value)}")
        return value
    return _convert_scalar(hint, value, where)


def _convert_optional(args: tuple, value: Any, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) != 1:
        return value  # a union of several kinds: the dataclass checks it
    return convert(options[0], value, where)


def _convert_scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(None, f"{where} must be true or false, got {_describe(value)}")
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(None, f"{where} must be an integer, got {_describe(value)}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(None, f"{where} must be a number, got {_describe(value)}")
        return float(value)
    elif hint is str:
        if not isinstance(value, str):
            raise InputError(None, f"{where} must be text, got {_describe(value)}")
    elif hint is Path:
        if not isinstance(value, (str, Path)):
            raise InputError(None, f"{where} must be a path, got {_describe(value)}")
        return Path(value)
    return value


def _sequence(value: Any, where: str, expected: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise InputError(None, f"{where} must be {expected}, got {_describe(value)}")
    return list(value)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def below(obj: Any, minimum: float, *names: str) -> list[str]:
    """Problems of the fields ``names`` of ``obj`` that are set (not None) and below ``minimum``."""
    return [f"{name} must be at least {minimum}, got {getattr(obj, name)}" for name in names
            if getattr(obj, name) is not None and getattr(obj, name) < minimum]


def not_positive(obj: Any, *names: str) -> list[str]:
    return [f"{name} must be positive, got {getattr(obj, name)}" for name in names
            if getattr(obj, name) is not None and getattr(obj, name) <= 0]


def refuse(problems: list[str], hint: str) -> None:
    """One error listing every problem a config's ``__post_init__`` found; nothing when none."""
    if problems:
        raise InputError(None, "; ".join(problems), hint)
