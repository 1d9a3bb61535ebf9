// Drives Coffer with the AWS SDK for JavaScript v3 at its defaults: virtual-hosted-style
// addressing (BUCKET.DOMAIN), request checksums when supported, response checksum
// validation. Only name resolution is the test's: every *.DOMAIN host is 127.0.0.1.
// Env: ENDPOINT (http://DOMAIN:PORT), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Prints JSON.
import http from "node:http";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, DeleteBucketCommand, CreateMultipartUploadCommand,
  UploadPartCommand, CompleteMultipartUploadCommand, ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const lookup = (host, opts, cb) => {
  if (opts && opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
};
const s3 = new S3Client({
  endpoint: process.env.ENDPOINT,
  region: "us-east-1",
  requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup }) }),
});
const bucket = process.env.BUCKET;
const out = { steps: [] };
const step = (name, value) => out.steps.push(value === undefined ? name : [name, value]);
try {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  step("create");
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/hello.txt", Body: "hello from js", ContentType: "text/plain" }));
  step("put", put.ChecksumCRC32 ? "crc32" : "none");
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello.txt", ChecksumMode: "ENABLED" }));
  step("get", await got.Body.transformToString());
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
  step("head", head.ContentLength);
  const part = Buffer.alloc(5 * 1024 * 1024, 7);
  const mp = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "big" }));
  const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "big", UploadId: mp.UploadId, PartNumber: 1, Body: part }));
  const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "big", UploadId: mp.UploadId, PartNumber: 2, Body: "tail" }));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "big", UploadId: mp.UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
  step("multipart");
  const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  step("list", list.Contents.map((o) => o.Key));
  const buckets = await s3.send(new ListBucketsCommand({}));
  step("buckets", buckets.Buckets.some((b) => b.Name === bucket));
  for (const Key of ["dir/hello.txt", "big"]) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  step("cleanup");
} catch (e) {
  out.error = `${e.name}: ${e.message}`;
}
console.log(JSON.stringify(out));
