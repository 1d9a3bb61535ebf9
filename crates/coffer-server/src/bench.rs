//! `coffer bench`: a native load generator (like MinIO's warp) that signs its requests with
//! SigV4 and drives a running server over keep-alive connections, then prints a table.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use time::OffsetDateTime;

use crate::sigv4::{self, RequestParts};

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
}

struct Target {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    host: String,
    access_key: String,
    secret: String,
    region: String,
    /// Signing key and its day: derived once per day, not per request.
    key: std::sync::Mutex<Option<(String, aws_lc_rs::hmac::Key)>>,
}

impl Target {
    fn key_for(&self, day: &str) -> aws_lc_rs::hmac::Key {
        let mut guard = self.key.lock().unwrap_or_else(|p| p.into_inner());
        match &*guard {
            Some((d, k)) if d == day => k.clone(),
            _ => {
                let k = sigv4::signing_key(&self.secret, day, &self.region, "s3");
                *guard = Some((day.to_owned(), k.clone()));
                k
            }
        }
    }

    async fn send(&self, method: Method, path: &str, body: Bytes) -> Result<(u16, u64), String> {
        let date = sigv4::amz_date(OffsetDateTime::now_utc());
        let headers = vec![
            ("host".to_owned(), self.host.clone()),
            (
                "x-amz-content-sha256".to_owned(),
                "UNSIGNED-PAYLOAD".to_owned(),
            ),
            ("x-amz-date".to_owned(), date.clone()),
        ];
        let parts = RequestParts {
            method: method.as_str(),
            raw_path: path,
            raw_query: "",
            headers: &headers,
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let auth = sigv4::authorization(
            &parts,
            &self.access_key,
            &self.key_for(&date[..8]),
            &date,
            &self.region,
            "s3",
        );
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint));
        for (n, v) in &headers {
            req = req.header(n, v);
        }
        let req = req
            .header("authorization", auth)
            .header("content-length", body.len())
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut n = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() {
                n += data.len() as u64;
            }
        }
        Ok((status, n))
    }
}

struct PhaseResult {
    name: String,
    ops: usize,
    bytes: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
}

async fn phase(
    target: &Arc<Target>,
    name: &str,
    method: Method,
    count: usize,
    concurrency: usize,
    key_of: impl Fn(usize) -> String + Send + Sync + 'static,
    body: Bytes,
) -> PhaseResult {
    let next = Arc::new(AtomicUsize::new(0));
    let key_of = Arc::new(key_of);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (t, next, key_of, body, method) = (
            target.clone(),
            next.clone(),
            key_of.clone(),
            body.clone(),
            method.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut bytes, mut errors) = (Vec::new(), 0u64, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let t0 = Instant::now();
                match t.send(method.clone(), &key_of(i), body.clone()).await {
                    Ok((200, n)) => {
                        bytes += if method == Method::GET {
                            n
                        } else {
                            body.len() as u64
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
    let uri: http::Uri = args.endpoint.parse()?;
    let host = uri.authority().ok_or("endpoint needs a host")?.to_string();
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency.max(args.large_concurrency) * 2)
        .build(connector);
    let target = Arc::new(Target {
        client,
        endpoint: args.endpoint.trim_end_matches('/').to_owned(),
        host,
        access_key: args.access_key.clone(),
        secret: args.secret_key.clone(),
        region: args.region.clone(),
        key: std::sync::Mutex::new(None),
    });
    let bucket = args.bucket.clone();
    let (status, _) = target
        .send(Method::PUT, &format!("/{bucket}"), Bytes::new())
        .await?;
    if status != 200 && status != 409 {
        return Err(format!("cannot create bucket {bucket}: HTTP {status}").into());
    }
    let small = Bytes::from(vec![0xA5u8; args.small_size]);
    let large = Bytes::from(
        (0..args.large_mib * 1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let n = args.small_count;
    let b1 = bucket.clone();
    let b2 = bucket.clone();
    let b3 = bucket.clone();
    let b4 = bucket.clone();
    let mut results = Vec::new();
    let size = args.small_size;
    results.push(
        phase(
            &target,
            &format!("PUT {size} B"),
            Method::PUT,
            n,
            args.concurrency,
            move |i| format!("/{b1}/small/{i}"),
            small.clone(),
        )
        .await,
    );
    results.push(
        phase(
            &target,
            &format!("GET {size} B"),
            Method::GET,
            n * 2,
            args.concurrency,
            move |i| format!("/{b2}/small/{}", i % n),
            Bytes::new(),
        )
        .await,
    );
    let lc = args.large_count;
    let mib = args.large_mib;
    results.push(
        phase(
            &target,
            &format!("PUT {mib} MiB"),
            Method::PUT,
            lc,
            args.large_concurrency,
            move |i| format!("/{b3}/large/{i}"),
            large.clone(),
        )
        .await,
    );
    results.push(
        phase(
            &target,
            &format!("GET {mib} MiB"),
            Method::GET,
            lc * 2,
            args.large_concurrency,
            move |i| format!("/{b4}/large/{}", i % lc),
            Bytes::new(),
        )
        .await,
    );

    println!(
        "{:<14} {:>8} {:>7} {:>11} {:>10} {:>9} {:>9}",
        "phase", "ops", "errors", "ops/s", "MB/s", "p50 ms", "p99 ms"
    );
    for r in &results {
        let secs = r.elapsed.as_secs_f64();
        println!(
            "{:<14} {:>8} {:>7} {:>11.0} {:>10.1} {:>9.2} {:>9.2}",
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
