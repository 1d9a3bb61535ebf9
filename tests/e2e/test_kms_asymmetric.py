"""Asymmetric (RSA, ECC) and HMAC KMS keys and data key pairs, through the aws CLI and boto3,
checked independently with the `cryptography` package: signatures verify outside Coffer,
RSA ciphertexts made outside decrypt inside, data key pairs match."""

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from conftest import ACCESS_KEY, SECRET_KEY


def code(e):
    return e.value.response["Error"]["Code"]


@pytest.fixture
def kms(server):
    return server.client_for(ACCESS_KEY, SECRET_KEY, service="kms")


HASHES = {"256": (hashes.SHA256(), hashlib.sha256), "384": (hashes.SHA384(), hashlib.sha384),
          "512": (hashes.SHA512(), hashlib.sha512)}


def external_verify(public_der, algorithm, message, signature):
    """Verifies a KMS signature with `cryptography` (raises InvalidSignature if wrong)."""
    public = serialization.load_der_public_key(public_der)
    h = HASHES[algorithm[-3:]][0]
    if algorithm.startswith("ECDSA"):
        public.verify(signature, message, ec.ECDSA(h))
    elif algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(padding.MGF1(h), h.digest_size), h)
    else:
        public.verify(signature, message, padding.PKCS1v15(), h)


def test_sign_verify_every_spec_and_algorithm_with_cli(server, tmp_path):
    msg = tmp_path / "msg"
    msg.write_bytes(b"sign me, seed 004")
    for spec in ("RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"):
        meta = json.loads(server.aws("kms", "create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY")
                          .stdout)["KeyMetadata"]
        assert meta["KeySpec"] == spec and meta["KeyUsage"] == "SIGN_VERIFY" and "EncryptionAlgorithms" not in meta
        pub = json.loads(server.aws("kms", "get-public-key", "--key-id", meta["KeyId"]).stdout)
        der = base64.b64decode(pub["PublicKey"])
        assert pub["SigningAlgorithms"] == meta["SigningAlgorithms"]
        for alg in meta["SigningAlgorithms"]:
            for message_type in ("RAW", "DIGEST"):
                data = msg.read_bytes()
                if message_type == "DIGEST":
                    digest = tmp_path / "digest"
                    digest.write_bytes(HASHES[alg[-3:]][1](data).digest())
                    arg = digest
                else:
                    arg = msg
                out = json.loads(server.aws("kms", "sign", "--key-id", meta["KeyId"], "--message", f"fileb://{arg}",
                                            "--message-type", message_type, "--signing-algorithm", alg).stdout)
                sig = base64.b64decode(out["Signature"])
                external_verify(der, alg, data, sig)  # a DIGEST signature is the message's signature
                sig_file = tmp_path / "sig"
                sig_file.write_bytes(sig)
                v = json.loads(server.aws("kms", "verify", "--key-id", meta["KeyId"], "--message", f"fileb://{arg}",
                                          "--message-type", message_type, "--signing-algorithm", alg,
                                          "--signature", f"fileb://{sig_file}").stdout)
                assert v["SignatureValid"] is True
        tampered = tmp_path / "tampered"
        tampered.write_bytes(b"sign me, seed 005")
        r = server.aws("kms", "verify", "--key-id", meta["KeyId"], "--message", f"fileb://{tampered}",
                       "--signing-algorithm", meta["SigningAlgorithms"][0], "--signature", f"fileb://{sig_file}",
                       check=False)
        assert r.returncode != 0 and b"KMSInvalidSignatureException" in r.stderr


def test_rsa_encryption_and_key_usage_errors(kms):
    meta = kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    assert meta["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    # Encrypted outside with the public key, decrypted inside.
    for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        ct = public.encrypt(b"for kms only", padding.OAEP(padding.MGF1(h), h, None))
        out = kms.decrypt(KeyId=meta["KeyId"], CiphertextBlob=ct, EncryptionAlgorithm=alg)
        assert out["Plaintext"] == b"for kms only" and out["EncryptionAlgorithm"] == alg
        inside = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"round", EncryptionAlgorithm=alg)["CiphertextBlob"]
        assert kms.decrypt(KeyId=meta["KeyId"], CiphertextBlob=inside, EncryptionAlgorithm=alg)["Plaintext"] == b"round"
    # ReEncrypt between an RSA key and a symmetric key, both ways.
    sym = kms.create_key()["KeyMetadata"]
    rsa_ct = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"moving", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    to_sym = kms.re_encrypt(CiphertextBlob=rsa_ct, SourceKeyId=meta["KeyId"], SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                            DestinationKeyId=sym["KeyId"], DestinationEncryptionContext={"m": "1"})
    assert to_sym["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256" and to_sym["KeyId"] == sym["Arn"]
    assert kms.decrypt(CiphertextBlob=to_sym["CiphertextBlob"], EncryptionContext={"m": "1"})["Plaintext"] == b"moving"
    back = kms.re_encrypt(CiphertextBlob=to_sym["CiphertextBlob"], SourceEncryptionContext={"m": "1"},
                          DestinationKeyId=meta["KeyId"], DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    out = kms.decrypt(KeyId=meta["KeyId"], CiphertextBlob=back["CiphertextBlob"], EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert out["Plaintext"] == b"moving"
    with pytest.raises(ClientError) as e:
        kms.decrypt(KeyId=meta["KeyId"], CiphertextBlob=b"\x00" * 384, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x" * 400, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=b"x" * 6145)
    assert code(e) == "ValidationException"
    # Operations the key's usage does not allow.
    for call in (lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"),
                 lambda: kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256"),
                 lambda: kms.sign(KeyId=meta["KeyId"], Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "InvalidKeyUsageException"
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=signer["KeyId"], Message=b"x", SigningAlgorithm="ECDSA_SHA_384")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=signer["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    assert code(e) == "ValidationException"
    # Asymmetric keys do not rotate.
    with pytest.raises(ClientError) as e:
        kms.enable_key_rotation(KeyId=signer["KeyId"])
    assert code(e) == "UnsupportedOperationException"
    # A disabled signing key signs nothing.
    kms.disable_key(KeyId=signer["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=signer["KeyId"], Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert code(e) == "DisabledException"


def test_hmac_keys(server, kms, tmp_path):
    for bits in (224, 256, 384, 512):
        meta = kms.create_key(KeySpec=f"HMAC_{bits}", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        alg = f"HMAC_SHA_{bits}"
        assert meta["MacAlgorithms"] == [alg]
        mac = kms.generate_mac(KeyId=meta["KeyId"], Message=b"payload", MacAlgorithm=alg)["Mac"]
        assert len(mac) == bits // 8
        assert kms.verify_mac(KeyId=meta["KeyId"], Message=b"payload", MacAlgorithm=alg, Mac=mac)["MacValid"] is True
        with pytest.raises(ClientError) as e:
            kms.verify_mac(KeyId=meta["KeyId"], Message=b"payloaD", MacAlgorithm=alg, Mac=mac)
        assert code(e) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as e:
        kms.generate_mac(KeyId=meta["KeyId"], Message=b"payload", MacAlgorithm="HMAC_SHA_256")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.get_public_key(KeyId=meta["KeyId"])
    assert code(e) == "UnsupportedOperationException"
    # The same MAC from the CLI.
    payload = tmp_path / "payload"
    payload.write_bytes(b"payload")
    out = json.loads(server.aws("kms", "generate-mac", "--key-id", meta["KeyId"], "--message",
                                f"fileb://{payload}", "--mac-algorithm", "HMAC_SHA_512").stdout)
    assert base64.b64decode(out["Mac"]) == kms.generate_mac(KeyId=meta["KeyId"], Message=b"payload",
                                                            MacAlgorithm="HMAC_SHA_512")["Mac"]


def test_data_key_pairs(kms):
    key = kms.create_key()["KeyMetadata"]
    for spec in ("RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"):
        pair = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=spec, EncryptionContext={"app": "pairs"})
        assert pair["KeyPairSpec"] == spec and pair["KeyId"] == key["Arn"]
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
        derived = private.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        assert derived == pair["PublicKey"]
        back = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"app": "pairs"})
        assert back["Plaintext"] == pair["PrivateKeyPlaintext"]
        # Signed with the data key pair outside KMS, verified with its public key.
        if spec.startswith("ECC"):
            sig = private.sign(b"m", ec.ECDSA(hashes.SHA256()))
            serialization.load_der_public_key(pair["PublicKey"]).verify(sig, b"m", ec.ECDSA(hashes.SHA256()))
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P384")
    assert "PrivateKeyPlaintext" not in bare
    private = serialization.load_der_private_key(
        kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], password=None)
    assert isinstance(private.curve, ec.SECP384R1)
    with pytest.raises(ClientError) as e:
        kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="HMAC_256")
    assert code(e) == "ValidationException"
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.generate_data_key_pair(KeyId=signer["KeyId"], KeyPairSpec="RSA_2048")
    assert code(e) == "InvalidKeyUsageException"


def test_sse_kms_refuses_a_key_that_cannot_encrypt(kms, s3, bucket):
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=signer["KeyId"])
    assert code(e) == "KMS.InvalidKeyUsageException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")
