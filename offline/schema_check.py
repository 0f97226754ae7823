"""Check registered inputs against the installed SDKs' input types: the mocks accept anything.

Under mocks a misspelt nested key (``scalingConfig.desireSize``), a dict key left in Python
spelling (``endpoint_id`` where the wire name is ``endpointId``) or an invalid enum value is
registered as given; a real deployment then fails, or worse, the provider drops the key. This
module catches those offline by walking each resource's wire inputs along the SDK's own types:

* The type token names its resource class through the package's own registration, the
  ``resource_modules`` JSON each SDK's ``__init__.py`` hands to ``_utilities.register``
  (``{"fqn": "pulumi_aws.eks", "classes": {"aws:eks/nodeGroup:NodeGroup": "NodeGroup"}}``);
  the inputs are the input type its constructor's ``args`` parameter takes (``<Class>Args``,
  or ``<Class>InitArgs`` where a nested type already has that name).
* An input type's wire names are its ``@pulumi.getter(name=...)`` properties; each property's
  return annotation (``Input``/``Optional``/``Union``/``Sequence``/``Mapping``, string forward
  references resolved in the defining module) says what a value may be, and leads to the
  nested ``*Args`` types. ``*ArgsDict`` TypedDicts are the same shape and are ignored.
* ``Mapping[str, ...]`` accepts any key; ``Any`` (Helm ``values``, a CustomResource's ``spec``)
  is free-form and not looked into. An SDK enum or ``Literal`` limits a string to its values.

Scalars are not type-checked against each other (the bridged providers convert between
strings, numbers and booleans), but objects, lists and scalars are told apart, except that a
string input also takes an object or list (the provider JSON-encodes it). ``"[secret]"`` and
``"[resource]"`` are plan placeholders and pass anywhere.
"""

from __future__ import annotations

import collections.abc as abc
import difflib
import importlib
import importlib.util
import json
import re
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, ForwardRef, Literal, Union

import pulumi
from pulumi import _types as pulumi_types

#: What the plan writes instead of a secret or a resource reference.
PLACEHOLDERS = frozenset({"[secret]", "[resource]"})

#: Forward references (annotation text, module) the checker could not resolve and so let
#: anything through for; empty on the real plans (a test keeps it so).
UNRESOLVED: set[tuple[str, str]] = set()

#: Project components: their inputs are Python arguments, never registered for a provider.
PROJECT_PREFIX = "atnt:"

#: The ``resource_modules`` JSON literal an SDK's ``__init__.py`` registers.
_REGISTRATION = re.compile(r'resource_modules\s*=\s*"""(.*?)"""', re.DOTALL)

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_SEQUENCES = (abc.Sequence, abc.MutableSequence, list, tuple)
_MAPPINGS = (abc.Mapping, abc.MutableMapping, dict)
_SCALARS = (str, int, float, bool)

#: Names pulumi's own annotations leave as strings: ``Input[T]`` is
#: ``Union[T, Awaitable[T], "Output[T]"]`` and the string is never specialised, so it is read
#: as ``Output[None]``, which adds nothing to the ``T`` beside it (pulumi resolves it alike).
_PULUMI_LOCALS: dict[str, Any] = {"Output": pulumi.Output, "T": type(None)}

#: How many valid keys an error lists when no single one is close to the wrong key.
_MAX_LISTED = 15

_Kind = Literal["any", "object", "map", "list", "enum", "literal", "scalar", "resource", "dict"]


@dataclass(frozen=True)
class _Shape:
    """One thing an annotation allows.

    ``target`` is the input type, enum or scalar class; for ``map`` and ``list`` the element
    annotation (resolved lazily in ``module``); for ``literal`` the tuple of allowed values.
    """

    kind: _Kind
    target: Any = None
    module: str = ""


@dataclass(frozen=True)
class _Property:
    """One input of an input type: its Python name and unresolved annotation."""

    python_name: str
    annotation: Any
    module: str


def check_resource(type_token: str, inputs: Mapping[str, Any], *, name: str = "") -> list[str]:
    """Errors in one resource's wire inputs; ``[]`` when fine or not checkable.

    Not checkable: tokens of packages with no installed ``pulumi_<package>`` SDK, and
    Kubernetes kinds the SDK does not know (custom resources, checked against their CRDs
    elsewhere). A token the SDK of its package does not know is an error. Each message starts
    with the type token and ``name`` (when given), then the JSON path of the offending value.
    """
    prefix = f"{type_token} {name}".rstrip() + ": "
    package = type_token.split(":", 1)[0]
    classes = _resource_classes(package)
    if classes is None:
        return []
    location = classes.get(type_token)
    if location is None:
        if package == "kubernetes":
            return []
        return [f"{prefix}not a resource type of pulumi_{_module_name(package)}"]
    args_cls = _args_class(*location)
    if args_cls is None:
        return [f"{prefix}no input type found for {location[0]}.{location[1]}"]
    errors: list[str] = []
    _check_object(inputs, args_cls, "", errors)
    return [prefix + e for e in errors]


def check_document(document: Mapping[str, Any]) -> list[str]:
    """Errors in every checkable resource of a plan document (``build/plan/<stack>.json``).

    Skipped: providers and other ``pulumi:`` built-ins (StackReference), and this project's
    own components. Other components are checked when their SDK registers them: remote
    components such as ``eks:index:Cluster`` (``custom: false``) send their ``ClusterArgs``
    inputs to a provider like any resource.
    """
    errors: list[str] = []
    for resource in document.get("resources", []):
        type_token = str(resource["type"])
        if type_token.startswith(("pulumi:", PROJECT_PREFIX)):
            continue
        errors += check_resource(type_token, resource.get("inputs") or {}, name=resource["name"])
    return errors


# --- Type token -> resource class -> input type ---------------------------------------------


def _module_name(package: str) -> str:
    return package.replace("-", "_")


@cache
def _resource_classes(package: str) -> dict[str, tuple[str, str]] | None:
    """Type token -> (module, class name) as the package's SDK registers them.

    The registration is read from the package's ``__init__.py`` source rather than by
    importing it: ``pulumi_aws`` registers over a thousand modules, and only the few a plan
    uses need importing. ``None`` when the SDK is not installed.
    """
    try:
        spec = importlib.util.find_spec(f"pulumi_{_module_name(package)}")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    with open(spec.origin, encoding="utf-8") as init:
        match = _REGISTRATION.search(init.read())
    if match is None:
        return {}
    classes: dict[str, tuple[str, str]] = {}
    for module in json.loads(match.group(1)):
        for token, class_name in module["classes"].items():
            classes[token] = (module["fqn"], class_name)
    return classes


@cache
def _args_class(fqn: str, class_name: str) -> type | None:
    """The input type of a resource class: what its constructor's ``args`` parameter takes.

    The generated name is ``<Class>Args`` unless that collides with a nested type of the same
    module (``pulumi_aws.s3.BucketVersioningArgs`` is the Bucket's ``versioning`` block; the
    resource's own is ``BucketVersioningInitArgs``), so the constructor's overloads decide.
    """
    resource_cls = getattr(importlib.import_module(fqn), class_name)
    module = resource_cls.__module__
    for overload in typing.get_overloads(resource_cls.__init__):
        annotation = overload.__annotations__.get("args")
        if annotation is None:
            continue
        for shape in _shapes(annotation, module):
            if shape.kind == "object":
                return typing.cast(type, shape.target)
    for suffix in ("Args", "InitArgs"):
        args_cls = getattr(sys.modules[module], f"{class_name}{suffix}", None)
        if isinstance(args_cls, type) and pulumi_types.is_input_type(args_cls):
            return args_cls
    return None


@cache
def _properties(args_cls: type) -> dict[str, _Property]:
    """Wire name -> property of an input type, from its ``@pulumi.getter`` properties.

    pulumi's own table (``_py_properties``) is read so names follow exactly the rules the SDK
    serializes by; annotations stay unresolved until a value actually reaches them.
    """
    properties: dict[str, _Property] = {}
    for python_name, wire_name, prop in pulumi_types._py_properties(args_cls):
        getter = prop.fget
        annotation = getattr(getter, "__annotations__", {}).get("return", Any)
        properties[wire_name] = _Property(python_name, annotation, args_cls.__module__)
    return properties


# --- Annotations -> shapes ------------------------------------------------------------------


def _shapes(annotation: Any, module: str) -> tuple[_Shape, ...]:
    """What an annotation allows, wrappers (Input, Output, Optional, Union) flattened."""
    try:
        return _cached_shapes(annotation, module)
    except TypeError:  # an unhashable annotation: rare enough not to cache
        return _compute_shapes(annotation, module)


@cache
def _cached_shapes(annotation: Any, module: str) -> tuple[_Shape, ...]:
    return _compute_shapes(annotation, module)


def _compute_shapes(annotation: Any, module: str) -> tuple[_Shape, ...]:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        try:
            resolved = eval(annotation.__forward_arg__, vars(sys.modules[module]), _PULUMI_LOCALS)
        except Exception:
            # An SDK name this module cannot see: accept rather than report a false error, but
            # keep it where the tests look (an SDK upgrade could otherwise switch checks off).
            UNRESOLVED.add((annotation.__forward_arg__, module))
            return (_Shape("any"),)
        return _shapes(resolved, module)
    if annotation is Any or annotation is object or isinstance(annotation, typing.TypeVar):
        return (_Shape("any"),)
    if annotation is type(None):
        return ()
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is Union or origin is types.UnionType:
        found: dict[_Shape, None] = {}
        for member in arguments:
            found.update(dict.fromkeys(_shapes(member, module)))
        return tuple(found)
    if origin is Literal:
        return (_Shape("literal", arguments),)
    if origin is pulumi.Output or origin is abc.Awaitable:
        # Input[T] is Union[T, Awaitable[T], Output[T]]: all three allow the same values.
        return _shapes(arguments[0], module) if arguments else (_Shape("any"),)
    if origin in _SEQUENCES:
        return (_Shape("list", arguments[0] if arguments else Any, module),)
    if origin in _MAPPINGS:
        return (_Shape("map", arguments[1] if len(arguments) == 2 else Any, module),)
    if isinstance(annotation, type):
        return (_class_shape(annotation),)
    return (_Shape("any"),)


def _class_shape(cls: type) -> _Shape:
    if issubclass(cls, Enum):
        return _Shape("enum", cls)
    if pulumi_types.is_input_type(cls):
        return _Shape("object", cls)
    if typing.is_typeddict(cls):
        return _Shape("dict", cls)
    if issubclass(cls, pulumi.Resource):
        return _Shape("resource", cls)
    if cls in _SCALARS:
        return _Shape("scalar", cls)
    if issubclass(cls, abc.Mapping):
        return _Shape("map", Any)
    return _Shape("any")


# --- Values against shapes ------------------------------------------------------------------


def _check_object(value: Mapping[str, Any], args_cls: type, path: str, out: list[str]) -> None:
    properties = _properties(args_cls)
    for key, item in value.items():
        key_path = _join(path, key)
        prop = properties.get(key)
        if prop is None:
            out.append(_unknown_key(key_path, key, args_cls, properties))
            continue
        _check_value(item, _shapes(prop.annotation, prop.module), key_path, out)


def _check_value(value: Any, shapes: tuple[_Shape, ...], path: str, out: list[str]) -> None:
    if value is None or (isinstance(value, str) and value in PLACEHOLDERS):
        return
    if not shapes or any(s.kind == "any" for s in shapes):
        return
    if isinstance(value, Mapping | list):
        wanted = ("object", "map") if isinstance(value, Mapping) else ("list",)
        structured = [s for s in shapes if s.kind in wanted]
        if structured:
            _check_alternatives(value, structured, path, out)
        elif not any(s.kind == "dict" or s.target is str for s in shapes):
            # A string input takes an object or list too: the provider JSON-encodes it, which
            # pulumi keeps working on purpose (``aws.s3.BucketPolicy.policy`` given a dict).
            what = "an object" if isinstance(value, Mapping) else "a list"
            out.append(f"{path} is {what}, expected {_describe(shapes)}")
    else:
        _check_scalar(value, shapes, path, out)


def _check_alternatives(value: Any, shapes: list[_Shape], path: str, out: list[str]) -> None:
    """Accept the value if one alternative takes it; else report the closest one's errors."""
    best: list[str] | None = None
    for shape in shapes:
        errors: list[str] = []
        if shape.kind == "object":
            _check_object(value, shape.target, path, errors)
        elif shape.kind == "map":
            element = _shapes(shape.target, shape.module)
            for key, item in value.items():
                _check_value(item, element, _join(path, str(key)), errors)
        else:
            element = _shapes(shape.target, shape.module)
            for index, item in enumerate(value):
                _check_value(item, element, f"{path}[{index}]", errors)
        if not errors:
            return
        if best is None or len(errors) < len(best):
            best = errors
    out.extend(best or ())


def _check_scalar(value: Any, shapes: tuple[_Shape, ...], path: str, out: list[str]) -> None:
    allowed: list[Any] = []
    names: list[str] = []
    for shape in shapes:
        if shape.kind == "enum":
            allowed += [member.value for member in shape.target]
            names.append(f"{shape.target.__name__} values")
        elif shape.kind == "literal":
            allowed += list(shape.target)
            names.append("the allowed values")
    if allowed:
        # Open enums (Union[str, SomeEnum]) are held to their values too: the SDK lists every
        # value the provider's schema knows, and an unlisted one is a typo far more often
        # than a value newer than the SDK.
        if value not in allowed:
            listed = ", ".join(repr(v) for v in allowed)
            message = f"{path} = {value!r} is not one of {' or '.join(names)}: {listed}"
            spelled = [str(v) for v in allowed]
            # Case is the commonest slip ("overwrite" for OVERWRITE), and difflib weighs it fully.
            close = [v for v in spelled if v.lower() == str(value).lower()]
            close = close or difflib.get_close_matches(str(value), spelled, n=1)
            out.append(message + (f"; did you mean {close[0]!r}?" if close else ""))
        return
    if not any(s.kind in ("scalar", "resource", "dict") for s in shapes):
        out.append(f"{path} is {type(value).__name__} {value!r}, expected {_describe(shapes)}")


# --- Messages -------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _unknown_key(path: str, key: str, args_cls: type, properties: Mapping[str, _Property]) -> str:
    message = f"{path} is not an input of {args_cls.__name__}"
    by_python_name = {p.python_name: wire for wire, p in properties.items()}
    if key in by_python_name and by_python_name[key] != key:
        wire = by_python_name[key]
        return (
            f"{message}; did you mean {wire}? ({key} is its Python name: the keys of a plain "
            "dict reach the provider as written)"
        )
    close = difflib.get_close_matches(key, list(properties), n=1)
    if close:
        return f"{message}; did you mean {close[0]}?"
    if len(properties) <= _MAX_LISTED:
        return f"{message} (inputs: {', '.join(sorted(properties)) or 'none'})"
    return message


def _describe(shapes: Iterable[_Shape]) -> str:
    described: dict[str, None] = {}
    for shape in shapes:
        if shape.kind in ("object", "enum", "resource", "dict") or shape.kind == "scalar":
            text = shape.target.__name__
        elif shape.kind == "literal":
            text = " or ".join(repr(v) for v in shape.target)
        else:
            text = shape.kind
        described[text] = None
    return " or ".join(described) or "nothing"
