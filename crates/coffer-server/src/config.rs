//! Server configuration and its secrets: read once from flags, environment and the data
//! directory, then passed down as typed values.

use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_crypto::{DataKey, KEY_LEN};
use zeroize::Zeroizing;

pub(crate) const DEFAULT_DATA_DIR: &str = "./coffer-data";
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
pub(crate) const DEFAULT_REGION: &str = "us-east-1";
pub(crate) const DEFAULT_TLS_LISTEN: &str = "127.0.0.1:9443";

const ENV_ROOT_KEY: &str = "COFFER_ROOT_KEY";
const ENV_ACCESS_KEY: &str = "COFFER_ROOT_ACCESS_KEY";
const ENV_SECRET_KEY: &str = "COFFER_ROOT_SECRET_KEY";
const ENV_ACCOUNT_ID: &str = "COFFER_ACCOUNT_ID";
const DEV_ROOT_KEY_FILE: &str = "dev-root.key";
const CREDENTIALS_FILE: &str = "root-credentials";
const ACCOUNT_ID_FILE: &str = "account-id";

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ConfigError + '_ {
    move |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where the root key came from; dev mode is loud about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootKeySource {
    Environment,
    File(PathBuf),
    InsecureDevFile(PathBuf),
}

/// Where the root credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    Environment,
    File(PathBuf),
    /// Generated on this start: printed once, kept in the file.
    Generated(PathBuf),
}

/// The default account's root credentials. The secret is zeroized and never printed by Debug.
pub(crate) struct RootCredentials {
    pub(crate) account_id: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Zeroizing<String>,
    pub(crate) source: CredentialSource,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("account_id", &self.account_id)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Loads the root key: `COFFER_ROOT_KEY` (base64 of 32 bytes), else `--root-key-file`, else
/// a dev key generated beside the data.
pub(crate) fn load_root_key(
    env_value: Option<&str>,
    file: Option<&Path>,
    data_dir: &Path,
) -> Result<(DataKey, RootKeySource), ConfigError> {
    if let Some(v) = env_value {
        return Ok((decode_key(v, ENV_ROOT_KEY)?, RootKeySource::Environment));
    }
    if let Some(path) = file {
        require_owner_only(path)?;
        let text = Zeroizing::new(fs::read_to_string(path).map_err(io_err(path))?);
        return Ok((
            decode_key(&text, &path.display().to_string())?,
            RootKeySource::File(path.into()),
        ));
    }
    let path = data_dir.join(DEV_ROOT_KEY_FILE);
    if !path.exists() {
        let mut raw = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(raw.as_mut())
            .map_err(|_| ConfigError::Invalid("system random source failed".into()))?;
        write_owner_only(&path, B64.encode(raw.as_ref()).as_bytes())?;
    }
    require_owner_only(&path)?;
    let text = Zeroizing::new(fs::read_to_string(&path).map_err(io_err(&path))?);
    Ok((
        decode_key(&text, &path.display().to_string())?,
        RootKeySource::InsecureDevFile(path),
    ))
}

fn decode_key(text: &str, origin: &str) -> Result<DataKey, ConfigError> {
    let bad = || ConfigError::Invalid(format!("{origin}: the root key must be base64 of 32 bytes"));
    let raw = Zeroizing::new(B64.decode(text.trim()).map_err(|_| bad())?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if raw.len() != KEY_LEN {
        return Err(bad());
    }
    key.copy_from_slice(&raw);
    Ok(DataKey::from_bytes(key))
}

/// Loads the root credentials and account id (see the README's configuration section).
pub(crate) fn load_root_credentials(
    env: &dyn Fn(&str) -> Option<String>,
    account_flag: Option<&str>,
    data_dir: &Path,
) -> Result<RootCredentials, ConfigError> {
    let account_path = data_dir.join(ACCOUNT_ID_FILE);
    let account_id = match account_flag
        .map(str::to_owned)
        .or_else(|| env(ENV_ACCOUNT_ID))
    {
        Some(id) => id,
        None => match fs::read_to_string(&account_path) {
            Ok(id) => id.trim().to_owned(),
            Err(_) => random_digits(12)?,
        },
    };
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::Invalid(format!(
            "account id {account_id:?} must be 12 digits"
        )));
    }
    fs::write(&account_path, format!("{account_id}\n")).map_err(io_err(&account_path))?;

    if let (Some(access), Some(secret)) = (env(ENV_ACCESS_KEY), env(ENV_SECRET_KEY)) {
        return Ok(RootCredentials {
            account_id,
            access_key_id: access,
            secret_access_key: Zeroizing::new(secret),
            source: CredentialSource::Environment,
        });
    }
    let path = data_dir.join(CREDENTIALS_FILE);
    if path.exists() {
        require_owner_only(&path)?;
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(io_err(&path))?);
        let mut lines = text.lines();
        let (Some(access), Some(secret)) = (lines.next(), lines.next()) else {
            return Err(ConfigError::Invalid(format!(
                "{}: expected two lines",
                path.display()
            )));
        };
        return Ok(RootCredentials {
            account_id,
            access_key_id: access.trim().to_owned(),
            secret_access_key: Zeroizing::new(secret.trim().to_owned()),
            source: CredentialSource::File(path),
        });
    }
    // AWS access key ids are upper-case letters and digits.
    let access = format!(
        "AKIA{}",
        random_from(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")?
    );
    let secret = Zeroizing::new(random_alnum(40)?);
    write_owner_only(&path, format!("{access}\n{}\n", secret.as_str()).as_bytes())?;
    Ok(RootCredentials {
        account_id,
        access_key_id: access,
        secret_access_key: secret,
        source: CredentialSource::Generated(path),
    })
}

/// `coffer server` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// Data directory (metadata, sealed object files, dev secrets).
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    pub(crate) data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub(crate) listen: SocketAddr,
    /// Region this server answers for.
    #[arg(long, default_value = DEFAULT_REGION)]
    pub(crate) region: String,
    /// File holding the root key (base64 of 32 bytes, mode 0600). Overridden by
    /// COFFER_ROOT_KEY.
    #[arg(long)]
    pub(crate) root_key_file: Option<PathBuf>,
    /// 12-digit id of the default account (else COFFER_ACCOUNT_ID, else kept/generated).
    #[arg(long)]
    pub(crate) account_id: Option<String>,
    /// Refuse legacy Signature Version 2 requests (header and query), as newer AWS
    /// regions do. Accepted by default so that policies can deny them.
    #[arg(long)]
    pub(crate) disable_sigv2: bool,
    /// A DNS name this server answers S3 for: `BUCKET.DOMAIN` is served virtual-hosted
    /// style, `DOMAIN` path style. Repeatable (COFFER_DOMAIN: comma-separated). Without one,
    /// only an IP address or `localhost` names the endpoint.
    #[arg(long = "domain", env = "COFFER_DOMAIN", value_delimiter = ',')]
    pub(crate) domains: Vec<String>,
    /// HTTPS listen address.
    #[arg(long, default_value = DEFAULT_TLS_LISTEN)]
    pub(crate) tls_listen: SocketAddr,
    /// Certificate chain (PEM) for HTTPS; without it a self-signed one is made on first start.
    #[arg(long, requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Private key (PEM) for `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Serve HTTPS only (no plain-HTTP listener).
    #[arg(long)]
    pub(crate) https_only: bool,
    /// KMS request quota per account, per second: `CLASS=RATE` or `CLASS=off` for a class
    /// (symmetric 10000, rsa 500, ecc 300, hmac 2000, management 100 per operation, as AWS),
    /// or `off` for no quotas. Repeatable; COFFER_KMS_QUOTA takes a comma-separated list.
    #[arg(long = "kms-quota", env = "COFFER_KMS_QUOTA", value_delimiter = ',')]
    pub(crate) kms_quota: Vec<String>,
    /// When an audit record must be on disk: `background` (written before the answer, so a
    /// crash of the server loses none; fsynced every 10 ms, so a crash of the machine loses
    /// at most the last 10 ms and one fsync) or `answer` (fsynced before the answer too:
    /// nothing is lost even on power failure, at the cost of an fsync of latency on every
    /// request that uses KMS).
    #[arg(long, value_enum, default_value_t = AuditSync::Background)]
    pub(crate) audit_sync: AuditSync,
    /// TESTS ONLY: a clock that `PUT /_coffer/test-clock?offset-ms=N` moves N ms from the wall
    /// clock, for everything that goes by the date (Object Lock, `aws:CurrentTime`, session
    /// and key expiry). Anyone who can reach the endpoint can move it: never in production.
    #[arg(long, hide_short_help = true)]
    pub(crate) test_clock: bool,
    /// Seconds a connection may sit idle, or take to send a request's headers, before it is
    /// closed.
    #[arg(long, default_value_t = crate::conns::IDLE_TIMEOUT.as_secs())]
    pub(crate) idle_timeout: u64,
    /// Seconds a request body may pause before the request fails with RequestTimeout.
    #[arg(long, default_value_t = crate::conns::BODY_IDLE_TIMEOUT.as_secs())]
    pub(crate) body_timeout: u64,
    /// Connections served at once per listener (past it the longest-idle one is closed).
    #[arg(long, default_value_t = crate::conns::MAX_CONNECTIONS)]
    pub(crate) max_connections: usize,
}

impl ServerArgs {
    /// The flags of `coffer server ARGS...` (as a test starts one in-process).
    pub fn from_flags<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            server: ServerArgs,
        }
        let argv = std::iter::once(std::ffi::OsString::from("coffer-server"))
            .chain(args.into_iter().map(Into::into));
        <Flags as clap::Parser>::try_parse_from(argv).map(|f| f.server)
    }

    pub(crate) fn limits(&self) -> crate::conns::Limits {
        let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
        crate::conns::Limits {
            max_connections: self.max_connections.max(1),
            idle: secs(self.idle_timeout),
            body_idle: secs(self.body_timeout),
            tls_handshake: crate::conns::TLS_HANDSHAKE_TIMEOUT.min(secs(self.idle_timeout)),
        }
    }
}

/// `--audit-sync`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuditSync {
    Background,
    Answer,
}

fn random_digits(n: usize) -> Result<String, ConfigError> {
    random_from(n, b"0123456789").map(|s| {
        // A leading zero would still be 12 digits, but AWS ids never start with one.
        if s.starts_with('0') {
            format!("1{}", s.strip_prefix('0').unwrap_or(&s))
        } else {
            s
        }
    })
}

fn random_alnum(n: usize) -> Result<String, ConfigError> {
    random_from(
        n,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz",
    )
}

fn random_from(n: usize, alphabet: &[u8]) -> Result<String, ConfigError> {
    let mut buf = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| ConfigError::Invalid("system random source failed".into()))?;
    // 256 % 62 bias is irrelevant for identifiers; secrets keep >230 bits either way.
    Ok(buf
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect())
}

fn write_owner_only(path: &Path, content: &[u8]) -> Result<(), ConfigError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(content)
        .and_then(|()| f.sync_all())
        .map_err(io_err(path))
}

/// Secret files readable by others are refused, as Garage does.
fn require_owner_only(path: &Path) -> Result<(), ConfigError> {
    let mode = fs::metadata(path)
        .map_err(io_err(path))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(ConfigError::Invalid(format!(
            "{} is readable by other users (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, src) = load_root_key(None, None, dir.path()).unwrap();
        assert!(matches!(src, RootKeySource::InsecureDevFile(_)));
        let (b, _) = load_root_key(None, None, dir.path()).unwrap();
        assert_eq!(a.expose(), b.expose());
        let mode = fs::metadata(dir.path().join(DEV_ROOT_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn root_key_from_env_and_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let k = B64.encode([5u8; 32]);
        let (key, src) = load_root_key(Some(&k), None, dir.path()).unwrap();
        assert_eq!(key.expose(), &[5u8; 32]);
        assert_eq!(src, RootKeySource::Environment);
        assert!(load_root_key(Some("short"), None, dir.path()).is_err());
        let f = dir.path().join("k");
        fs::write(&f, &k).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_root_key(None, Some(&f), dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains(&k));
    }

    #[test]
    fn credentials_generated_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let none = |_: &str| None;
        let a = load_root_credentials(&none, None, dir.path()).unwrap();
        assert!(matches!(a.source, CredentialSource::Generated(_)));
        assert_eq!(a.account_id.len(), 12);
        assert!(
            a.access_key_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        let b = load_root_credentials(&none, None, dir.path()).unwrap();
        assert!(matches!(b.source, CredentialSource::File(_)));
        assert_eq!(
            (&a.access_key_id, &a.account_id),
            (&b.access_key_id, &b.account_id)
        );
        assert_eq!(*a.secret_access_key, *b.secret_access_key);
        assert!(!format!("{b:?}").contains(b.secret_access_key.as_str()));
        let env = |k: &str| match k {
            ENV_ACCESS_KEY => Some("AK".to_owned()),
            ENV_SECRET_KEY => Some("SK".to_owned()),
            _ => None,
        };
        let c = load_root_credentials(&env, Some("123456789012"), dir.path()).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.account_id.as_str()),
            ("AK", "123456789012")
        );
        assert!(load_root_credentials(&none, Some("12"), dir.path()).is_err());
    }
}
