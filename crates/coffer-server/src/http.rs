//! The front door: accepts connections and routes each request to health, metrics or S3.
//! Every response carries `x-amz-request-id` and `x-amz-id-2`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::rt::TokioTimer;
use s3s::Body;
use s3s::service::S3Service;

use crate::conns::{IdleBody, Limits, Registered, Registry, TrackedBody};
use crate::wire_common::Connection;
use tokio::net::TcpListener;

/// What the front door needs.
pub(crate) struct FrontDoor {
    pub(crate) s3: S3Service,
    /// The S3 endpoint's domains (the host may name the bucket).
    pub(crate) hosts: crate::s3::Domains,
    pub(crate) query_api: crate::iam_api::QueryApi,
    pub(crate) s3control: crate::s3control::S3Control,
    pub(crate) kms: crate::kms_api::KmsApi,
    /// Readiness probe: true once the data directory is open (always, after start-up).
    pub(crate) ready: bool,
    /// `--test-clock`: the clock `PUT /_coffer/test-clock` moves (absent otherwise, and so
    /// is the endpoint).
    pub(crate) test_clock: Option<Arc<coffer_clock::MovableClock>>,
    request_seq: AtomicU64,
    request_prefix: u64,
}

impl FrontDoor {
    pub(crate) fn new(
        s3: S3Service,
        hosts: crate::s3::Domains,
        query_api: crate::iam_api::QueryApi,
        s3control: crate::s3control::S3Control,
        kms: crate::kms_api::KmsApi,
    ) -> Self {
        let mut prefix = [0u8; 8];
        let _ = SystemRandom::new().fill(&mut prefix);
        Self {
            s3,
            hosts,
            query_api,
            s3control,
            kms,
            ready: true,
            test_clock: None,
            request_seq: AtomicU64::new(0),
            request_prefix: u64::from_be_bytes(prefix),
        }
    }

    /// Unique per request: a random per-process prefix plus a counter (cheap, no syscall).
    fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("{:016X}", self.request_prefix ^ n.rotate_left(17) ^ n)
    }

    async fn handle(&self, req: Request<IdleBody>) -> Response<Body> {
        let id = self.next_request_id();
        // A request refused before its body was read leaves that body on the connection:
        // tell the client to close it rather than reuse a connection in an unknown state.
        let has_body = req.headers().contains_key(http::header::TRANSFER_ENCODING)
            || req
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() != b"0");
        let (mut resp, audited) = crate::audit::audited(self.route(req, &id)).await;
        // The request's audit records are durable before its answer leaves.
        if self.kms.audit.durable(audited).await.is_err() {
            tracing::error!(request_id = %id, "audit trail not durable in time; answer withheld");
            resp = text(StatusCode::INTERNAL_SERVER_ERROR, "");
        }
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-amz-request-id", v.clone());
            resp.headers_mut().insert("x-amz-id-2", v);
        }
        if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
            resp.headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

impl FrontDoor {
    async fn route(&self, req: Request<IdleBody>, id: &str) -> Response<Body> {
        match req.uri().path() {
            "/health/live" => text(StatusCode::OK, "live\n"),
            "/health/ready" if self.ready => text(StatusCode::OK, "ready\n"),
            "/health/ready" => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
            TEST_CLOCK_PATH if let Some(clock) = &self.test_clock => move_test_clock(clock, &req),
            p if crate::s3control::is_s3control(p) => self.s3control.handle(req, id).await,
            _ if let Some(op) = crate::kms_api::route(req.headers()) => {
                self.kms.handle(op.as_deref(), req).await
            }
            // IAM and STS are told apart from S3 by the SigV4 credential scope's service (or,
            // unsigned, by an `Action=` request S3 would never take).
            _ if let Some(service) = crate::iam_api::route(&req) => {
                self.query_api.handle(service, req, id).await
            }
            _ => self.s3(req, id).await,
        }
    }

    /// An S3 request: refused at the door if its document is too large, else s3s's, with
    /// the answer finished as S3's.
    async fn s3(&self, req: Request<IdleBody>, id: &str) -> Response<Body> {
        // With virtual-hosted-style addressing the path starts at the key.
        let bucket_in_host = self.hosts.names_bucket(&req);
        if let Some(refused) = crate::s3::refuse_oversized_document(&req, bucket_in_host) {
            return crate::s3::with_aws_messages(refused, id);
        }
        let attributes = crate::s3::is_get_object_attributes(&req);
        let req = crate::s3::substitute_filename(sigv2_bucket_path(req), bucket_in_host).await;
        let req = match crate::s3::verify_document_checksum(req, bucket_in_host).await {
            Ok(req) => req,
            Err(refused) => return crate::s3::with_aws_messages(refused, id),
        };
        match self.s3.call(req).await {
            Ok(r) if attributes => crate::s3::unquoted_attributes_etag(r, id),
            Ok(r) => crate::s3::with_aws_messages(r, id),
            Err(e) => {
                tracing::error!(request_id = %id, error = ?e, "unhandled S3 failure");
                text(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
        }
    }
}

/// Where `--test-clock` is moved.
const TEST_CLOCK_PATH: &str = "/_coffer/test-clock";

/// `PUT /_coffer/test-clock?offset-ms=N` sets the test clock N ms from the wall clock;
/// `GET` reads the offset.
fn move_test_clock<B>(clock: &coffer_clock::MovableClock, req: &Request<B>) -> Response<Body> {
    if req.method() == http::Method::GET {
        return text(StatusCode::OK, format!("{}\n", clock.offset_ms()));
    }
    let offset = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("offset-ms="))
        .and_then(|v| v.parse::<i64>().ok());
    match (req.method() == http::Method::PUT, offset) {
        (true, Some(ms)) => {
            clock.set_offset_ms(ms);
            tracing::warn!(offset_ms = ms, "test clock moved");
            text(StatusCode::OK, format!("{ms}\n"))
        }
        _ => text(StatusCode::BAD_REQUEST, "PUT ?offset-ms=N\n"),
    }
}

/// botocore's SigV2 signs a path-style bucket request as `/bucket/` (the resource the
/// virtual-host form has), while the request line says `/bucket`; s3s signs what it sees. Give
/// such requests the trailing slash before verification (s3s routes `/bucket/` as the bucket).
fn sigv2_bucket_path<B>(mut req: Request<B>) -> Request<B> {
    let sigv2 = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("AWS "));
    let path = req.uri().path();
    let bucket_only = path.len() > 1 && !path[1..].contains('/');
    if !(sigv2 && bucket_only) {
        return req;
    }
    let pq = match req.uri().query() {
        Some(q) => format!("{path}/?{q}"),
        None => format!("{path}/"),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = pq.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r
}

/// Serves until `shutdown` resolves; connections in flight are then left to finish. With
/// `tls`, every connection is a TLS handshake first (HTTPS). At most
/// `limits.max_connections` are served at once: past it the longest-idle connection is
/// closed to make room, so idle or trickling clients never lock others out.
pub(crate) async fn serve(
    listener: TcpListener,
    door: Arc<FrontDoor>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Registry::new();
    // The connections' tasks: ended with the listener, so a stopped server (the process's end,
    // or an in-process test's `stop`) leaves nothing answering.
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of descriptors, say: let connections end before trying again.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(registered) = registry.admit(limits.max_connections) else {
            // Every connection is in the middle of a request: this one has to wait its turn
            // elsewhere (closing it tells the client to retry).
            tracing::debug!(%peer, "connection refused: every connection is busy");
            continue;
        };
        // Without it small responses wait for the client's delayed ACK (~40 ms each).
        let _ = stream.set_nodelay(true);
        let door = door.clone();
        let tls = tls.clone();
        let registry = registry.clone();
        connections.spawn(async move {
            match tls {
                None => {
                    let conn = Connection { peer, tls: None };
                    serve_connection(stream, door, conn, registered, registry, limits).await;
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.tls_handshake, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => {
                            let version = match stream.get_ref().1.protocol_version() {
                                Some(rustls::ProtocolVersion::TLSv1_3) => Some("1.3"),
                                Some(rustls::ProtocolVersion::TLSv1_2) => Some("1.2"),
                                _ => Some("unknown"),
                            };
                            let conn = Connection { peer, tls: version };
                            serve_connection(stream, door, conn, registered, registry, limits)
                                .await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    connections.shutdown().await;
}

async fn serve_connection<IO>(
    io: IO,
    door: Arc<FrontDoor>,
    conn: Connection,
    registered: Registered,
    registry: Arc<Registry>,
    limits: Limits,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let activity = registered.activity.clone();
    let svc = service_fn(move |mut req: Request<Incoming>| {
        let door = door.clone();
        let busy = registry.request_started(&activity);
        // aws:SourceIp and aws:SecureTransport come from the connection, never from a header.
        req.extensions_mut().insert(conn);
        let req = req.map(|b| IdleBody::new(b, limits.body_idle));
        async move {
            let resp = door.handle(req).await;
            Ok::<_, Infallible>(resp.map(|b| TrackedBody::new(b, busy)))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle)
        .max_header_size(crate::conns::MAX_HEADER_BYTES)
        .keep_alive(true);
    let served = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(served);
    let outcome = tokio::select! {
        r = &mut served => r,
        () = registered.activity.evicted() => {
            // Made room for a new connection: finish what is in flight, take nothing new.
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(e) = outcome {
        tracing::debug!(peer = %conn.peer, error = %e, "connection ended with an error");
    }
    drop(registered);
}
