"""The atnt-platform CrossGuard policy pack: ``pulumi preview --policy-pack policy``.

Every rule of ``rules.py`` becomes one policy with the rule's name, description and
enforcement: resource rules a ``ResourceValidationPolicy`` over the resource's inputs, stack
and cross-stack rules a ``StackValidationPolicy`` over the planned state. The wrappers only
adapt CrossGuard's arguments to ``rules.Res``; the judgement is the rules' own, the same that
``offline.py`` runs over the plan documents.

What a preview shows policies, and so what differs from the offline check:

* resource options: only ``protect`` (``PolicyResourceOptions``); not ``retainOnDelete``;
* values still to be computed (ids and ARNs of new resources) are unknown: a rule that needs
  one is reported as "can't run policy during preview" (advisory) instead of being judged;
* one stack at a time: the cross-stack rules see this stack's outputs and the outputs its
  StackReferences read (the edge owner reads the other stack), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

if TYPE_CHECKING or __package__:
    from policy import rules
else:  # pragma: no cover - the Pulumi CLI runs this folder as a script (`python policy`):
    # the folder itself is then sys.path[0] and there is no `policy` package to import from
    import rules

PACK_NAME = "atnt-platform"

LEVELS: Mapping[rules.Enforcement, EnforcementLevel] = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
}

_SENTINELS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


def plain(value: Any) -> Any:
    """CrossGuard's property proxies as plain dicts and lists, with every unknown value
    (which the proxies raise on) as ``rules.Unknown``: the rules then read plan documents and
    previews alike and decide themselves when an unknown value matters."""
    if isinstance(value, str):
        return rules.Unknown(value) if value in _SENTINELS else value
    if isinstance(value, Mapping):
        result = {}
        for key in value:  # iterating a proxy does not check values; indexing does
            try:
                result[str(key)] = plain(value[key])
            except UnknownValueError as unknown:
                result[str(key)] = rules.Unknown(unknown.unknown_type_sentinel)
        return result
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError as unknown:
                items.append(rules.Unknown(unknown.unknown_type_sentinel))
        return items
    return value


def _provider_region(provider: PolicyProviderResource | None) -> str | None:
    """The region of an AWS provider (None for other providers and components)."""
    if provider is None or not provider.resource_type.startswith("pulumi:providers:aws"):
        return None
    region = plain(provider.props).get("region")
    return region if isinstance(region, str) else None


def resource_of(r: ResourceValidationArgs | PolicyResource) -> rules.Res:
    """A resource as the rules see it: the one being validated, or one of the stack's
    (with its planned state as props)."""
    return rules.Res(
        type=r.resource_type,
        name=r.name,
        props=plain(r.props),
        urn=r.urn,
        protect=bool(r.opts.protect),
        retain_on_delete=None,  # not passed to policies (PolicyResourceOptions has no field)
        provider_region=_provider_region(r.provider),
    )


def resources_of(args: StackValidationArgs) -> list[rules.Res]:
    """The stack's resources."""
    return [resource_of(r) for r in args.resources]


def _unknown(error: rules.UnknownValue) -> UnknownValueError:
    """The rules' signal as CrossGuard's, which reports the policy as not runnable yet."""
    return UnknownValueError(error.sentinel or UNKNOWN_STRING_VALUE, error.path)


def resource_policy(rule: rules.ResourceRule) -> ResourceValidationPolicy:
    """A resource rule as a CrossGuard policy over each resource's inputs."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        try:
            messages = rule.check(resource_of(args))
        except rules.UnknownValue as error:
            raise _unknown(error) from None
        for message in messages:
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=LEVELS[rule.enforcement],
    )


def _stack_policy(
    rule: rules.StackRule | rules.CrossStackRule,
    check: Callable[[list[rules.Res]], Sequence[rules.Finding]],
) -> StackValidationPolicy:
    """A rule over the stack's planned state; ``check`` judges its resources."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            findings = check(resources_of(args))
        except rules.UnknownValue as error:
            raise _unknown(error) from None
        for finding in findings:
            report_violation(finding.message, finding.urn or None)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=LEVELS[rule.enforcement],
    )


def stack_policy(rule: rules.StackRule) -> StackValidationPolicy:
    """A stack rule as a CrossGuard policy over the stack's planned state."""
    return _stack_policy(rule, rule.check)


def cross_stack_policy(rule: rules.CrossStackRule) -> StackValidationPolicy:
    """A cross-stack rule over what this stack can see: its own outputs (on the root stack
    resource) and the outputs of the stacks it reads through StackReferences."""
    return _stack_policy(rule, lambda resources: rule.check(rules.facts_from_resources(resources)))


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every rule of the catalogue as a CrossGuard policy, in catalogue order."""
    return [
        *(resource_policy(rule) for rule in rules.RESOURCE_RULES),
        *(stack_policy(rule) for rule in rules.STACK_RULES),
        *(cross_stack_policy(rule) for rule in rules.CROSS_STACK_RULES),
    ]


# Constructing the pack starts CrossGuard's gRPC server and blocks serving the engine, as the
# CLI expects; tests import this module with PolicyPack patched.
PolicyPack(
    name=PACK_NAME,
    policies=[*policies()],
    enforcement_level=EnforcementLevel.MANDATORY,
    description="ATnT platform guardrails: encryption, protection, logging, private nodes, "
    "least privilege and one active region",
)
