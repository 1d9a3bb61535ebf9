"""Imported key material (Origin EXTERNAL): the key waits in PendingImport, material wrapped
outside Coffer with the RSA public key of GetParametersForImport is imported, expires at
ValidTo, is deleted, and only the same material is taken back (old ciphertexts decrypt again)."""

import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import ACCESS_KEY, SECRET_KEY


def code(e):
    return e.value.response["Error"]["Code"]


def wrap(params, material, sha256=True):
    public = serialization.load_der_public_key(params["PublicKey"])
    h = hashes.SHA256() if sha256 else hashes.SHA1()
    return public.encrypt(material, padding.OAEP(padding.MGF1(h), h, None))


def test_import_expire_delete_reimport(server):
    kms = server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]
    assert key["Origin"] == "EXTERNAL" and key["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(e) == "KMSInvalidStateException"
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    assert params["KeyId"] == key["Arn"] and params["ParametersValidTo"] > datetime.now(timezone.utc)
    # A wrong token, damaged wrapped material, material of the wrong size: refused.
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=os.urandom(32),
                                EncryptedKeyMaterial=wrap(params, material),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidImportTokenException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, material, sha256=False),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, os.urandom(16)),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "IncorrectKeyMaterialException"
    valid_to = datetime.now(timezone.utc) + timedelta(seconds=3)
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, material), ExpirationModel="KEY_MATERIAL_EXPIRES",
                            ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"byok data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok data"
    # Past ValidTo the material is gone.
    time.sleep(max(0, (valid_to - datetime.now(timezone.utc)).total_seconds()) + 0.5)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct)
    assert code(e) == "KMSInvalidStateException"
    # Different material is refused; the same material brings the old ciphertext back.
    params = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                           WrappingKeySpec="RSA_3072")
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, os.urandom(32), sha256=False),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "IncorrectKeyMaterialException"
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, material, sha256=False),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok data"
    assert "ValidTo" not in kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    # A token serves one import.
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, material, sha256=False),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidImportTokenException"
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert code(e) == "KMSInvalidStateException"
    # Keys KMS made itself take no imports.
    own = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=own["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    assert code(e) == "UnsupportedOperationException"


def test_imported_material_survives_restart_sealed(fresh_server):
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_4096")
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, material),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
    fresh_server.stop()
    fresh_server.start()
    kms = fresh_server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")
    # Last usage is read back from the audit trail after a restart.
    assert kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]["Operation"] == "Encrypt"
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"kept"
    # The material never rests in plaintext.
    for root, _, names in os.walk(fresh_server.data_dir):
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                assert material not in f.read()
