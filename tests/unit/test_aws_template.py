"""The AWS stack supplies the master keyring: a fresh stack must not answer 500 for want of
a key. The secret CloudFormation generates is a keyring the hub reads, every function is
told where it is, and each stage's functions may only read their own stage's secret."""

from __future__ import annotations

import json
import secrets
import string

import pytest
from cfnlint.decode import cfn_yaml

from chalicelib.adapters.secretbox import AesGcmSealer
from chalicelib.domain.master_keys import Keyring
from infra.local.launcher import ROOT

TEMPLATE = cfn_yaml.load(str(ROOT / "infra/aws/resources.yaml"))


def test_every_function_is_told_where_the_keyring_is() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["LGSP_MASTER_KEY_SECRET"] == {"Ref": "MasterKeySecret"}
    assert "LGSP_MASTER_KEY" not in variables


def test_the_generated_secret_is_a_keyring_the_hub_opens() -> None:
    secret = TEMPLATE["Resources"]["MasterKeySecret"]
    assert secret["DeletionPolicy"] == "Retain" == secret["UpdateReplacePolicy"]
    spec = secret["Properties"]["GenerateSecretString"]
    alphabet = string.ascii_letters + string.digits  # ExcludePunctuation
    assert spec["ExcludePunctuation"] is True
    generated = "".join(secrets.choice(alphabet) for _ in range(spec["PasswordLength"]))
    document = {**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: generated}
    ring = Keyring.parse(document, where="the template's secret")
    box = AesGcmSealer(lambda: ring)
    assert box.open(box.seal(b"secret", "AK1"), "AK1") == b"secret"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_functions_may_only_read_their_own_stages_keyring(stage: str) -> None:
    policy = json.loads((ROOT / f".chalice/policy-{stage}.json").read_text())
    grants = [s for s in policy["Statement"]
              if any(str(a).startswith("secretsmanager:") for a in
                     (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))]
    assert [(g["Action"], g["Resource"]) for g in grants] == [(
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:*:*:secret:lgsp-{stage}-master-key-??????")]
    name = TEMPLATE["Resources"]["MasterKeySecret"]["Properties"]["Name"]
    assert name == {"Fn::Sub": "${AWS::StackName}-master-key"}  # stack lgsp-<stage>


def test_the_bootstrap_function_has_the_name_the_runbook_invokes() -> None:
    assert TEMPLATE["Resources"]["Bootstrap"]["Properties"]["FunctionName"] == \
        {"Fn::Sub": "${AWS::StackName}-bootstrap"}  # lgsp-<stage>-bootstrap
    assert "lgsp-prod-bootstrap" in (ROOT / "docs/deploy.md").read_text()
