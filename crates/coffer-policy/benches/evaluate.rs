//! Evaluations per second for a 10-statement bucket policy with conditions.
//! Target: ≥ 1,000,000 per second per core. Run: `cargo bench -p coffer-policy`.

use coffer_policy::{Decision, Policy, PolicyKind, PolicySet, Principal, RequestContext, evaluate};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyPresignedOver15Minutes", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"NumericGreaterThan": {"s3:signatureAge": "900000"},
                   "StringNotEquals": {"aws:PrincipalTag/long-presigned-allowed": "true"}}},
    {"Sid": "DenySigV2", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"StringEquals": {"s3:signatureversion": "AWS"}}},
    {"Sid": "DenyNonHeaderAuth", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"StringNotEquals": {"s3:authType": "REST-HEADER", "aws:PrincipalTag/non-header-auth-allowed": "true"}}},
    {"Sid": "DenyWrongSse", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
    {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "AllowOffice", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
     "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bench/alice/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}},
    {"Sid": "AllowBob", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
     "Action": "s3:*", "Resource": "arn:aws:s3:::bench/bob/*"},
    {"Sid": "AllowTeam", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::bench/team/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "sec"}}},
    {"Sid": "AllowList", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
     "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bench",
     "Condition": {"StringLike": {"s3:prefix": ["alice/*", "shared/*"]}}},
    {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bench/*",
     "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
  ]
}"#;

fn bench(c: &mut Criterion) {
    let policy = Policy::parse(POLICY, PolicyKind::Resource).expect("valid policy");
    assert_eq!(policy.statements.len(), 10);
    let alice = Principal::Aws {
        account: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
        role_arn: None,
    };
    let mut req = RequestContext::new(alice, "s3:PutObject", "arn:aws:s3:::bench/alice/report.pdf");
    req.resource_account = Some("111122223333".into());
    req.set("s3:signatureAge", "1200")
        .set("s3:signatureversion", "AWS4-HMAC-SHA256")
        .set("s3:authType", "REST-HEADER")
        .set("s3:x-amz-server-side-encryption", "AES256")
        .set("aws:SecureTransport", "true")
        .set("aws:SourceIp", "10.1.2.3")
        .set("s3:TlsVersion", "1.3");
    let set = PolicySet {
        resource: Some(&policy),
        ..PolicySet::default()
    };
    assert_eq!(evaluate(&set, &req), Decision::Allow);
    c.bench_function("bucket policy, 10 statements, conditions", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&req)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
