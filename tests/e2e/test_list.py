import pytest
from botocore.exceptions import ClientError

KEYS = ["a/1", "a/2", "a/b/3", "b", "c/x", "c/y/z", "d+e f", "é/1"]


@pytest.fixture
def filled(s3, bucket):
    for k in KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    return bucket


def test_v2_prefix_delimiter_and_owner(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["b", "d+e f"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "c/", "é/"]
    assert r["KeyCount"] == 5 and not r["IsTruncated"]
    assert "Owner" not in r["Contents"][0]
    r = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/", FetchOwner=True)
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/b/"]
    assert len(r["Contents"][0]["Owner"]["ID"]) == 64


def test_v2_pagination_and_start_after(s3, filled):
    seen, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=filled, MaxKeys=3, **kw)
        seen += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert seen == sorted(KEYS, key=lambda k: k.encode())
    r = s3.list_objects_v2(Bucket=filled, StartAfter="b")
    assert [o["Key"] for o in r["Contents"]][0] == "c/x"
    # Paginating over common prefixes never repeats one.
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=filled, Delimiter="/", PaginationConfig={"PageSize": 1})
    prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    assert prefixes == ["a/", "c/", "é/"]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="%%%")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_v1_marker_and_cli(s3, filled, server):
    r = s3.list_objects(Bucket=filled, MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"] and r["IsTruncated"]
    r = s3.list_objects(Bucket=filled, Marker="a/2")
    assert r["Contents"][0]["Key"] == "a/b/3"
    r = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=1)
    assert r["NextMarker"] == "a/"
    out = server.aws("s3", "ls", f"s3://{filled}/", "--recursive").stdout.decode()
    assert all(k in out for k in KEYS)


def test_encoding_type_url(server, filled):
    import rawsig
    from conftest import ACCESS_KEY, SECRET_KEY
    sig = rawsig.Signer(server.endpoint, ACCESS_KEY, SECRET_KEY)
    r = sig.request("GET", f"/{filled}", params=[("list-type", "2"), ("encoding-type", "url")])
    assert "<Key>d%2Be%20f</Key>" in r.text and "<Prefix>%C3%A9/1</Prefix>" not in r.text
    assert "<Key>%C3%A9/1</Key>" in r.text
    # boto3 decodes it back transparently.


def test_max_keys_zero_and_bad(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert r["KeyCount"] == 0 and "Contents" not in r
