//! Request and response bodies between s3s and the domain's streams.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use coffer_s3::{BodyStream, PlainStream};
use futures::{Stream, StreamExt as _};
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3ErrorCode, s3_error};
use sync_wrapper::SyncStream;

/// Why a request body failed, classified from s3s's transport errors.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyFault {
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    Sha256Mismatch,
    #[error("The request signature we calculated does not match the signature you provided.")]
    SignatureMismatch,
    #[error(
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."
    )]
    Timeout,
    #[error("{0}")]
    Read(String),
}

impl BodyFault {
    /// s3s 0.14 keeps its stream error types private, so they are told apart by message.
    fn classify(e: &(dyn std::error::Error + Send + Sync)) -> Self {
        let text = e.to_string();
        if text.contains("Sha256Mismatch") {
            Self::Sha256Mismatch
        } else if text.contains("SignatureMismatch") {
            Self::SignatureMismatch
        } else if text.contains("RequestTimeout") {
            Self::Timeout
        } else {
            Self::Read(text)
        }
    }

    pub(crate) fn to_wire(&self) -> s3s::S3Error {
        match self {
            Self::Sha256Mismatch => {
                let mut e = s3s::S3Error::with_message(
                    S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
                    self.to_string(),
                );
                e.set_status_code(http::StatusCode::BAD_REQUEST);
                e
            }
            Self::SignatureMismatch => s3_error!(SignatureDoesNotMatch, "{self}"),
            Self::Timeout => s3_error!(RequestTimeout, "{self}"),
            Self::Read(m) => s3_error!(IncompleteBody, "{m}"),
        }
    }
}

/// A request body as the domain's stream (an absent body is empty).
pub(crate) fn request_body(blob: Option<StreamingBlob>) -> BodyStream {
    match blob {
        None => Box::pin(futures::stream::empty()),
        Some(blob) => Box::pin(blob.map(|r| {
            r.map_err(|e| {
                Box::new(BodyFault::classify(&*e)) as Box<dyn std::error::Error + Send + Sync>
            })
        })),
    }
}

/// A response body of known length: hyper sends `Content-Length` and, if the stream fails
/// mid-way (tampered package), cuts the connection rather than send a short or wrong body.
pub(crate) fn response_body(stream: PlainStream, len: u64) -> StreamingBlob {
    StreamingBlob::new(ExactStream {
        inner: SyncStream::new(stream),
        remaining: len,
    })
}

struct ExactStream {
    inner: SyncStream<PlainStream>,
    remaining: u64,
}

impl Stream for ExactStream {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(b))) => {
                self.remaining = self.remaining.saturating_sub(b.len() as u64);
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Err(e))) => {
                tracing::error!(error = %e, "object stream failed mid-response; aborting");
                Poll::Ready(Some(Err(Box::new(e))))
            }
            other => other.map(|o| o.map(|r| r.map_err(|e| Box::new(e) as _))),
        }
    }
}

impl ByteStream for ExactStream {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(usize::try_from(self.remaining).unwrap_or(usize::MAX))
    }
}
