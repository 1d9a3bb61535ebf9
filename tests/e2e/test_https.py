"""HTTPS beside plain HTTP: a self-signed certificate made on first start, trusted by clients
through --ca-bundle / verify=; aws:SecureTransport and s3:TlsVersion reflect the connection."""

import json
import ssl
import socket

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def test_https_and_secure_transport_policy(server, bucket):
    assert "HTTPS endpoint: https://" in server.banner
    tls_s3 = server.client_for(ACCESS_KEY, SECRET_KEY, https=True)
    plain_s3 = server.client()
    tls_s3.put_object(Bucket=bucket, Key="k", Body=b"over tls")
    assert plain_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"
    plain_s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}]}))
    with pytest.raises(ClientError) as e:
        plain_s3.get_object(Bucket=bucket, Key="k")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert tls_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"
    # The account root may still remove the policy (over HTTPS here).
    tls_s3.delete_bucket_policy(Bucket=bucket)


def test_tls_versions_and_certificate(server):
    ctx = ssl.create_default_context(cafile=str(server.data_dir / "tls" / "cert.pem"))
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", server.tls_port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
                s.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                assert s.recv(100).startswith(b"HTTP/1.1 200")
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(raw, server_hostname="localhost")
    # The private key is owner-only.
    assert (server.data_dir / "tls" / "key.pem").stat().st_mode & 0o077 == 0
