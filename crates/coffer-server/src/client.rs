//! A SigV4-signing HTTP client for Coffer's own APIs: the load generator (`coffer bench`)
//! and the in-process tests drive a server with it. Signing keys are derived once per day.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use time::OffsetDateTime;

use crate::sigv4::{self, RequestParts};

/// One signed request.
pub struct Call {
    pub method: Method,
    path: String,
    /// `s3` or `kms`: the SigV4 scope.
    service: &'static str,
    headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Call {
    /// An S3 request to `path` (with its query), its payload left unsigned.
    pub fn s3(method: Method, path: String, body: Bytes) -> Self {
        Self {
            method,
            path,
            service: "s3",
            headers: Vec::new(),
            body,
        }
    }

    /// A KMS JSON request.
    pub fn kms(op: &str, body: &serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            path: "/".to_owned(),
            service: "kms",
            headers: vec![
                ("x-amz-target".to_owned(), format!("TrentService.{op}")),
                (
                    "content-type".to_owned(),
                    "application/x-amz-json-1.1".to_owned(),
                ),
            ],
            body: Bytes::from(body.to_string()),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A server and the credentials requests to it are signed with.
pub struct Target {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    host: String,
    access_key: String,
    secret: String,
    region: String,
    /// Signing keys by (day, service): derived once per day, not per request.
    keys: std::sync::Mutex<Vec<(String, &'static str, aws_lc_rs::hmac::Key)>>,
}

impl Target {
    /// `endpoint` (`http://host:port`), keeping up to `pool` idle connections.
    pub fn new(
        endpoint: &str,
        access_key: &str,
        secret: &str,
        region: &str,
        pool: usize,
    ) -> Result<Self, String> {
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("{e}"))?;
        let host = uri.authority().ok_or("endpoint needs a host")?.to_string();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            .build(connector);
        Ok(Self {
            client,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            host,
            access_key: access_key.to_owned(),
            secret: secret.to_owned(),
            region: region.to_owned(),
            keys: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn key_for(&self, day: &str, service: &'static str) -> aws_lc_rs::hmac::Key {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, k)) = keys.iter().find(|(d, s, _)| d == day && *s == service) {
            return k.clone();
        }
        let k = sigv4::signing_key(&self.secret, day, &self.region, service);
        keys.retain(|(d, _, _)| d == day);
        keys.push((day.to_owned(), service, k.clone()));
        k
    }

    /// Sends `call` and returns its status and response body.
    pub async fn send(&self, call: &Call) -> Result<(u16, Bytes), String> {
        let date = sigv4::amz_date(OffsetDateTime::now_utc());
        // S3 may leave the payload unsigned; other services sign its hash.
        let payload_hash = match call.service {
            "s3" => "UNSIGNED-PAYLOAD".to_owned(),
            _ => sigv4::hex_sha256(&call.body),
        };
        let mut headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("x-amz-content-sha256".to_owned(), payload_hash.clone()),
            ("x-amz-date".to_owned(), date.clone()),
        ];
        headers.extend(call.headers.iter().cloned());
        let (raw_path, raw_query) = call.path.split_once('?').unwrap_or((&call.path, ""));
        let parts = RequestParts {
            method: call.method.as_str(),
            raw_path,
            raw_query,
            headers: &headers,
            payload_hash: &payload_hash,
        };
        let auth = sigv4::authorization(
            &parts,
            &self.access_key,
            &self.key_for(&date[..8], call.service),
            &date,
            &self.region,
            call.service,
        );
        let mut req = Request::builder()
            .method(call.method.clone())
            .uri(format!("{}{}", self.endpoint, call.path));
        for (n, v) in &headers {
            req = req.header(n, v);
        }
        let req = req
            .header("authorization", auth)
            .header("content-length", call.body.len())
            .body(Full::new(call.body.clone()))
            .map_err(|e| e.to_string())?;
        let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
}
