//! The AWS SDK for Rust against Coffer at its defaults (virtual-hosted-style addressing,
//! request checksums when supported). Name resolution is the test's: the endpoint's domain
//! and every bucket under it are 127.0.0.1 (a resolver given to the SDK's HTTP client).
//! Env: ENDPOINT, BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Prints one line per step.

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns};

/// Every name is 127.0.0.1: the test's own resolution of its domain and the buckets under it.
#[derive(Debug, Clone)]
struct Loopback;

impl ResolveDns for Loopback {
    fn resolve_dns<'a>(&'a self, _name: &'a str) -> DnsFuture<'a> {
        DnsFuture::ready(Ok(vec![std::net::Ipv4Addr::LOCALHOST.into()]))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("ENDPOINT")?;
    let bucket = std::env::var("BUCKET")?;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_with_resolver(Loopback);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::new(&config);
    s3.create_bucket().bucket(&bucket).send().await?;
    println!("create");
    s3.put_object()
        .bucket(&bucket)
        .key("dir/hello.txt")
        .body(ByteStream::from_static(b"hello from rust"))
        .send()
        .await?;
    println!("put");
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/hello.txt")
        .send()
        .await?;
    let body = got.body.collect().await?.into_bytes();
    println!("get {}", String::from_utf8_lossy(&body));
    let list = s3.list_objects_v2().bucket(&bucket).send().await?;
    println!("list {}", list.contents().len());
    s3.delete_object()
        .bucket(&bucket)
        .key("dir/hello.txt")
        .send()
        .await?;
    s3.delete_bucket().bucket(&bucket).send().await?;
    println!("cleanup");
    Ok(())
}
