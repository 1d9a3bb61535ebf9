//! The AWS signing test suite (`shared/fixtures/sigv4/v4`): every case verifies, and any
//! flipped byte of a signature or a signed header fails.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::*;

struct Case {
    name: String,
    dir: PathBuf,
    secret: String,
    normalize: bool,
    omit_token: bool,
    now: OffsetDateTime,
}

struct Raw {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn fixtures() -> PathBuf {
    if let Ok(p) = std::env::var("COFFER_SIGV4_FIXTURES") {
        return PathBuf::from(p);
    }
    // A copy of shared/fixtures/sigv4 kept in the repository, so a clean clone tests alone.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sigv4/v4")
}

fn cases() -> Vec<Case> {
    let root = fixtures();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let dir = e.unwrap().path();
        let ctx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).unwrap())
                .unwrap();
        let now = OffsetDateTime::parse(
            ctx["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        out.push(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            secret: ctx["credentials"]["secret_access_key"]
                .as_str()
                .unwrap()
                .to_owned(),
            normalize: ctx["normalize"].as_bool().unwrap_or(true),
            omit_token: ctx["omit_session_token"].as_bool().unwrap_or(false),
            now,
            dir,
        });
    }
    assert!(
        out.len() >= 30,
        "expected the whole v4 suite, found {}",
        out.len()
    );
    out
}

fn parse_raw(text: &str) -> Raw {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap();
    // The target may hold spaces ("GET /example space/ HTTP/1.1").
    let (method, rest) = first.split_once(' ').unwrap();
    let target = rest.rsplit_once(" HTTP/").unwrap().0;
    let method = method.to_owned();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    Raw {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn check(case: &Case, raw: &Raw, now: OffsetDateTime) -> Result<Verified, SigV4Error> {
    let payload = raw
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| hex_sha256(&raw.body));
    let parts = RequestParts {
        method: &raw.method,
        raw_path: &raw.path,
        raw_query: &raw.query,
        headers: &raw.headers,
        payload_hash: &payload,
    };
    let secret = case.secret.clone();
    verify(
        &parts,
        |ak| (ak == "AKIDEXAMPLE").then(|| Zeroizing::new(secret.clone())),
        now,
        Rules {
            normalize_path: case.normalize,
            token_added_after_signing: case.omit_token,
        },
    )
}

fn read(case: &Case, file: &str) -> Raw {
    parse_raw(&std::fs::read_to_string(case.dir.join(file)).unwrap())
}

#[test]
fn every_v4_case_verifies_header_and_query() {
    for case in cases() {
        for file in ["header-signed-request.txt", "query-signed-request.txt"] {
            let raw = read(&case, file);
            let v = check(&case, &raw, case.now)
                .unwrap_or_else(|e| panic!("{} {file}: {e}", case.name));
            assert_eq!(v.access_key, "AKIDEXAMPLE");
            assert_eq!(v.presigned, file.starts_with("query"));
        }
    }
}

#[test]
fn canonical_requests_match_the_suite() {
    for case in cases() {
        let raw = read(&case, "header-signed-request.txt");
        let want = std::fs::read_to_string(case.dir.join("header-canonical-request.txt")).unwrap();
        let signed_line = want.lines().rev().nth(1).unwrap().to_owned();
        let signed: Vec<&str> = signed_line.split(';').collect();
        let payload = want.lines().last().unwrap();
        let parts = RequestParts {
            method: &raw.method,
            raw_path: &raw.path,
            raw_query: &raw.query,
            headers: &raw.headers,
            payload_hash: payload,
        };
        let rules = Rules {
            normalize_path: case.normalize,
            token_added_after_signing: false,
        };
        let got = canonical_request(&parts, &signed, &[], rules);
        assert_eq!(got, want, "{}", case.name);
    }
}

#[test]
fn flipped_bytes_fail() {
    for case in cases() {
        let raw = read(&case, "header-signed-request.txt");
        // Every byte of the signature.
        let auth_idx = raw
            .headers
            .iter()
            .position(|(n, _)| n == "Authorization")
            .unwrap();
        let auth = raw.headers[auth_idx].1.clone();
        let sig_start = auth.find("Signature=").unwrap() + "Signature=".len();
        for i in sig_start..auth.len() {
            let mut bad = Raw {
                headers: raw.headers.clone(),
                ..read(&case, "header-signed-request.txt")
            };
            let mut b = auth.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            bad.headers[auth_idx].1 = String::from_utf8(b).unwrap();
            assert_eq!(
                check(&case, &bad, case.now),
                Err(SigV4Error::SignatureDoesNotMatch),
                "{} sig byte {i}",
                case.name
            );
        }
        // A byte of each signed header's value (a header added after signing may change).
        let signed = auth
            .split("SignedHeaders=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_owned();
        for (idx, (name, value)) in raw.headers.iter().enumerate() {
            let is_signed = signed.split(';').any(|s| s.eq_ignore_ascii_case(name));
            if !is_signed || value.trim().is_empty() {
                continue;
            }
            let mut bad = read(&case, "header-signed-request.txt");
            let mut b = value.clone().into_bytes();
            let pos = b.iter().position(|c| c.is_ascii_alphanumeric()).unwrap();
            b[pos] ^= 0x01;
            bad.headers[idx].1 = String::from_utf8(b).unwrap();
            assert!(
                check(&case, &bad, case.now).is_err(),
                "{} header {name}",
                case.name
            );
        }
    }
}

#[test]
fn time_limits() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    let header = read(&case, "header-signed-request.txt");
    let query = read(&case, "query-signed-request.txt");
    let m = time::Duration::minutes;
    assert!(check(&case, &header, case.now + m(14)).is_ok());
    assert_eq!(
        check(&case, &header, case.now + m(16)),
        Err(SigV4Error::RequestTimeTooSkewed)
    );
    assert_eq!(
        check(&case, &header, case.now - m(16)),
        Err(SigV4Error::RequestTimeTooSkewed)
    );
    // The suite's URLs expire after 3600 s.
    assert!(check(&case, &query, case.now + m(59)).is_ok());
    assert_eq!(
        check(&case, &query, case.now + m(61)),
        Err(SigV4Error::Expired)
    );
}
