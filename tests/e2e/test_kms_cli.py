"""Issue 4 acceptance 3: the `aws kms` CLI drives every operation family (keys and states,
aliases, symmetric crypto and data keys, key policies, grants, rotation, imported material,
tags, last usage); asymmetric and HMAC families are in test_kms_asymmetric.py."""

import base64
import json
import os
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ACCT = "111122223333"


def test_every_family_through_the_cli(server, tmp_path):
    def kms(*args, check=True):
        r = server.aws("kms", *args, check=check)
        return json.loads(r.stdout) if check and r.stdout.strip() else r

    def blob(name, data):
        p = tmp_path / name
        p.write_bytes(data)
        return f"fileb://{p}"

    # Keys, states, description.
    key = kms("create-key", "--description", "families")["KeyMetadata"]
    kid = key["KeyId"]
    kms("update-key-description", "--key-id", kid, "--description", "families 2")
    assert kms("describe-key", "--key-id", kid)["KeyMetadata"]["Description"] == "families 2"
    assert kid in [k["KeyId"] for k in kms("list-keys")["Keys"]]
    kms("disable-key", "--key-id", kid)
    kms("enable-key", "--key-id", kid)
    sched = kms("schedule-key-deletion", "--key-id", kid, "--pending-window-in-days", "7")
    assert sched["KeyState"] == "PendingDeletion" and sched["PendingWindowInDays"] == 7
    kms("cancel-key-deletion", "--key-id", kid)
    kms("enable-key", "--key-id", kid)
    # Aliases.
    alias = f"alias/families-{uuid.uuid4().hex[:6]}"
    other = kms("create-key")["KeyMetadata"]
    kms("create-alias", "--alias-name", alias, "--target-key-id", kid)
    kms("update-alias", "--alias-name", alias, "--target-key-id", other["KeyId"])
    assert {"AliasName": alias, "TargetKeyId": other["KeyId"]}.items() <= \
        next(a for a in kms("list-aliases")["Aliases"] if a["AliasName"] == alias).items()
    kms("delete-alias", "--alias-name", alias)
    # Symmetric crypto and data keys.
    ct = kms("encrypt", "--key-id", kid, "--plaintext", blob("pt", b"families"),
             "--encryption-context", "app=cli")["CiphertextBlob"]
    re = kms("re-encrypt", "--ciphertext-blob", blob("ct", base64.b64decode(ct)), "--source-encryption-context",
             "app=cli", "--destination-key-id", other["KeyId"])
    assert re["SourceKeyId"] == key["Arn"] and re["KeyId"] == other["Arn"]
    dec = kms("decrypt", "--ciphertext-blob", blob("re", base64.b64decode(re["CiphertextBlob"])))
    assert base64.b64decode(dec["Plaintext"]) == b"families"
    dk = kms("generate-data-key", "--key-id", kid, "--key-spec", "AES_256")
    assert len(base64.b64decode(dk["Plaintext"])) == 32
    assert "Plaintext" not in kms("generate-data-key-without-plaintext", "--key-id", kid, "--number-of-bytes", "16")
    pair = kms("generate-data-key-pair", "--key-id", kid, "--key-pair-spec", "ECC_NIST_P256")
    assert pair["KeyPairSpec"] == "ECC_NIST_P256"
    assert "PrivateKeyPlaintext" not in kms("generate-data-key-pair-without-plaintext", "--key-id", kid,
                                            "--key-pair-spec", "RSA_2048")
    assert len(base64.b64decode(kms("generate-random", "--number-of-bytes", "48")["Plaintext"])) == 48
    # Key policies.
    assert kms("list-key-policies", "--key-id", kid)["PolicyNames"] == ["default"]
    policy = json.loads(kms("get-key-policy", "--key-id", kid, "--policy-name", "default")["Policy"])
    policy["Statement"][0]["Sid"] = "Root"
    kms("put-key-policy", "--key-id", kid, "--policy-name", "default", "--policy", json.dumps(policy))
    assert json.loads(kms("get-key-policy", "--key-id", kid, "--policy-name", "default")["Policy"]) == policy
    # Grants.
    grantee = f"arn:aws:iam::{ACCT}:user/someone"
    g = kms("create-grant", "--key-id", kid, "--grantee-principal", grantee, "--operations", "Decrypt", "Encrypt",
            "--retiring-principal", f"arn:aws:iam::{ACCT}:root", "--constraints", "EncryptionContextSubset={app=cli}")
    listed = kms("list-grants", "--key-id", kid)["Grants"]
    assert [x["GrantId"] for x in listed] == [g["GrantId"]]
    assert [x["GrantId"] for x in kms("list-retirable-grants", "--retiring-principal",
                                       f"arn:aws:iam::{ACCT}:root")["Grants"]] == [g["GrantId"]]
    kms("retire-grant", "--grant-token", g["GrantToken"])
    g2 = kms("create-grant", "--key-id", kid, "--grantee-principal", grantee, "--operations", "Decrypt")
    kms("revoke-grant", "--key-id", kid, "--grant-id", g2["GrantId"])
    assert kms("list-grants", "--key-id", kid)["Grants"] == []
    # Rotation.
    kms("enable-key-rotation", "--key-id", kid, "--rotation-period-in-days", "90")
    st = kms("get-key-rotation-status", "--key-id", kid)
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 90
    kms("rotate-key-on-demand", "--key-id", kid)
    assert [r["RotationType"] for r in kms("list-key-rotations", "--key-id", kid)["Rotations"]] == ["ON_DEMAND"]
    kms("disable-key-rotation", "--key-id", kid)
    assert base64.b64decode(kms("decrypt", "--ciphertext-blob", blob("ct0", base64.b64decode(ct)),
                                "--encryption-context", "app=cli")["Plaintext"]) == b"families"
    # Tags.
    kms("tag-resource", "--key-id", kid, "--tags", "TagKey=team,TagValue=sec", "TagKey=env,TagValue=dev")
    kms("untag-resource", "--key-id", kid, "--tag-keys", "env")
    assert kms("list-resource-tags", "--key-id", kid)["Tags"] == [{"TagKey": "team", "TagValue": "sec"}]
    # Imported material.
    ext = kms("create-key", "--origin", "EXTERNAL")["KeyMetadata"]
    params = kms("get-parameters-for-import", "--key-id", ext["KeyId"], "--wrapping-algorithm",
                 "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
    public = serialization.load_der_public_key(base64.b64decode(params["PublicKey"]))
    wrapped = public.encrypt(os.urandom(32), padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    kms("import-key-material", "--key-id", ext["KeyId"], "--import-token",
        blob("token", base64.b64decode(params["ImportToken"])), "--encrypted-key-material", blob("wrapped", wrapped),
        "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms("describe-key", "--key-id", ext["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    kms("delete-imported-key-material", "--key-id", ext["KeyId"])
    assert kms("describe-key", "--key-id", ext["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    # Last usage: the other key's last cryptographic use was the Decrypt of the re-encrypted blob.
    last = kms("get-key-last-usage", "--key-id", other["Arn"])
    assert last["KeyId"] == other["KeyId"] and last["KeyLastUsage"]["Operation"] == "Decrypt"
    assert "KeyLastUsage" not in kms("get-key-last-usage", "--key-id", ext["KeyId"])
    r = kms("get-key-last-usage", "--key-id", "alias/aws/s3", check=False)
    assert r.returncode != 0
