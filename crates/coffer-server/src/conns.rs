//! Connection limits: how many connections are served at once, how long one may sit idle,
//! trickle its headers or stall its body, and which connection gives way when the limit is
//! reached (the longest-idle one, so that idle or slow clients can never lock out a health
//! check or a real request).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::Notify;

/// The limits of the front door.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections served at once per listener; past it the longest-idle one is closed.
    pub(crate) max_connections: usize,
    /// Longest wait for a request's headers, whether a new connection or an idle keep-alive
    /// one (hyper's header read timeout covers both).
    pub(crate) idle: Duration,
    /// Longest pause in a request body before the request fails with `RequestTimeout`.
    pub(crate) body_idle: Duration,
    /// Longest TLS handshake.
    pub(crate) tls_handshake: Duration,
}

/// Most connections per listener: far below the file-descriptor limit, and at ~20 KiB each
/// (task, buffers) about 160 MiB when every one is held.
pub(crate) const MAX_CONNECTIONS: usize = 8192;
/// AWS closes idle connections after about 20 seconds; so does Coffer, and it gives a
/// request's headers as long.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// A body that stops arriving for this long fails with `RequestTimeout`, as S3's does.
pub(crate) const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
pub(crate) const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head (request line and headers). S3 takes 8 KiB of headers; SigV4 and
/// 2 KiB of user metadata fit well within this.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What the registry knows of one connection.
pub(crate) struct Activity {
    /// Requests whose response has not finished (body included).
    busy: AtomicUsize,
    /// When it last became idle, in ms since the registry started.
    idle_since_ms: AtomicU64,
    evict: Notify,
}

impl Activity {
    /// The connection is told to close (the limit was reached and it was the idlest).
    pub(crate) async fn evicted(&self) {
        self.evict.notified().await;
    }
}

/// The live connections of one listener.
pub(crate) struct Registry {
    started: Instant,
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Activity>>>,
}

/// Removes its connection from the registry when the connection's task ends.
pub(crate) struct Registered {
    registry: Arc<Registry>,
    id: u64,
    pub(crate) activity: Arc<Activity>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl Registry {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            next_id: AtomicU64::new(0),
            live: Mutex::new(HashMap::new()),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Admits a new connection. At the limit the longest-idle connection is told to close
    /// to make room; when every connection is busy, the new one is refused (`None`).
    pub(crate) fn admit(self: &Arc<Self>, max: usize) -> Option<Registered> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.len() >= max {
            let idlest = live
                .iter()
                .filter(|(_, a)| a.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, a)| a.idle_since_ms.load(Ordering::Relaxed))
                .map(|(id, _)| *id)?;
            if let Some(a) = live.remove(&idlest) {
                a.evict.notify_one();
            }
        }
        let activity = Arc::new(Activity {
            busy: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            evict: Notify::new(),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        live.insert(id, activity.clone());
        Some(Registered {
            registry: self.clone(),
            id,
            activity,
        })
    }

    /// A request started on the connection; the returned guard marks it finished (put it in
    /// the response body, so a streaming response counts as busy until its last byte).
    pub(crate) fn request_started(self: &Arc<Self>, activity: &Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::AcqRel);
        Busy {
            registry: self.clone(),
            activity: activity.clone(),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.live.lock().unwrap().len()
    }
}

/// One request in progress on a connection.
pub(crate) struct Busy {
    registry: Arc<Registry>,
    activity: Arc<Activity>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.activity
            .idle_since_ms
            .store(self.registry.now_ms(), Ordering::Relaxed);
        self.activity.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that holds its request's [`Busy`] until it is done or dropped.
pub(crate) struct TrackedBody {
    inner: s3s::Body,
    _busy: Busy,
}

impl TrackedBody {
    pub(crate) fn new(inner: s3s::Body, busy: Busy) -> Self {
        Self { inner, _busy: busy }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error a stalled request body ends with; the S3 adapter answers it `RequestTimeout`.
#[derive(Debug, thiserror::Error)]
#[error("RequestTimeout: the request body stalled")]
pub(crate) struct BodyStalled;

/// A request body that fails with [`BodyStalled`] when no data arrives for `limit`. The
/// timer exists only once the body has had to wait (an empty body costs nothing).
pub(crate) struct IdleBody {
    inner: hyper::body::Incoming,
    limit: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl IdleBody {
    pub(crate) fn new(inner: hyper::body::Incoming, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            deadline: None,
        }
    }

    /// As an s3s body: a request without a body (most GETs) passes as it came, unboxed.
    pub(crate) fn into_s3s(self) -> s3s::Body {
        if http_body::Body::is_end_stream(&self.inner) {
            s3s::Body::from(self.inner)
        } else {
            s3s::Body::http_body(self)
        }
    }
}

impl http_body::Body for IdleBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                // Data arrived: the next wait starts afresh.
                self.deadline = None;
                Poll::Ready(r.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = self.limit;
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idlest_connection_gives_way_and_busy_ones_never() {
        let r = Registry::new();
        let a = r.admit(2).unwrap();
        let b = r.admit(2).unwrap();
        let busy_a = r.request_started(&a.activity);
        // b has been idle longest among the idle ones (a is busy): b goes.
        let c = r.admit(2).unwrap();
        assert_eq!(r.len(), 2);
        let evicted = futures::FutureExt::now_or_never(b.activity.evicted());
        assert!(evicted.is_some());
        // Now a (busy) and c (idle): c goes for d.
        let _d = r.admit(2).unwrap();
        assert!(futures::FutureExt::now_or_never(c.activity.evicted()).is_some());
        // Every connection busy: a newcomer is refused rather than a request cut.
        let _busy_d = r.request_started(&_d.activity);
        assert!(r.admit(2).is_none());
        drop(busy_a);
        assert!(r.admit(2).is_some());
        drop(a);
    }
}
