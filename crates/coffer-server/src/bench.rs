//! `coffer bench`: a native load generator (like MinIO's warp) that signs its requests with
//! SigV4 and drives a running server over keep-alive connections, then prints a table.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;

use crate::client::{Call, Target};

#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Server to load.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    /// Access key (default: AWS_ACCESS_KEY_ID).
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    access_key: String,
    /// Secret key (default: AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "coffer-bench")]
    bucket: String,
    /// Concurrent requests for the small-object phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Size of the small objects.
    #[arg(long, default_value_t = 4096)]
    small_size: usize,
    /// How many small objects to PUT (and then GET twice over).
    #[arg(long, default_value_t = 20_000)]
    small_count: usize,
    /// Size of the large objects, in MiB.
    #[arg(long, default_value_t = 64)]
    large_mib: usize,
    /// How many large objects to PUT and GET (sequentially, one at a time per worker).
    #[arg(long, default_value_t = 8)]
    large_count: usize,
    /// Concurrent requests for the large-object phases.
    #[arg(long, default_value_t = 2)]
    large_concurrency: usize,
    /// Which phases: `s3` (plain PUT/GET), `kms` (GenerateDataKey, Decrypt, SSE-KMS vs SSE-S3
    /// small objects), or `all`.
    #[arg(long, value_enum, default_value_t = Suite::S3)]
    suite: Suite,
    /// Turn versioning on in the bucket first (every PUT then adds a version).
    #[arg(long)]
    versioning: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    S3,
    Kms,
    All,
}

struct PhaseResult {
    name: String,
    ops: usize,
    bytes: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
}

/// Sends `count` requests made by `call_of(i)` from `concurrency` workers.
async fn phase(
    target: &Arc<Target>,
    name: &str,
    count: usize,
    concurrency: usize,
    call_of: impl Fn(usize) -> Call + Send + Sync + 'static,
) -> PhaseResult {
    let next = Arc::new(AtomicUsize::new(0));
    let call_of = Arc::new(call_of);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (t, next, call_of) = (target.clone(), next.clone(), call_of.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut bytes, mut errors) = (Vec::new(), 0u64, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let call = call_of(i);
                let t0 = Instant::now();
                match t.send(&call).await {
                    Ok((200, body)) => {
                        bytes += if call.method == Method::GET {
                            body.len() as u64
                        } else {
                            call.body.len() as u64
                        }
                    }
                    _ => errors += 1,
                }
                lat.push(t0.elapsed());
            }
            (lat, bytes, errors)
        }));
    }
    let mut r = PhaseResult {
        name: name.to_owned(),
        ops: count,
        bytes: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        errors: 0,
    };
    for t in tasks {
        if let Ok((lat, bytes, errors)) = t.await {
            r.latencies.extend(lat);
            r.bytes += bytes;
            r.errors += errors;
        }
    }
    r.elapsed = start.elapsed();
    r.latencies.sort();
    r
}

fn percentile(l: &[Duration], p: f64) -> f64 {
    if l.is_empty() {
        return 0.0;
    }
    let idx = ((l.len() as f64 - 1.0) * p).round() as usize;
    l[idx].as_secs_f64() * 1000.0
}

pub(crate) async fn run(args: BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let target = Arc::new(Target::new(
        &args.endpoint,
        &args.access_key,
        &args.secret_key,
        &args.region,
        args.concurrency.max(args.large_concurrency) * 2,
    )?);
    let bucket = args.bucket.clone();
    let (status, _) = target
        .send(&Call::s3(Method::PUT, format!("/{bucket}"), Bytes::new()))
        .await?;
    if status != 200 && status != 409 {
        return Err(format!("cannot create bucket {bucket}: HTTP {status}").into());
    }
    if args.versioning {
        let doc = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
        let (status, _) = target
            .send(&Call::s3(
                Method::PUT,
                format!("/{bucket}?versioning"),
                Bytes::from_static(doc.as_bytes()),
            ))
            .await?;
        if status != 200 {
            return Err(format!("cannot enable versioning on {bucket}: HTTP {status}").into());
        }
    }
    let mut results = Vec::new();
    if args.suite != Suite::Kms {
        results.extend(s3_phases(&target, &args).await);
    }
    if args.suite != Suite::S3 {
        results.extend(kms_phases(&target, &args).await?);
    }

    println!(
        "{:<22} {:>8} {:>7} {:>11} {:>10} {:>9} {:>9}",
        "phase", "ops", "errors", "ops/s", "MB/s", "p50 ms", "p99 ms"
    );
    for r in &results {
        let secs = r.elapsed.as_secs_f64();
        println!(
            "{:<22} {:>8} {:>7} {:>11.0} {:>10.1} {:>9.2} {:>9.2}",
            r.name,
            r.ops,
            r.errors,
            r.ops as f64 / secs,
            r.bytes as f64 / secs / 1e6,
            percentile(&r.latencies, 0.5),
            percentile(&r.latencies, 0.99)
        );
    }
    if results.iter().any(|r| r.errors > 0) {
        return Err("some requests failed".into());
    }
    Ok(())
}

/// Plain PUT/GET of small objects, then of large ones.
async fn s3_phases(target: &Arc<Target>, args: &BenchArgs) -> Vec<PhaseResult> {
    let small = Bytes::from(vec![0xA5u8; args.small_size]);
    let large = Bytes::from(
        (0..args.large_mib * 1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let (n, size, lc, mib) = (
        args.small_count,
        args.small_size,
        args.large_count,
        args.large_mib,
    );
    let b = args.bucket.clone();
    let mut out = Vec::new();
    let put = {
        let b = b.clone();
        move |i| Call::s3(Method::PUT, format!("/{b}/small/{i}"), small.clone())
    };
    out.push(phase(target, &format!("PUT {size} B"), n, args.concurrency, put).await);
    let get = {
        let b = b.clone();
        move |i| Call::s3(Method::GET, format!("/{b}/small/{}", i % n), Bytes::new())
    };
    out.push(
        phase(
            target,
            &format!("GET {size} B"),
            n * 2,
            args.concurrency,
            get,
        )
        .await,
    );
    let put = {
        let b = b.clone();
        move |i| Call::s3(Method::PUT, format!("/{b}/large/{i}"), large.clone())
    };
    out.push(
        phase(
            target,
            &format!("PUT {mib} MiB"),
            lc,
            args.large_concurrency,
            put,
        )
        .await,
    );
    let get = move |i| Call::s3(Method::GET, format!("/{b}/large/{}", i % lc), Bytes::new());
    out.push(
        phase(
            target,
            &format!("GET {mib} MiB"),
            lc * 2,
            args.large_concurrency,
            get,
        )
        .await,
    );
    out
}

/// KMS GenerateDataKey and Decrypt, then small objects under SSE-KMS next to SSE-S3.
async fn kms_phases(
    target: &Arc<Target>,
    args: &BenchArgs,
) -> Result<Vec<PhaseResult>, Box<dyn std::error::Error>> {
    let (status, body) = target
        .send(&Call::kms(
            "CreateKey",
            &serde_json::json!({"Description": "coffer bench"}),
        ))
        .await?;
    let created: serde_json::Value = serde_json::from_slice(&body)?;
    let key_id = created["KeyMetadata"]["KeyId"]
        .as_str()
        .ok_or_else(|| format!("CreateKey failed: HTTP {status}"))?
        .to_owned();
    let context = serde_json::json!({"bench": "coffer"});
    let gdk =
        serde_json::json!({"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context});
    let (_, body) = target.send(&Call::kms("GenerateDataKey", &gdk)).await?;
    let blob = serde_json::from_slice::<serde_json::Value>(&body)?["CiphertextBlob"]
        .as_str()
        .ok_or("GenerateDataKey failed")?
        .to_owned();
    let decrypt = serde_json::json!({"CiphertextBlob": blob, "EncryptionContext": context});

    let (n, size, c) = (args.small_count, args.small_size, args.concurrency);
    let mut out = Vec::new();
    out.push(
        phase(target, "KMS GenerateDataKey", n, c, move |_| {
            Call::kms("GenerateDataKey", &gdk)
        })
        .await,
    );
    out.push(
        phase(target, "KMS Decrypt", n, c, move |_| {
            Call::kms("Decrypt", &decrypt)
        })
        .await,
    );
    let small = Bytes::from(vec![0x5Au8; size]);
    for (label, sse, dir, bucket_key) in [
        ("SSE-S3", "AES256", "sse-s3", false),
        ("SSE-KMS", "aws:kms", "sse-kms", false),
        ("SSE-KMS+BK", "aws:kms", "sse-kms-bk", true),
    ] {
        let (b, body, key_id) = (args.bucket.clone(), small.clone(), key_id.clone());
        let put = move |i| {
            let call = Call::s3(Method::PUT, format!("/{b}/{dir}/{i}"), body.clone())
                .with_header("x-amz-server-side-encryption", sse);
            match sse {
                "aws:kms" => call
                    .with_header("x-amz-server-side-encryption-aws-kms-key-id", &key_id)
                    .with_header(
                        "x-amz-server-side-encryption-bucket-key-enabled",
                        if bucket_key { "true" } else { "false" },
                    ),
                _ => call,
            }
        };
        out.push(phase(target, &format!("PUT {size} B {label}"), n, c, put).await);
        let b = args.bucket.clone();
        let get = move |i| Call::s3(Method::GET, format!("/{b}/{dir}/{}", i % n), Bytes::new());
        out.push(phase(target, &format!("GET {size} B {label}"), n * 2, c, get).await);
    }
    Ok(out)
}
