"""The credentials the platform issues rotate: Secrets Manager calls the stack's function on a
schedule, the function follows the single-user rotation contract, and may touch nothing else."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest

from components.cluster.secret_rotation import HANDLER
from config.catalog import MANUALLY_ROTATED, ROTATED_SECRETS, ROTATION_DAYS
from offline.view import PlanView

ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"


class FakeSecretsManager:
    """Secrets Manager's versions and stages of one secret, as the rotation steps see them."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, name: str, value: dict[str, str]) -> None:
        self.name = name
        self.versions: dict[str, dict[str, Any]] = {
            "v1": {"value": value, "stages": ["AWSCURRENT"]}
        }
        self.passwords = iter(f"generated-{i}" for i in range(100))

    def describe_secret(self, SecretId: str) -> dict[str, Any]:
        stages = {v: d["stages"] for v, d in self.versions.items()}
        return {"Name": self.name, "RotationEnabled": True, "VersionIdsToStages": stages}

    def get_secret_value(self, SecretId: str, VersionStage: str, VersionId: str | None = None):
        for version, data in self.versions.items():
            if VersionStage in data["stages"] and VersionId in (None, version) and "value" in data:
                return {"SecretString": json.dumps(data["value"])}
        raise self.exceptions.ResourceNotFoundException()

    def get_random_password(self, PasswordLength: int, ExcludePunctuation: bool):
        return {"RandomPassword": next(self.passwords)}

    def put_secret_value(self, SecretId, ClientRequestToken, SecretString, VersionStages):
        self.versions[ClientRequestToken] = {"value": json.loads(SecretString),
                                             "stages": list(VersionStages)}  # fmt: skip

    def update_secret_version_stage(self, SecretId, VersionStage, MoveToVersionId,
                                    RemoveFromVersionId):  # fmt: skip
        self.versions[RemoveFromVersionId]["stages"].remove(VersionStage)
        self.versions[MoveToVersionId]["stages"].append(VersionStage)


def _function(fake: FakeSecretsManager, monkeypatch: pytest.MonkeyPatch) -> Any:
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda service: fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "boto3", boto3)
    monkeypatch.setenv("ROTATED_FIELDS", json.dumps({fake.name: ["password"]}))
    module: dict[str, Any] = {}
    exec(compile(HANDLER, "index.py", "exec"), module)  # the function's own code
    return module["handler"]


def test_a_rotation_makes_a_new_password_current_and_keeps_the_other_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeSecretsManager("atnt/us-east-1/kafka-mirror", {"password": "first", "user": "mm2"})
    handler = _function(fake, monkeypatch)
    fake.versions["v2"] = {"stages": ["AWSPENDING"]}  # what Secrets Manager does first
    for step in ("createSecret", "createSecret", "setSecret", "testSecret", "finishSecret"):
        handler({"SecretId": "arn", "ClientRequestToken": "v2", "Step": step}, None)
    assert fake.versions["v2"] == {
        "value": {"password": "generated-0", "user": "mm2"},  # one password, retried step
        "stages": ["AWSPENDING", "AWSCURRENT"],
    }
    assert fake.versions["v1"]["stages"] == []
    fake.versions["v3"] = {"stages": ["AWSPENDING"]}
    with pytest.raises(ValueError, match="unknown rotation step"):
        handler({"SecretId": "arn", "ClientRequestToken": "v3", "Step": "deleteSecret"}, None)


@pytest.mark.parametrize("stack", ["us-east-1", "us-west-2"])
def test_platform_issued_secrets_rotate_or_say_why_not(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    secrets = {s["inputs"]["name"]: s for s in v.of_type("aws:secretsmanager/secret:Secret")}
    issued = {n.rsplit("/", 1)[1]: s["inputs"]["tags"] for n, s in secrets.items()
              if s["inputs"]["tags"].get("issued-by") == "platform"}  # fmt: skip
    assert set(issued) == set(ROTATED_SECRETS) | set(MANUALLY_ROTATED)
    rotations = {r["inputs"]["secretId"]: r["inputs"] for r in v.of_type(ROTATION)}
    for key in ROTATED_SECRETS:
        arn = v.state_of(secrets[f"atnt/{stack}/{key}"])["arn"]
        assert rotations[arn]["rotationRules"]["automaticallyAfterDays"] == ROTATION_DAYS <= 90
        assert rotations[arn]["rotateImmediately"] is False
        assert issued[key]["rotation"] == "automatic"
    for key in MANUALLY_ROTATED:
        assert issued[key]["rotation"] == "manual"
    assert len(rotations) == len(ROTATED_SECRETS)
    # The function may read and write only the secrets it rotates.
    (policy,) = [json.loads(p["inputs"]["policy"])
                 for p in v.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p["name"] == "secret-rotation-function"]  # fmt: skip
    (writes,) = [st for st in policy["Statement"]
                 if "secretsmanager:PutSecretValue" in st["Action"]]  # fmt: skip
    assert writes["Resource"] == [v.state_of(secrets[f"atnt/{stack}/{k}"])["arn"]
                                  for k in ROTATED_SECRETS]  # fmt: skip
    function = v.one("aws:lambda/function:Function")["inputs"]
    assert json.loads(function["environment"]["variables"]["ROTATED_FIELDS"]) == {
        f"atnt/{stack}/{k}": list(f) for k, f in ROTATED_SECRETS.items()}  # fmt: skip
