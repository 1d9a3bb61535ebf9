//! Browser-form uploads (presigned POST) whose `key` field holds `${filename}`: S3 puts the
//! name of the uploaded file there. s3s drops the file's name, so the front door reads the
//! form's leading fields (bounded, as s3s bounds them), substitutes the name in the `key`
//! field, and hands s3s the rewritten head followed by the untouched rest of the body.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http_body::{Body as _, Frame, SizeHint};

use crate::conns::IdleBody;

/// The most of a form read ahead to find the file part: the fields s3s accepts before the
/// file, plus room for the parts' headers.
const MAX_HEAD: usize = super::limits::MAX_FORM_FIELDS + 16 * 1024;

/// A POST to a bucket with a multipart form whose key asks for `${filename}`, rewritten as
/// S3 would see it; every other request passes as it came.
pub(crate) async fn substitute_filename(
    req: Request<IdleBody>,
    bucket_in_host: bool,
) -> Request<s3s::Body> {
    let boundary = form_boundary(&req, bucket_in_host);
    let Some(boundary) = boundary else {
        return req.map(IdleBody::into_s3s);
    };
    let (mut parts, mut body) = req.into_parts();
    let mut head = Vec::new();
    // Read until the file part's headers are in (or the bound, or the body's end).
    while head.len() < MAX_HEAD && file_name(&head, &boundary).is_none() {
        match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                return Request::from_parts(parts, s3s::Body::http_body(Failed(Some(e))));
            }
            None => break,
        }
    }
    if let Some(rewritten) =
        file_name(&head, &boundary).and_then(|n| rewrite_key(&head, &boundary, &n))
    {
        if let Some(len) = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            let new_len = len + rewritten.len() as u64 - head.len() as u64;
            parts.headers.insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(new_len),
            );
        }
        head = rewritten;
    }
    let body = Prefixed {
        head: (!head.is_empty()).then(|| Bytes::from(head)),
        rest: body,
    };
    Request::from_parts(parts, s3s::Body::http_body(body))
}

/// The form boundary of a POST to a bucket path whose body is `multipart/form-data`.
fn form_boundary<B>(req: &Request<B>, bucket_in_host: bool) -> Option<Vec<u8>> {
    if req.method() != http::Method::POST {
        return None;
    }
    let path = req.uri().path().trim_start_matches('/');
    let to_bucket = if bucket_in_host {
        path.is_empty()
    } else {
        !path.is_empty() && !path.trim_end_matches('/').contains('/')
    };
    if !to_bucket {
        return None;
    }
    let ct = req
        .headers()
        .get(http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    let (kind, params) = ct.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| format!("--{}", v.trim().trim_matches('"')).into_bytes())
    })
}

/// The parts of a form head: each part's header block and its value (the last part, the
/// file, may be cut off).
fn parts<'a>(head: &'a [u8], boundary: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    let delimiter = [b"\r\n", boundary].concat();
    let mut rest = head;
    std::iter::from_fn(move || {
        let start = find(rest, boundary)? + boundary.len();
        let part = rest[start..].strip_prefix(b"\r\n")?;
        let headers_end = find(part, b"\r\n\r\n")?;
        let value = &part[headers_end + 4..];
        let value_end = find(value, &delimiter).unwrap_or(value.len());
        rest = &value[value_end..];
        Some((&part[..headers_end], &value[..value_end]))
    })
}

/// The uploaded file's name, once the file part's headers have arrived.
fn file_name(head: &[u8], boundary: &[u8]) -> Option<String> {
    parts(head, boundary).find_map(|(headers, _)| {
        let text = std::str::from_utf8(headers).ok()?;
        let disposition = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        if !disposition.contains("name=\"file\"") {
            return None;
        }
        let name = disposition.split("filename=\"").nth(1)?.split('"').next()?;
        // A browser sends the base name; some send a path.
        Some(name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned())
    })
}

/// The head with `${filename}` in the `key` field's value replaced by `name` (`None`: no
/// such key field).
fn rewrite_key(head: &[u8], boundary: &[u8], name: &str) -> Option<Vec<u8>> {
    let (_, value) = parts(head, boundary).find(|(headers, value)| {
        std::str::from_utf8(headers).is_ok_and(|h| {
            h.lines().any(|l| {
                l.to_ascii_lowercase().starts_with("content-disposition:")
                    && l.contains("name=\"key\"")
            })
        }) && find(value, b"${filename}").is_some()
    })?;
    let offset = value.as_ptr() as usize - head.as_ptr() as usize;
    let replaced = String::from_utf8_lossy(value).replace("${filename}", name);
    let mut out = Vec::with_capacity(head.len() + name.len());
    out.extend_from_slice(&head[..offset]);
    out.extend_from_slice(replaced.as_bytes());
    out.extend_from_slice(&head[offset + value.len()..]);
    Some(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The read-ahead head, then the rest of the body as it comes.
struct Prefixed {
    head: Option<Bytes>,
    rest: IdleBody,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.rest.size_hint();
        let head = self.head.as_ref().map_or(0, |h| h.len() as u64);
        hint.set_lower(hint.lower() + head);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + head);
        }
        hint
    }
}

/// A body whose read-ahead failed: it fails the same way.
struct Failed(Option<Box<dyn std::error::Error + Send + Sync>>);

impl http_body::Body for Failed {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &[u8] = b"--XyZ";

    fn form(key: &str, filename: &str) -> Vec<u8> {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\nhello"
        )
        .into_bytes()
    }

    #[test]
    fn finds_the_file_name_and_rewrites_the_key() {
        let f = form("uploads/${filename}", "My File.txt");
        assert_eq!(file_name(&f, B).as_deref(), Some("My File.txt"));
        let out = rewrite_key(&f, B, "My File.txt").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\r\n\r\nuploads/My File.txt\r\n--XyZ"),
            "{text}"
        );
        assert!(text.ends_with("hello"));
        // Only the key field, and only when it asks.
        assert!(rewrite_key(&form("fixed", "a"), B, "a").is_none());
        assert_eq!(
            file_name(&form("k", "C:\\dir\\x.png"), B).as_deref(),
            Some("x.png")
        );
        // The file part's headers not yet read: no name.
        let cut = &f[..f.len() - 60];
        assert_eq!(file_name(cut, B), None);
    }
}
