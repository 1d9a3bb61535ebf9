"""An independent SigV4 signer (not botocore's) so tests can send exactly the payload modes
and faults they want: signed, UNSIGNED-PAYLOAD, aws-chunked with chunk signatures, the trailer
variants, and deliberately wrong signatures or times."""

import base64
import datetime
import hashlib
import hmac
import urllib.parse
import zlib

import requests

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, day, region, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), day)
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    return k


def quote(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def canonical_query(params):
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params))


class Signer:
    def __init__(self, endpoint, access_key, secret, region="us-east-1"):
        self.endpoint = endpoint.rstrip("/")
        self.host = urllib.parse.urlparse(endpoint).netloc
        self.access_key, self.secret, self.region = access_key, secret, region

    def _sign(self, method, path, params, headers, payload_hash, when):
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        headers = {k.lower(): v for k, v in headers.items()}
        headers.update({"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash})
        names = sorted(headers)
        canonical = "\n".join([
            method, quote(path, safe="/-_.~"), canonical_query(params),
            "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names),
            ";".join(names), payload_hash,
        ])
        scope = f"{day}/{self.region}/s3/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = signing_key(self.secret, day, self.region)
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={sig}")
        return headers, sig, key, scope, amz_date

    def request(self, method, path, params=(), headers=None, body=b"", payload_hash=None,
                when=None, tamper=None):
        """Header-auth request. payload_hash: None = sha256(body), or a literal such as
        'UNSIGNED-PAYLOAD'. tamper(headers) may alter the signed headers afterwards."""
        when = when or datetime.datetime.now(datetime.timezone.utc)
        payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
        h, *_ = self._sign(method, path, list(params), headers or {}, payload_hash, when)
        if tamper:
            tamper(h)
        url = self.endpoint + quote(path, safe="/-_.~") + ("?" + canonical_query(list(params)) if params else "")
        return requests.request(method, url, headers=h, data=body, timeout=60)

    def chunked_put(self, path, data, chunk=65536, signed=True, trailer=None, bad_chunk_sig=False,
                    decoded_length=None, omit_trailer=False):
        """aws-chunked upload. signed: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER];
        unsigned with trailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER. trailer: (header, value).
        decoded_length: what x-amz-decoded-content-length claims (default: the truth);
        omit_trailer: declare the trailer but never send it."""
        when = datetime.datetime.now(datetime.timezone.utc)
        if signed:
            mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
        else:
            mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        claimed = len(data) if decoded_length is None else decoded_length
        headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(claimed)}
        if trailer:
            headers["x-amz-trailer"] = trailer[0]
        pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
        # Content-Length must be known before signing: build the body first with placeholder
        # signatures of the right length (64 hex), then fill them in.
        def frame(sig, piece):
            if signed:
                return f"{len(piece):x};chunk-signature={sig}\r\n".encode() + piece + b"\r\n"
            return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

        def trailer_bytes(sig):
            if not trailer or omit_trailer:
                return b"" if signed else b"\r\n"
            t = f"{trailer[0]}:{trailer[1]}\r\n".encode()
            if signed:
                t += f"x-amz-trailer-signature:{sig}\r\n".encode()
            return t + b"\r\n"

        length = sum(len(frame("0" * 64, p)) for p in pieces) + len(trailer_bytes("0" * 64))
        if trailer and signed:
            pass
        headers["content-length"] = str(length)
        h, seed, key, scope, amz_date = self._sign("PUT", path, [], headers, mode, when)
        body, prev = b"", seed
        for p in pieces:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                             hashlib.sha256(p).hexdigest()])
            sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            if bad_chunk_sig and p:
                sig = ("1" if sig[0] != "1" else "2") + sig[1:]
            body += frame(sig, p)
            prev = sig
        tsig = ""
        if trailer and signed:
            t = f"{trailer[0]}:{trailer[1]}\n".encode()
            sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, hashlib.sha256(t).hexdigest()])
            tsig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        body += trailer_bytes(tsig)
        assert len(body) == length
        return requests.put(self.endpoint + quote(path, safe="/-_.~"), headers=h, data=body, timeout=60)


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _reflected_crc(data, poly, width):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    mask = (1 << width) - 1
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return (crc ^ mask).to_bytes(width // 8, "big")


def crc32c_b64(data):
    return base64.b64encode(_reflected_crc(data, 0x82F63B78, 32)).decode()


def crc64nvme_b64(data):
    return base64.b64encode(_reflected_crc(data, 0x9A6C9329AC4BC9B5, 64)).decode()


def sha_b64(name, data):
    return base64.b64encode(hashlib.new(name, data).digest()).decode()


def presign_v4(signer, method, path, expires=300, when=None):
    """A SigV4 presigned URL signed at `when` (default now) — for signature-age tests."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    scope = f"{day}/{signer.region}/s3/aws4_request"
    params = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{signer.access_key}/{scope}"),
              ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(expires)), ("X-Amz-SignedHeaders", "host")]
    canonical = "\n".join([method, quote(path, safe="/-_.~"), canonical_query(params), f"host:{signer.host}\n",
                           "host", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hmac.new(signing_key(signer.secret, day, signer.region), sts.encode(), hashlib.sha256).hexdigest()
    return f"{signer.endpoint}{quote(path, safe='/-_.~')}?{canonical_query(params)}&X-Amz-Signature={sig}"
