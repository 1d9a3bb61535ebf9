"""Accounts own their buckets: the creator's account owns what it creates, ListBuckets shows
each account only its own buckets under its own Owner, and names are global (issue 9 §1)."""
import hashlib
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def canonical(account):
    return hashlib.sha256(account.encode()).hexdigest()


def test_creator_account_owns_and_lists_only_its_buckets(server, s3):
    acct, ak, sk = server.new_account()
    other = server.client_for(ak, sk)
    mine = f"own-{uuid.uuid4().hex[:10]}"
    other.create_bucket(Bucket=mine)
    # A user of that account with an identity allow works in it (it is the account's bucket).
    iam = server.client_for(ak, sk, service="iam")
    user = f"u-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName=user)["AccessKey"]
    user_s3 = server.client_for(k["AccessKeyId"], k["SecretAccessKey"])
    user_s3.put_object(Bucket=mine, Key="k", Body=b"v")
    assert user_s3.get_object(Bucket=mine, Key="k")["Body"].read() == b"v"
    by_user = f"usr-{uuid.uuid4().hex[:10]}"
    user_s3.create_bucket(Bucket=by_user)
    user_s3.put_object(Bucket=by_user, Key="k", Body=b"v")

    listed = other.list_buckets()
    names = {b["Name"] for b in listed["Buckets"]}
    assert names == {mine, by_user}
    assert listed["Owner"]["ID"] == canonical(acct)
    # The default account sees neither, and its own Owner.
    default = s3.list_buckets()
    assert not {mine, by_user} & {b["Name"] for b in default["Buckets"]}
    assert default["Owner"]["ID"] != canonical(acct)
    root_account = server.client_for(ACCESS_KEY, SECRET_KEY, service="sts").get_caller_identity()["Account"]
    assert default["Owner"]["ID"] == canonical(root_account)
    # The default account's root has no standing in the other account's bucket.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=mine, Key="k")
    assert err(e) == ("AccessDenied", 403)
    # Objects' owner is the bucket's owner.
    r = other.list_objects_v2(Bucket=mine, FetchOwner=True)
    assert r["Contents"][0]["Owner"]["ID"] == canonical(acct)


def test_names_are_global(server, s3, bucket):
    _, ak, sk = server.new_account()
    other = server.client_for(ak, sk)
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=bucket)
    assert err(e) == ("BucketAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket)
    assert err(e) == ("BucketAlreadyOwnedByYou", 409)


def test_list_buckets_pages(server):
    _, ak, sk = server.new_account()
    c = server.client_for(ak, sk)
    tag = uuid.uuid4().hex[:6]
    names = sorted(f"pg-{tag}-{i}" for i in range(5))
    for n in names:
        c.create_bucket(Bucket=n)
    c.create_bucket(Bucket=f"zz-{tag}")
    seen, token = [], None
    while True:
        kw = {"MaxBuckets": 2, "Prefix": f"pg-{tag}-"}
        if token:
            kw["ContinuationToken"] = token
        r = c.list_buckets(**kw)
        assert len(r["Buckets"]) <= 2
        assert r["Prefix"] == f"pg-{tag}-"
        seen += [b["Name"] for b in r["Buckets"]]
        token = r.get("ContinuationToken")
        if not token:
            break
    assert seen == names
    r = c.list_buckets(BucketRegion="us-east-1")
    assert len(r["Buckets"]) == 6 and all(b["BucketRegion"] == "us-east-1" for b in r["Buckets"])
    assert c.list_buckets(BucketRegion="eu-west-1")["Buckets"] == []
    assert "ContinuationToken" not in c.list_buckets()
    unchecked = server.client_for(ak, sk, parameter_validation=False)
    for bad in (0, 10001):
        with pytest.raises(ClientError) as e:
            unchecked.list_buckets(MaxBuckets=bad)
        assert err(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        c.list_buckets(ContinuationToken="!!not-a-token")
    assert err(e) == ("InvalidArgument", 400)


def test_anonymous_lists_nothing(server):
    import requests
    r = requests.get(server.endpoint + "/")
    assert r.status_code == 403 and b"AccessDenied" in r.content


def test_expected_bucket_owner_is_enforced(server, s3, bucket):
    """`x-amz-expected-bucket-owner` is a guard against writing into a bucket another account
    made with the expected name: S3 answers 403, and so does Coffer (not accepted and ignored)."""
    me = server.client_for(ACCESS_KEY, SECRET_KEY, service="sts").get_caller_identity()["Account"]
    other, _, _ = server.new_account()
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", ExpectedBucketOwner=me)
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=me)["Body"].read() == b"v"
    for call in (lambda: s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ExpectedBucketOwner=other),
                 lambda: s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=other),
                 lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner=other),
                 lambda: s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k"}]},
                                           ExpectedBucketOwner=other),
                 lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                                        ExpectedSourceBucketOwner=other)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k2")
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                   ExpectedSourceBucketOwner=me, ExpectedBucketOwner=me)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
