"""Check custom resources against the real CRD schemas: the API server prunes unknown fields.

The CRDs are the ``crds/*.yaml`` files of the team's chart folders (reference data kept
outside this repository, see :func:`offline.chart_values.charts_dir`). A misspelt key in a
custom resource is not an error for Kubernetes: a structural schema drops it silently and the
operator runs with its default. So validation runs on a *strict* copy of each schema, where
every object that lists its ``properties`` rejects any other key (unless the CRD keeps unknown
fields there on purpose). CEL rules (``x-kubernetes-validations``) are not evaluated.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

#: libyaml's loader when built in: the Strimzi and Argo CD CRDs are megabytes of YAML.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Keywords that combine whole schemas; their branches are not part of the structural tree.
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")

#: What ``x-kubernetes-int-or-string`` CRDs usually spell out beside the marker.
_INT_OR_STRING_ANY_OF = [{"type": "integer"}, {"type": "string"}]

#: Longest error message kept: jsonschema quotes whole objects, which can be huge.
_MAX_MESSAGE = 300

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Inline flags after the anchor, ``^(?i)...``: Go's RE2 takes them, Python's ``re`` does not.
_LATE_FLAGS = re.compile(r"^\^(\(\?[aiLmsux]+\))")


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a CRD's ``openAPIV3Schema`` that rejects unknown keys.

    The root's ``metadata`` is left as the CRD has it: it is the object's ObjectMeta, which
    CRDs describe as a bare ``type: object`` and the API server validates on its own.
    """
    strict = _strict(schema, structural=True)
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and "metadata" in properties:
        strict["properties"]["metadata"] = _strict(properties["metadata"], structural=False)
    return strict


def _strict(node: Any, *, structural: bool) -> Any:
    """Copy one schema node; ``structural`` is False below allOf/anyOf/oneOf/not.

    Branches of a junctor list only the properties they constrain (Strimzi's ``env`` items,
    for example, are "``value`` or ``valueFrom``"); closing them would reject valid objects.
    Only the structural tree (properties, items, additionalProperties) decides which keys exist.
    """
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {name: _strict(sub, structural=structural) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _strict(value, structural=structural)
        elif key == "pattern" and isinstance(value, str):
            pattern = _python_pattern(value)
            if pattern is not None:
                out[key] = pattern
        elif key in _JUNCTORS:
            branches = value if isinstance(value, list) else [value]
            copied = [_strict(branch, structural=False) for branch in branches]
            out[key] = copied if isinstance(value, list) else copied[0]
        else:
            # Literal data (enum, default, required...) and keywords jsonschema ignores
            # (x-kubernetes-*, format, description) are kept as they are.
            out[key] = value
    if out.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
        if out.get("anyOf") == _INT_OR_STRING_ANY_OF:
            del out["anyOf"]  # same constraint; dropping it keeps the error message plain
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]  # OpenAPI 3.0's nullable is not JSON Schema
    if (
        structural
        and isinstance(out.get("properties"), Mapping)
        and out.get("x-kubernetes-preserve-unknown-fields") is not True
        and "additionalProperties" not in out
    ):
        out["additionalProperties"] = False
    return out


def _python_pattern(pattern: str) -> str | None:
    """A CRD's RE2 ``pattern`` in Python's syntax, or None when ``re`` cannot express it.

    An uncompilable pattern would make jsonschema raise mid-validation; skipping that one
    constraint loses less than failing the whole check.
    """
    candidates = [pattern, _LATE_FLAGS.sub(r"\1^", pattern)]
    for candidate in candidates:
        try:
            re.compile(candidate)
        except re.error:
            continue
        return candidate
    return None


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a CRD, as found in a chart folder."""

    api_version: str
    kind: str
    source: Path
    schema: Mapping[str, Any]


@dataclass
class CrdCatalog:
    """The served versions of every CRD in the chart folders, by apiVersion and kind."""

    versions: dict[tuple[str, str], CrdVersion]
    #: Strict schemas compiled on first use: building them walks megabytes of schema.
    _validators: dict[tuple[str, str], Draft202012Validator] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def load(cls, charts_dir: Path) -> CrdCatalog:
        """Read every ``<chart>/crds/*.yaml`` below ``charts_dir``."""
        versions: dict[tuple[str, str], CrdVersion] = {}
        for path in sorted(charts_dir.glob("*/crds/*.yaml")):
            for crd in _crd_documents(path):
                for version in _served_versions(crd, path):
                    key = (version.api_version, version.kind)
                    known = versions.get(key)
                    if known is not None and known.schema != version.schema:
                        # Two differing schemas for one kind: either could be the one the
                        # cluster has, so checking against one of them would be a guess.
                        raise ValueError(
                            f"{version.api_version} {version.kind}: defined differently in "
                            f"{known.source} and {version.source}"
                        )
                    versions.setdefault(key, version)
        return cls(versions)

    def kinds(self) -> list[tuple[str, str]]:
        """Every ``(apiVersion, kind)`` known, sorted."""
        return sorted(self.versions)

    def validate(self, api_version: str, kind: str, body: Mapping[str, Any]) -> list[str]:
        """Errors in ``body`` (the whole object) against its CRD; empty when it is valid."""
        if (api_version, kind) not in self.versions:
            group = api_version.rsplit("/", 1)[0]
            same_group = sorted(f"{a} {k}" for a, k in self.versions if a.startswith(f"{group}/"))
            hint = f" (known in this group: {', '.join(same_group)})" if same_group else ""
            return [f"{api_version} {kind}: no CRD is known for this apiVersion and kind{hint}"]
        errors: list[str] = []
        for name, expected in (("apiVersion", api_version), ("kind", kind)):
            if name in body and body[name] != expected:
                errors.append(
                    f"{name}: is {body[name]!r} but the object is checked as {expected!r}"
                )
        for error in self._validator(api_version, kind).iter_errors(body):
            errors.extend(_describe(error))
        return sorted(dict.fromkeys(errors))

    def _validator(self, api_version: str, kind: str) -> Draft202012Validator:
        key = (api_version, kind)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(strict_schema(self.versions[key].schema))
        return self._validators[key]


def _crd_documents(path: Path) -> Iterable[Mapping[str, Any]]:
    """The CustomResourceDefinitions in one file, which may hold several documents."""
    text = path.read_text()
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{{"):
        # A Helm template (argo-cd's CRDs): the directives wrap the document and sit only in
        # metadata's annotations and labels, so dropping their lines leaves the plain CRD.
        text = "\n".join(line for line in lines if "{{" not in line)
    for document in yaml.load_all(text, Loader=_LOADER):
        if isinstance(document, Mapping) and document.get("kind") == "CustomResourceDefinition":
            yield document


def _served_versions(crd: Mapping[str, Any], source: Path) -> Iterable[CrdVersion]:
    spec = crd.get("spec", {})
    group, kind = spec.get("group", ""), spec.get("names", {}).get("kind", "")
    for version in spec.get("versions", []):
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if version.get("served", False) and isinstance(schema, Mapping):
            yield CrdVersion(f"{group}/{version['name']}", kind, source, schema)


def _json_path(parts: Iterable[Any]) -> str:
    """``["spec", "listeners", 0, "tls"]`` -> ``spec.listeners[0].tls``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            path += f".{part}" if path else str(part)
        else:
            path += f"[{str(part)!r}]"  # label keys such as "karpenter.sh/capacity-type"
    return path


def _describe(error: ValidationError) -> list[str]:
    """Human-readable lines for one jsonschema error, each naming the field's path."""
    parts = list(error.absolute_path)
    where = _json_path(parts) or "(object)"
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = sorted(error.schema.get("properties", {}))
        lines = []
        for key in instance:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(known)}"
            lines.append(
                f"{_json_path([*parts, key])}: unknown field, the API server would drop it; {hint}"
            )
        return lines
    if error.validator == "required" and isinstance(instance, Mapping):
        return [
            f"{_json_path([*parts, name])}: required field is missing"
            for name in error.validator_value
            if name not in instance
        ]
    message = error.message
    if error.context:
        message += f" (closest branch: {best_match(error.context).message})"
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return [f"{where}: {message}"]
