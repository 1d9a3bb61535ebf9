//! What every protocol adapter (S3, IAM/STS, KMS, S3 Control) and the front door share, kept
//! below all of them so that none imports another for it: the connection a request came
//! on, the response builder, form/URL decoding.

use std::net::SocketAddr;

use http::{Response, StatusCode};
use s3s::Body;

/// The connection a request came on (peer address, TLS version if any), put into each
/// request's extensions by the front door: `aws:SourceIp`, `aws:SecureTransport` and
/// `s3:TlsVersion` come from here, never from headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection {
    pub(crate) peer: SocketAddr,
    /// `"1.2"` or `"1.3"` over HTTPS.
    pub(crate) tls: Option<&'static str>,
}

/// A whole response with its content type (the IAM/STS, KMS and S3 Control APIs answer so).
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space); `None` if malformed.
pub(crate) fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// An enum of a protocol's operation names (KMS's `X-Amz-Target`, IAM's `Action=`), with
/// `parse` and `name`: the wire name is the variant's.
macro_rules! operation_names {
    ($(#[$doc:meta])* $family:ident { $($op:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $family {
            $($op),*
        }

        impl $family {
            #[allow(dead_code, reason = "not every protocol names its operations back")]
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Self::$op => stringify!($op)),*
                }
            }

            fn parse(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($op) => Some(Self::$op),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use operation_names;
