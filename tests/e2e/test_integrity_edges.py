"""Integrity and validation S3 does (issue 9 §6): multipart checksum types (COMPOSITE,
FULL_OBJECT) and the complete's whole-object checksum verified, BadDigest, checksums and
`${filename}` in presigned POST, UploadPartCopy ranges, empty Content-MD5, repeated
completes, a bucket deleted under a streaming PUT, error documents, 304 headers, SigV2 codes."""
import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import socket
import time
import uuid
import zlib

import pytest
import requests
from botocore.exceptions import ClientError

import rawsig
from conftest import ACCESS_KEY, SECRET_KEY

MiB = 1024 * 1024


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def upload(s3, bucket, key, chunks, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
    parts = []
    for i, data in enumerate(chunks, 1):
        kw = {}
        if create.get("ChecksumAlgorithm"):
            kw["ChecksumAlgorithm"] = create["ChecksumAlgorithm"]
        p = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=i, Body=data, **kw)
        entry = {"PartNumber": i, "ETag": p["ETag"]}
        for k in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA256"):
            if k in p:
                entry[k] = p[k]
        parts.append(entry)
    return up, parts


def test_full_object_crc32_multipart(s3, bucket):
    chunks = [os.urandom(5 * MiB), os.urandom(1000)]
    whole = b"".join(chunks)
    up, parts = upload(s3, bucket, "full", chunks, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    assert up["ChecksumType"] == "FULL_OBJECT"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts}, ChecksumCRC32=crc32_b64(b"wrong"),
                                     ChecksumType="FULL_OBJECT")
    assert err(e) == ("BadDigest", 400)
    r = s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts}, ChecksumCRC32=crc32_b64(whole),
                                     ChecksumType="FULL_OBJECT")
    assert r["ChecksumCRC32"] == crc32_b64(whole) and r["ChecksumType"] == "FULL_OBJECT"
    h = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == crc32_b64(whole) and h["ChecksumType"] == "FULL_OBJECT"
    # boto3 verifies a full-object checksum on download.
    assert s3.get_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")["Body"].read() == whole


def test_crc64nvme_defaults_to_full_object_and_composite_rules(server, s3, bucket):
    # CRC64NVME through raw requests (botocore needs its CRT extra for this algorithm).
    sg = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    chunks = [os.urandom(5 * MiB), os.urandom(10)]
    r = sg.request("POST", f"/{bucket}/nvme", params=[("uploads", "")],
                   headers={"x-amz-checksum-algorithm": "CRC64NVME"})
    assert r.status_code == 200 and r.headers["x-amz-checksum-type"] == "FULL_OBJECT", r.text
    upload_id = r.text.split("<UploadId>")[1].split("</UploadId>")[0]
    xml = "<CompleteMultipartUpload>"
    for i, data in enumerate(chunks, 1):
        r = sg.request("PUT", f"/{bucket}/nvme", params=[("partNumber", str(i)), ("uploadId", upload_id)],
                       headers={"x-amz-checksum-crc64nvme": rawsig.crc64nvme_b64(data)}, body=data)
        assert r.status_code == 200, r.text
        xml += f"<Part><PartNumber>{i}</PartNumber><ETag>{r.headers['etag']}</ETag></Part>"
    xml += "</CompleteMultipartUpload>"
    whole = rawsig.crc64nvme_b64(b"".join(chunks))
    r = sg.request("POST", f"/{bucket}/nvme", params=[("uploadId", upload_id)], body=xml.encode(),
                   headers={"x-amz-checksum-crc64nvme": whole})
    assert r.status_code == 200, r.text
    assert f"<ChecksumCRC64NVME>{whole}</ChecksumCRC64NVME>" in r.text
    assert "<ChecksumType>FULL_OBJECT</ChecksumType>" in r.text
    # COMPOSITE by default for the others: the checksum of checksums, "-N".
    up, parts = upload(s3, bucket, "comp", chunks, ChecksumAlgorithm="CRC32")
    assert up["ChecksumType"] == "COMPOSITE"
    r = s3.complete_multipart_upload(Bucket=bucket, Key="comp", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    assert r["ChecksumType"] == "COMPOSITE" and r["ChecksumCRC32"].endswith("-2")
    for alg, kind in (("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
        with pytest.raises(ClientError) as e:
            s3.create_multipart_upload(Bucket=bucket, Key="bad", ChecksumAlgorithm=alg, ChecksumType=kind)
        assert err(e) == ("InvalidRequest", 400)
    # A part checksum in the complete request that is not the part's: InvalidPart.
    up, parts = upload(s3, bucket, "wrongpart", [b"abc"], ChecksumAlgorithm="CRC32")
    parts[0]["ChecksumCRC32"] = crc32_b64(b"xyz")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="wrongpart", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    assert err(e) == ("InvalidPart", 400)


def test_repeated_complete_answers_as_the_first(s3, bucket):
    up, parts = upload(s3, bucket, "again", [b"only part"])
    first = s3.complete_multipart_upload(Bucket=bucket, Key="again", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    second = s3.complete_multipart_upload(Bucket=bucket, Key="again", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    assert second["ETag"] == first["ETag"]
    # Once something else replaced the object, the upload is simply gone.
    s3.put_object(Bucket=bucket, Key="again", Body=b"other")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="again", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    assert err(e) == ("NoSuchUpload", 404)


def test_upload_part_copy_range_past_the_end(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up["UploadId"], PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=0-10")
    assert err(e) == ("InvalidRange", 416)
    p = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up["UploadId"], PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=0-9")
    assert p["CopyPartResult"]["ETag"]


def test_empty_content_md5_and_bad_checksum(server, s3, bucket):
    sg = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    r = sg.request("PUT", f"/{bucket}/k", headers={"Content-MD5": ""}, body=b"abc")
    assert r.status_code == 400 and "<Code>InvalidDigest</Code>" in r.text
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ChecksumCRC32=crc32_b64(b"abd"))
    assert err(e) == ("BadDigest", 400)


def test_error_documents_name_the_request_and_304_carries_the_etag(server, s3, bucket):
    r = requests.get(f"{server.endpoint}/{bucket}/nokey", headers={})
    rid = r.headers["x-amz-request-id"]
    assert f"<RequestId>{rid}</RequestId>" in r.text and f"<HostId>{r.headers['x-amz-id-2']}</HostId>" in r.text
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=put["ETag"])
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert headers["etag"] == put["ETag"] and "last-modified" in headers
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"])
    assert attrs["ETag"] == put["ETag"].strip('"')


def test_presigned_post_filename_checksums_and_expiration(server, s3, bucket):
    c = server.client(signature_version="s3v4")
    post = c.generate_presigned_post(bucket, "uploads/${filename}", Conditions=[["starts-with", "$key", "uploads/"]],
                                     ExpiresIn=300)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("report 1.txt", b"named")}, timeout=30)
    assert r.status_code in (200, 204), r.text
    assert s3.get_object(Bucket=bucket, Key="uploads/report 1.txt")["Body"].read() == b"named"
    # A checksum field is verified like the header.
    def post_with_checksum(value, body):
        p = c.generate_presigned_post(bucket, "uploads/sum", Fields={"x-amz-checksum-crc32": value},
                                      Conditions=[{"x-amz-checksum-crc32": value}], ExpiresIn=300)
        return requests.post(p["url"], data=p["fields"], files={"file": ("f", body)}, timeout=30)
    r = post_with_checksum(crc32_b64(b"other"), b"body")
    assert r.status_code == 400 and "BadDigest" in r.text, r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="uploads/sum")
    r = post_with_checksum(crc32_b64(b"body"), b"body")
    assert r.status_code in (200, 204), r.text
    assert s3.head_object(Bucket=bucket, Key="uploads/sum", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32_b64(b"body")
    # A policy with a malformed expiration is refused, whatever its signature.
    for expiration in ("2099-01-01T00:00:00.000Z", "not-a-date", "2030-13-45T00:00:00Z", None):
        signed = [{k: post["fields"][k]} for k in ("x-amz-algorithm", "x-amz-credential", "x-amz-date")]
        doc = {"conditions": [{"bucket": bucket}, ["starts-with", "$key", ""], *signed]}
        if expiration:
            doc["expiration"] = expiration
        policy = base64.b64encode(json.dumps(doc).encode()).decode()
        # Signed properly: only the expiration is wrong.
        day = post["fields"]["x-amz-date"][:8]
        key = rawsig.signing_key(SECRET_KEY, day, "us-east-1")
        signature = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        fields = dict(post["fields"], policy=policy, key="x", **{"x-amz-signature": signature})
        r = requests.post(post["url"], data=fields, files={"file": ("f", b"x")}, timeout=30)
        if expiration and expiration.startswith("2099"):
            # The same signing with a well-formed expiration is taken.
            assert r.status_code in (200, 204), r.text
            s3.delete_object(Bucket=bucket, Key="x")
            continue
        assert r.status_code == 400 and "InvalidPolicyDocument" in r.text, (expiration, r.status_code, r.text)
        with pytest.raises(ClientError):
            s3.head_object(Bucket=bucket, Key="x")


def test_sigv2_refusals_use_aws_codes(server, bucket):
    def v2(date, secret=SECRET_KEY):
        sts = f"GET\n\n\n{date}\n/{bucket}/k"
        sig = base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode()
        return requests.get(f"{server.endpoint}/{bucket}/k", headers={"Date": date, "Authorization": f"AWS {ACCESS_KEY}:{sig}"})
    now = time.time()
    r = v2(email.utils.formatdate(now - 1200, usegmt=True))
    assert r.status_code == 403 and "<Code>RequestTimeTooSkewed</Code>" in r.text
    r = v2("not a date")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    r = v2(email.utils.formatdate(now, usegmt=True), secret="wrong")
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


def blob_count(data_dir):
    n = 0
    for root, _, files in os.walk(data_dir / "objects" / "blobs"):
        n += len(files)
    return n


def test_bucket_deleted_while_a_put_streams(fresh_server):
    s3 = fresh_server.client()
    s3.create_bucket(Bucket="doomed")
    before = blob_count(fresh_server.data_dir)
    body = os.urandom(1 * MiB)
    sg = rawsig.Signer(fresh_server.endpoint, ACCESS_KEY, SECRET_KEY)
    h, *_ = sg._sign("PUT", "/doomed/k", [], {"content-length": str(len(body))}, "UNSIGNED-PAYLOAD",
                     datetime.datetime.now(datetime.timezone.utc))
    sock = socket.create_connection(("127.0.0.1", fresh_server.port))
    head = "PUT /doomed/k HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    sock.sendall(head.encode() + body[: len(body) // 2])
    time.sleep(0.3)
    s3.delete_bucket(Bucket="doomed")
    sock.sendall(body[len(body) // 2:])
    sock.settimeout(10)
    resp = b""
    while b"</Error>" not in resp:
        chunk = sock.recv(65536)
        if not chunk:
            break
        resp += chunk
    sock.close()
    assert resp.startswith(b"HTTP/1.1 404") and b"<Code>NoSuchBucket</Code>" in resp, resp[:300]
    assert blob_count(fresh_server.data_dir) == before


def test_document_checksums_are_verified_not_ignored(server, s3, bucket):
    """A Content-MD5 or x-amz-checksum-* on any configuration document is checked: a wrong one
    is BadDigest and changes nothing (s3s itself would read the document unchecked)."""
    raw = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    doc = (b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>team</Key>'
           b'<Value>blue</Value></Tag></TagSet></Tagging>')
    md5 = lambda b: base64.b64encode(hashlib.md5(b).digest()).decode()
    crc = lambda b: base64.b64encode(zlib.crc32(b).to_bytes(4, "big")).decode()
    for headers in ({"content-md5": md5(b"other")}, {"x-amz-checksum-crc32": crc(b"other")}):
        r = raw.request("PUT", f"/{bucket}", params=[("tagging", "")], body=doc, headers=headers)
        assert r.status_code == 400 and b"<Code>BadDigest</Code>" in r.content, (headers, r.content)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert err(e)[0] == "NoSuchTagSet", "nothing was written"
    for headers in ({"content-md5": md5(doc)}, {"x-amz-checksum-crc32": crc(doc)}, {}):
        r = raw.request("PUT", f"/{bucket}", params=[("tagging", "")], body=doc, headers=headers)
        assert r.status_code in (200, 204), (headers, r.content)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "blue"}]
    # A batch delete with a wrong digest deletes nothing.
    s3.put_object(Bucket=bucket, Key="keep", Body=b"k")
    batch = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>keep</Key>'
             b'</Object></Delete>')
    r = raw.request("POST", f"/{bucket}", params=[("delete", "")], body=batch,
                    headers={"content-md5": md5(b"x")})
    assert r.status_code == 400 and b"BadDigest" in r.content
    # As S3, a batch delete needs a declared checksum at all.
    r = raw.request("POST", f"/{bucket}", params=[("delete", "")], body=batch)
    assert r.status_code == 400 and b"<Code>InvalidRequest</Code>" in r.content, r.content
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"k"
