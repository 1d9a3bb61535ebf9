//! The audit trail: one CloudTrail-shaped JSON record per KMS call (and per S3 request that
//! used KMS), appended to `DATA/audit/kms.jsonl`. Records never hold plaintext, ciphertext or
//! key material. `coffer audit` reads and filters them.
//!
//! Durability: every record is written (one `write`) before its request is answered, so a
//! crash of the server never loses the record of an answered call. A syncer thread
//! fdatasyncs the trail in batches (group commit, like the metadata store) whenever
//! records are pending but at most every `BACKGROUND_SYNC_PAUSE`: a crash of the machine
//! loses at most the records of that last pause and fsync. With `--audit-sync answer` a response also waits until the records its
//! request wrote are synced ([`audited`] around each request, then [`AuditLog::durable`]),
//! so not even a power failure loses one.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use coffer_clock::SharedClock;
use coffer_iam::Identity;
use serde_json::{Value, json};

const FILE: &str = "kms.jsonl";

/// Longest a response waits for its audit records to become durable before it fails
/// (a disk that stopped taking fsyncs must not hold connections forever).
const DURABLE_WAIT: Duration = Duration::from_secs(10);

/// In background mode, the rest between two fsyncs of the trail: a record reaches the disk
/// at most this much plus one fsync after it was written.
const BACKGROUND_SYNC_PAUSE: Duration = Duration::from_millis(10);

/// Where the trail's lines go: the file, or in tests a crash-simulating stand-in.
pub(crate) trait TrailFile: Send + 'static {
    fn append(&mut self, line: &[u8]) -> std::io::Result<()>;
    /// Makes everything appended so far durable; usable beside appends (its own handle).
    fn sync_handle(&self) -> std::io::Result<Box<dyn FnMut() -> std::io::Result<()> + Send>>;
}

impl TrailFile for File {
    fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.write_all(line)
    }

    fn sync_handle(&self) -> std::io::Result<Box<dyn FnMut() -> std::io::Result<()> + Send>> {
        let f = self.try_clone()?;
        Ok(Box::new(move || f.sync_data()))
    }
}

tokio::task_local! {
    /// The newest audit record written by the request being handled (0: none).
    static REQUEST_RECORDS: Cell<u64>;
}

/// Runs one request's handling, and gives the sequence number of the newest audit record
/// it wrote (0 if none), for [`AuditLog::durable`].
pub(crate) async fn audited<T>(f: impl std::future::Future<Output = T>) -> (T, u64) {
    REQUEST_RECORDS
        .scope(Cell::new(0), async move {
            let out = f.await;
            (out, REQUEST_RECORDS.with(Cell::get))
        })
        .await
}

/// Append-only log; one line per record, written whole under a lock.
pub(crate) struct AuditLog {
    /// The file, and the last successful cryptographic use of each key (by ARN) for
    /// GetKeyLastUsage, kept under one lock: one acquisition per record.
    inner: Mutex<(Box<dyn TrailFile>, HashMap<String, LastUse>)>,
    sync: Arc<SyncState>,
    /// Answers wait for their records' fsync (`--audit-sync answer`).
    wait_for_sync: bool,
    region: String,
    /// When the trail began: its first record, else when it was opened.
    tracking_start_ms: i64,
    /// The server's clock: event times and last uses go by it.
    clock: SharedClock,
}

/// The group commit of the trail: records written (by sequence number) and made durable.
struct SyncState {
    written: Mutex<u64>,
    more: Condvar,
    synced: tokio::sync::watch::Sender<u64>,
}

impl SyncState {
    /// The syncer: fsyncs whatever is pending, then waits `pause` before the next (none when
    /// answers wait for it; in background mode a pause keeps fsyncs, which cost the kernel
    /// real CPU, to a few hundred a second however many records arrive).
    fn start(
        mut sync: Box<dyn FnMut() -> std::io::Result<()> + Send>,
        pause: Duration,
    ) -> std::io::Result<Arc<Self>> {
        let state = Arc::new(Self {
            written: Mutex::new(0),
            more: Condvar::new(),
            synced: tokio::sync::watch::channel(0).0,
        });
        let s = state.clone();
        std::thread::Builder::new()
            .name("coffer-audit-sync".into())
            .spawn(move || {
                loop {
                    let target = {
                        let mut w = s.written.lock().unwrap_or_else(|p| p.into_inner());
                        while *w == *s.synced.borrow() {
                            w = s.more.wait(w).unwrap_or_else(|p| p.into_inner());
                        }
                        *w
                    };
                    // Everything numbered up to `target` was appended before it was numbered.
                    match sync() {
                        Ok(()) => {
                            s.synced.send_replace(target);
                            if !pause.is_zero() {
                                std::thread::sleep(pause);
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "audit trail could not be synced");
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            })?;
        Ok(state)
    }

    fn wrote_one(&self) -> u64 {
        let mut w = self.written.lock().unwrap_or_else(|p| p.into_inner());
        *w += 1;
        self.more.notify_one();
        *w
    }
}

/// A key's last successful cryptographic operation, as the trail recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastUse {
    pub(crate) operation: String,
    pub(crate) at_ms: i64,
    pub(crate) event_id: String,
}

/// The operations GetKeyLastUsage reports (successful cryptographic operations).
const CRYPTOGRAPHIC: [&str; 11] = [
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "Sign",
    "Verify",
    "GenerateMac",
    "VerifyMac",
];

fn parse_time_ms(t: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// One event to record.
pub(crate) struct Event<'a> {
    pub(crate) name: &'a str,
    pub(crate) identity: Option<&'a Identity>,
    pub(crate) access_key_id: Option<&'a str>,
    pub(crate) source_ip: Option<SocketAddr>,
    /// Only safe parameters: key id, encryption context, sizes, specs.
    pub(crate) request: Value,
    pub(crate) key_arn: Option<&'a str>,
    pub(crate) error: Option<(&'a str, &'a str)>,
    /// `s3.amazonaws.com` when S3 called KMS for the requester.
    pub(crate) invoked_by: Option<&'a str>,
}

impl AuditLog {
    pub(crate) fn open(
        data_dir: &Path,
        region: &str,
        wait_for_sync: bool,
        clock: SharedClock,
    ) -> std::io::Result<Self> {
        let dir = data_dir.join("audit");
        fs::create_dir_all(&dir)?;
        let path = dir.join(FILE);
        // Last uses survive restarts: they are read back from the trail itself.
        let mut last_use = HashMap::new();
        let mut first_ms = None;
        if let Ok(f) = File::open(&path) {
            for line in BufReader::new(f).lines() {
                let Ok(rec) = serde_json::from_str::<Value>(&line?) else {
                    continue;
                };
                let at = rec["eventTime"].as_str().and_then(parse_time_ms);
                first_ms = first_ms.or(at);
                let name = rec["eventName"].as_str().unwrap_or("");
                let arn = rec["resources"][0]["ARN"].as_str();
                if let (Some(at), Some(arn), None) = (at, arn, rec.get("errorCode"))
                    && CRYPTOGRAPHIC.contains(&name)
                {
                    last_use.insert(
                        arn.to_owned(),
                        LastUse {
                            operation: name.to_owned(),
                            at_ms: at,
                            event_id: rec["eventID"].as_str().unwrap_or("").to_owned(),
                        },
                    );
                }
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Self::over(
            Box::new(file),
            last_use,
            region,
            first_ms.unwrap_or_else(|| clock.now_ms()),
            wait_for_sync,
            clock,
        )
    }

    fn over(
        file: Box<dyn TrailFile>,
        last_use: HashMap<String, LastUse>,
        region: &str,
        tracking_start_ms: i64,
        wait_for_sync: bool,
        clock: SharedClock,
    ) -> std::io::Result<Self> {
        let pause = if wait_for_sync {
            Duration::ZERO
        } else {
            BACKGROUND_SYNC_PAUSE
        };
        let sync = SyncState::start(file.sync_handle()?, pause)?;
        Ok(Self {
            inner: Mutex::new((file, last_use)),
            sync,
            wait_for_sync,
            region: region.to_owned(),
            tracking_start_ms,
            clock,
        })
    }

    /// Under `--audit-sync answer`, waits until the records up to `seq` (from [`audited`])
    /// are synced. An error means the trail could not be synced in time: the caller must not
    /// report success.
    pub(crate) async fn durable(&self, seq: u64) -> Result<(), ()> {
        if seq == 0 || !self.wait_for_sync {
            return Ok(());
        }
        self.synced(seq).await
    }

    /// Waits until the records up to `seq` are synced, whatever `--audit-sync` says.
    async fn synced(&self, seq: u64) -> Result<(), ()> {
        let mut rx = self.sync.synced.subscribe();
        match tokio::time::timeout(DURABLE_WAIT, rx.wait_for(|s| *s >= seq)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(()),
        }
    }

    /// The last successful cryptographic use of the key `arn` the trail holds.
    pub(crate) fn last_use(&self, arn: &str) -> Option<LastUse> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .get(arn)
            .cloned()
    }

    pub(crate) fn tracking_start_ms(&self) -> i64 {
        self.tracking_start_ms
    }

    pub(crate) fn record(&self, e: Event<'_>) {
        let now_ms = self.clock.now_ms();
        let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let mut id = [0u8; 16];
        let _ = SystemRandom::new().fill(&mut id);
        let user = match e.identity {
            None => json!({"type": "AWSAccount"}),
            Some(i) => {
                let kind = match i {
                    Identity::Root { .. } => "Root",
                    Identity::User { .. } => "IAMUser",
                    Identity::Role { .. } => "AssumedRole",
                };
                json!({"type": kind, "arn": i.arn(), "accountId": i.account(), "principalId": i.user_id(), "accessKeyId": e.access_key_id})
            }
        };
        let mut rec = json!({
            "eventVersion": "1.08",
            "eventTime": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "eventSource": "kms.amazonaws.com",
            "eventName": e.name,
            "awsRegion": self.region,
            "sourceIPAddress": e.invoked_by.map(str::to_owned).or_else(|| e.source_ip.map(|a| a.ip().to_string())),
            "userIdentity": user,
            "requestParameters": e.request,
            "responseElements": Value::Null,
            "eventID": id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "readOnly": matches!(e.name, "DescribeKey" | "ListKeys" | "ListAliases" | "GetKeyPolicy" | "GetKeyRotationStatus" | "ListKeyRotations" | "ListResourceTags" | "ListKeyPolicies"),
            "eventType": "AwsApiCall",
            "resources": e.key_arn.map(|a| json!([{"ARN": a, "type": "AWS::KMS::Key"}])).unwrap_or(json!([])),
        });
        if let Some(by) = e.invoked_by {
            rec["userIdentity"]["invokedBy"] = json!(by);
        }
        if let Some((code, msg)) = e.error {
            rec["errorCode"] = json!(code);
            rec["errorMessage"] = json!(msg);
        }
        let last_use = match (e.error, e.key_arn) {
            (None, Some(arn)) if CRYPTOGRAPHIC.contains(&e.name) => Some((
                arn,
                LastUse {
                    operation: e.name.to_owned(),
                    at_ms: now_ms,
                    event_id: rec["eventID"].as_str().unwrap_or("").to_owned(),
                },
            )),
            _ => None,
        };
        let mut line = rec.to_string();
        line.push('\n');
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(err) = inner.0.append(line.as_bytes()) {
            tracing::error!(error = %err, "audit record could not be written");
        }
        let seq = self.sync.wrote_one();
        // Outside a request (tests, maintenance) there is nobody to hold back.
        let _ = REQUEST_RECORDS.try_with(|r| r.set(seq));
        if let Some((arn, use_)) = last_use {
            // Most uses repeat the key already there: update in place, no new key string.
            match inner.1.get_mut(arn) {
                Some(u) => *u = use_,
                None => {
                    inner.1.insert(arn.to_owned(), use_);
                }
            }
        }
    }
}

/// `coffer audit`: filter the trail.
#[derive(clap::Args, Debug)]
pub(crate) struct AuditArgs {
    #[arg(long, default_value = crate::config::DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Only this event name (Encrypt, GenerateDataKey, ...).
    #[arg(long)]
    event: Option<String>,
    /// Only events about this key (ARN or id).
    #[arg(long)]
    key: Option<String>,
    /// Only events by this principal ARN.
    #[arg(long)]
    principal: Option<String>,
    /// Only failed calls.
    #[arg(long)]
    errors: bool,
    /// At most this many (the latest).
    #[arg(long)]
    limit: Option<usize>,
}

pub(crate) fn run(args: AuditArgs) -> Result<(), Box<dyn std::error::Error>> {
    let path = args.data.join("audit").join(FILE);
    let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out: Vec<String> = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let keep = args.event.as_deref().is_none_or(|e| v["eventName"] == e)
            && args.key.as_deref().is_none_or(|k| {
                v["resources"].as_array().is_some_and(|r| {
                    r.iter()
                        .any(|x| x["ARN"].as_str().is_some_and(|a| a.ends_with(k)))
                })
            })
            && args
                .principal
                .as_deref()
                .is_none_or(|p| v["userIdentity"]["arn"] == p)
            && (!args.errors || v.get("errorCode").is_some());
        if keep {
            out.push(line);
        }
    }
    let skip = args.limit.map_or(0, |l| out.len().saturating_sub(l));
    for line in &out[skip..] {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_clock::SystemClock;

    /// A trail that remembers what was written and what was synced: what a crash of the
    /// machine would keep is only the synced part.
    #[derive(Clone, Default)]
    struct CrashTrail(Arc<Mutex<(Vec<u8>, Vec<u8>)>>);

    impl TrailFile for CrashTrail {
        fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
            self.0.lock().unwrap().0.extend_from_slice(line);
            Ok(())
        }

        fn sync_handle(&self) -> std::io::Result<Box<dyn FnMut() -> std::io::Result<()> + Send>> {
            let me = self.0.clone();
            Ok(Box::new(move || {
                let mut g = me.lock().unwrap();
                g.1 = g.0.clone();
                Ok(())
            }))
        }
    }

    fn event(name: &str) -> Event<'_> {
        Event {
            name,
            identity: None,
            access_key_id: None,
            source_ip: None,
            request: json!({}),
            key_arn: None,
            error: None,
            invoked_by: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_answered_request_has_its_records_on_disk() {
        let trail = CrashTrail::default();
        let log = Arc::new(
            AuditLog::over(
                Box::new(trail.clone()),
                HashMap::new(),
                "r",
                0,
                true,
                Arc::new(SystemClock),
            )
            .unwrap(),
        );
        let mut tasks = Vec::new();
        for i in 0..200 {
            let log = log.clone();
            let trail = trail.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("Op{i}");
                let ((), seq) = audited(async { log.record(event(&name)) }).await;
                assert!(seq > 0);
                log.durable(seq).await.unwrap();
                // "The response goes out" here: a crash now keeps the record.
                let synced = trail.0.lock().unwrap().1.clone();
                assert!(
                    String::from_utf8(synced)
                        .unwrap()
                        .contains(&format!("\"{name}\"")),
                    "{name} answered before it was durable"
                );
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // A request that wrote nothing waits for nothing.
        let ((), seq) = audited(async {}).await;
        assert_eq!(seq, 0);
        log.durable(0).await.unwrap();
    }

    /// In background mode answers do not wait, yet nobody has to ask for the sync either:
    /// records reach the synced part on their own, soon after they were written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn background_mode_syncs_without_waiting_answers() {
        let trail = CrashTrail::default();
        let log = AuditLog::over(
            Box::new(trail.clone()),
            HashMap::new(),
            "r",
            0,
            false,
            Arc::new(SystemClock),
        )
        .unwrap();
        let ((), seq) = audited(async { log.record(event("Background")) }).await;
        // Written before the answer (what a crash of the server keeps)...
        let written = String::from_utf8(trail.0.lock().unwrap().0.clone()).unwrap();
        assert!(written.contains("\"Background\""));
        log.durable(seq).await.unwrap();
        // ...and synced by the syncer alone (what a crash of the machine keeps).
        tokio::time::timeout(Duration::from_secs(5), log.synced(seq))
            .await
            .unwrap()
            .unwrap();
        let synced = String::from_utf8(trail.0.lock().unwrap().1.clone()).unwrap();
        assert!(synced.contains("\"Background\""));
    }
}
