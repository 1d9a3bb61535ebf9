//! The whole server booted in-process on `127.0.0.1:0` (a temp data directory, secrets from
//! the test instead of the environment) and driven with SigV4-signed requests: S3, the KMS
//! JSON API and the S3 gates, through the real front door and adapters.

use bytes::Bytes;
use coffer_server::client::{Call, Target};
use coffer_server::server::{Running, start};
use http::Method;

const ACCESS_KEY: &str = "AKIAINPROCESS0000001";
const SECRET: &str = "in-process-secret/0123456789+abcdefghij";

async fn boot(dir: &std::path::Path) -> (Running, Target) {
    let data = dir.join("data");
    let args = coffer_server::ServerArgs::from_flags([
        "--data",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tls-listen",
        "127.0.0.1:0",
    ])
    .unwrap();
    let env = |k: &str| match k {
        "COFFER_ROOT_ACCESS_KEY" => Some(ACCESS_KEY.to_owned()),
        "COFFER_ROOT_SECRET_KEY" => Some(SECRET.to_owned()),
        // 32 bytes, test only.
        "COFFER_ROOT_KEY" => Some("aW4tcHJvY2Vzcy10ZXN0LXJvb3Qta2V5LTMyYnl0ZXM=".to_owned()),
        _ => None,
    };
    let running = start(args, &env).await.unwrap();
    assert!(
        running
            .banner()
            .contains("Root credentials: from COFFER_ROOT_ACCESS_KEY")
    );
    let endpoint = format!("http://{}", running.http_addr.unwrap());
    let target = Target::new(&endpoint, ACCESS_KEY, SECRET, "us-east-1", 4).unwrap();
    (running, target)
}

async fn send(t: &Target, call: Call) -> (u16, String) {
    let (status, body) = t.send(&call).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn s3(method: Method, path: &str, body: &'static [u8]) -> Call {
    Call::s3(method, path.to_owned(), Bytes::from_static(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_round_trip_and_gates_hold() {
    let dir = tempfile::tempdir().unwrap();
    let (running, t) = boot(dir.path()).await;

    assert_eq!(send(&t, s3(Method::PUT, "/inproc", b"")).await.0, 200);
    assert_eq!(
        send(&t, s3(Method::PUT, "/inproc/hello.txt", b"hello"))
            .await
            .0,
        200
    );
    let (status, body) = send(&t, s3(Method::GET, "/inproc/hello.txt", b"")).await;
    assert_eq!((status, body.as_str()), (200, "hello"));

    // Another secret for the same key id: refused, with S3's code.
    let wrong = Target::new(
        &format!("http://{}", running.http_addr.unwrap()),
        ACCESS_KEY,
        "not-the-secret",
        "us-east-1",
        1,
    )
    .unwrap();
    let (status, body) = send(&wrong, s3(Method::GET, "/inproc/hello.txt", b"")).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );

    // Object Lock: a legal hold stops the version's removal, in the store.
    let lock =
        s3(Method::PUT, "/locked", b"").with_header("x-amz-bucket-object-lock-enabled", "true");
    assert_eq!(send(&t, lock).await.0, 200);
    let put = s3(Method::PUT, "/locked/k", b"x")
        .with_header("x-amz-object-lock-legal-hold", "ON")
        .with_header("content-md5", "ndTkYSaMgDT1yFZOFVxnpg==");
    let (status, body) = send(&t, put).await;
    assert_eq!(status, 200, "{body}");
    let (_, listing) = send(&t, s3(Method::GET, "/locked?versions", b"")).await;
    let version = listing
        .split("<VersionId>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let delete = Call::s3(
        Method::DELETE,
        format!("/locked/k?versionId={version}"),
        Bytes::new(),
    );
    let (status, body) = send(&t, delete).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("protected by object lock"), "{body}");

    // The KMS JSON API behind the same front door.
    let (status, body) = send(
        &t,
        Call::kms(
            "CreateKey",
            &serde_json::json!({"Description": "in-process"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key: serde_json::Value = serde_json::from_str(&body).unwrap();
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap();
    let (status, body) = send(
        &t,
        Call::kms(
            "Encrypt",
            &serde_json::json!({"KeyId": key_id, "Plaintext": "aGk="}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    running.stop().await;
    // Stopped means stopped: nothing answers on the port any more.
    assert!(
        t.send(&s3(Method::GET, "/inproc/hello.txt", b""))
            .await
            .is_err()
    );
}
