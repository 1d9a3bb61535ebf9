//! One running server: what `coffer server` starts, and what in-process tests start on
//! `127.0.0.1:0`.

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt as _;
use std::sync::Arc;

use coffer_clock::{MovableClock, SharedClock, SystemClock};
use coffer_s3::S3Core;

use crate::config::{self, CredentialSource, RootKeySource, ServerArgs};
use crate::{audit, http, iam_api, kms_api, s3, s3control, tls};

/// A server that is serving, until [`Running::stop`].
pub struct Running {
    /// The plain HTTP endpoint (`None` under `--https-only`).
    pub http_addr: Option<SocketAddr>,
    pub https_addr: SocketAddr,
    banner: zeroize::Zeroizing<String>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    rotation: tokio::task::JoinHandle<()>,
}

impl Running {
    /// What the server says at start: endpoints, region, account, where the root credentials
    /// are (and, when it generated them, the credentials, shown this once).
    pub fn banner(&self) -> &str {
        &self.banner
    }

    /// Stops accepting, lets the listeners finish, and stops the background work.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.rotation.abort();
    }
}

/// Opens the data directory, binds the listeners and starts serving. `env` reads the
/// process environment in the binary (secrets: `COFFER_ROOT_KEY`, `COFFER_ROOT_ACCESS_KEY`,
/// ...); a test passes its own. Listening on port 0 picks a free port
/// ([`Running::http_addr`]).
pub async fn start(
    args: ServerArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Running, Box<dyn std::error::Error>> {
    let mut quotas = coffer_kms::Quotas::aws_defaults();
    quotas
        .configure(&args.kms_quota)
        .map_err(config::ConfigError::Invalid)?;
    prepare_data_dir(&args.data)?;
    let (root_key, creds) = load_secrets(&args, env)?;
    // One clock for every domain and adapter: what they decide by the date, they decide by it.
    let test_clock = args.test_clock.then(|| {
        tracing::warn!("TEST CLOCK: PUT /_coffer/test-clock moves this server's time; tests only");
        Arc::new(MovableClock::default())
    });
    let clock: SharedClock = match &test_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let domains = open_domains(&args, root_key, clock.clone(), quotas).await?;
    domains
        .iam
        .register_root_key(
            &creds.account_id,
            &creds.access_key_id,
            &creds.secret_access_key,
        )
        .await?;
    let audit = Arc::new(audit::AuditLog::open(
        &args.data,
        &args.region,
        args.audit_sync == config::AuditSync::Answer,
        clock,
    )?);
    let (tls_config, cert_source) = tls::server_config(
        args.tls_cert.as_deref(),
        args.tls_key.as_deref(),
        &args.data,
    )?;
    let tls_listener = tokio::net::TcpListener::bind(args.tls_listen).await?;
    let listener = match args.https_only {
        true => None,
        false => Some(tokio::net::TcpListener::bind(args.listen).await?),
    };
    let http_addr = listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let https_addr = tls_listener.local_addr()?;
    let banner = banner(&args, http_addr, https_addr, &cert_source, &creds)?;
    drop(creds);
    let Domains {
        core,
        iam,
        kms,
        rotation,
    } = domains;
    let mut door = http::FrontDoor::new(
        s3::service(
            core.clone(),
            iam.clone(),
            kms.clone(),
            audit.clone(),
            args.region.clone(),
            !args.disable_sigv2,
            s3::Domains::new(&args.domains),
        ),
        s3::Domains::new(&args.domains),
        iam_api::QueryApi {
            iam: iam.clone(),
            region: args.region.clone(),
        },
        s3control::S3Control {
            core,
            iam: iam.clone(),
            region: args.region.clone(),
        },
        kms_api::KmsApi { kms, iam, audit },
    );
    door.test_clock = test_clock;
    let door = Arc::new(door);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let limits = args.limits();
    let mut tasks = vec![tokio::spawn(http::serve(
        tls_listener,
        door.clone(),
        Some(tokio_rustls::TlsAcceptor::from(tls_config)),
        limits,
        stopped(stop_rx.clone()),
    ))];
    if let Some(listener) = listener {
        tasks.push(tokio::spawn(http::serve(
            listener,
            door,
            None,
            limits,
            stopped(stop_rx),
        )));
    }
    Ok(Running {
        http_addr,
        https_addr,
        banner,
        stop,
        tasks,
        rotation,
    })
}

/// The domains over the data directory's storage, each holding its own subkey of the root
/// key (which goes here), and the key service's maintenance task.
struct Domains {
    core: Arc<S3Core>,
    iam: Arc<coffer_iam::Iam>,
    kms: Arc<coffer_kms::Kms>,
    rotation: tokio::task::JoinHandle<()>,
}

async fn open_domains(
    args: &ServerArgs,
    root_key: coffer_crypto::DataKey,
    clock: SharedClock,
    quotas: coffer_kms::Quotas,
) -> Result<Domains, Box<dyn std::error::Error>> {
    let mut core = S3Core::open(
        coffer_store::Storage::embedded(&args.data)?,
        &root_key,
        clock.clone(),
    )
    .await?;
    let iam = Arc::new(iam_for(core.metadata(), &root_key, clock.clone()));
    // Key material rests sealed under its own subkey of the root key.
    let kms_key = root_key.derive(b"coffer/kms/key-material/v1");
    drop(root_key);
    let mut kms = coffer_kms::Kms::new(core.metadata(), &kms_key, &args.region, clock);
    kms.set_quotas(quotas);
    let kms = Arc::new(kms);
    drop(kms_key);
    core.attach_kms(kms.clone());
    let rotation = spawn_key_rotation(kms.clone());
    Ok(Domains {
        core: Arc::new(core),
        iam,
        kms,
        rotation,
    })
}

/// Creates the data directory owner-only if it is missing, and warns if it is open to others.
fn prepare_data_dir(data: &std::path::Path) -> std::io::Result<()> {
    if !data.exists() {
        // Owner-only: the directory holds wrapped keys and, in dev mode, the root key.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data)?;
    }
    warn_if_open(data);
    Ok(())
}

/// The root key (environment, key file, or — loudly — the dev file beside the data) and the
/// root user's credentials.
fn load_secrets(
    args: &ServerArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(coffer_crypto::DataKey, config::RootCredentials), config::ConfigError> {
    let env_root_key = env("COFFER_ROOT_KEY");
    let (root_key, key_source) = config::load_root_key(
        env_root_key.as_deref(),
        args.root_key_file.as_deref(),
        &args.data,
    )?;
    if let RootKeySource::InsecureDevFile(path) = &key_source {
        tracing::warn!(
            "INSECURE DEV MODE: the root key that wraps every data key is stored beside the data \
             at {}. Anyone with the data directory can decrypt it. Set COFFER_ROOT_KEY or \
             --root-key-file for real use.",
            path.display()
        );
    }
    let creds = config::load_root_credentials(env, args.account_id.as_deref(), &args.data)?;
    Ok((root_key, creds))
}

/// What the server says at start. May hold generated root credentials: wiped when dropped.
fn banner(
    args: &ServerArgs,
    http_addr: Option<SocketAddr>,
    https_addr: SocketAddr,
    cert_source: &tls::CertSource,
    creds: &config::RootCredentials,
) -> Result<zeroize::Zeroizing<String>, std::fmt::Error> {
    use std::fmt::Write as _;
    let mut banner = zeroize::Zeroizing::new(String::new());
    let addr = match http_addr {
        Some(a) => a.to_string(),
        None => "(plain HTTP off: --https-only)".to_owned(),
    };
    writeln!(
        &mut *banner,
        "Coffer S3 endpoint: http://{addr}  (region {}, account {})",
        args.region, creds.account_id
    )?;
    match cert_source {
        tls::CertSource::Given(p) => writeln!(
            &mut *banner,
            "HTTPS endpoint: https://{https_addr}  (certificate {})",
            p.display()
        ),
        tls::CertSource::SelfSigned(p) => writeln!(
            &mut *banner,
            "HTTPS endpoint: https://{https_addr}  (self-signed certificate: aws --ca-bundle {})",
            p.display()
        ),
    }?;
    match &creds.source {
        CredentialSource::Environment => writeln!(
            &mut *banner,
            "Root credentials: from COFFER_ROOT_ACCESS_KEY / COFFER_ROOT_SECRET_KEY"
        )?,
        CredentialSource::File(p) => writeln!(
            &mut *banner,
            "Root credentials: access key {} (secret in {})",
            creds.access_key_id,
            p.display()
        )?,
        CredentialSource::Generated(p) => {
            // Shown this once; kept owner-only in the data directory.
            writeln!(
                &mut *banner,
                "Root credentials generated (shown once, kept in {}):",
                p.display()
            )?;
            writeln!(&mut *banner, "  AWS_ACCESS_KEY_ID={}", creds.access_key_id)?;
            writeln!(
                &mut *banner,
                "  AWS_SECRET_ACCESS_KEY={}",
                creds.secret_access_key.as_str()
            )?;
        }
    }
    Ok(banner)
}

/// Files made here are owner-only (umask), but a directory created beforehand keeps its
/// mode: if others may read or enter it, say so loudly at every start.
fn warn_if_open(data: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(m) = std::fs::metadata(data) {
        let mode = m.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "the data directory {} has mode {mode:o}: others may see its files' names and \
                 sizes. Make it owner-only: chmod 700 {}",
                data.display(),
                data.display()
            );
        }
    }
}

/// IAM over the data directory's store; secret access keys are sealed under a key derived
/// from the root key for that purpose alone.
pub(crate) fn iam_for(
    meta: Arc<dyn coffer_store::MetaStore>,
    root_key: &coffer_crypto::DataKey,
    clock: SharedClock,
) -> coffer_iam::Iam {
    let key = root_key.derive(b"coffer/iam/secret-access-keys/v1");
    coffer_iam::Iam::new(meta, &key, clock)
}

/// Once a minute: rotates KMS keys whose automatic rotation is due, deletes imported key
/// material past its ValidTo, and destroys keys past their deletion date.
fn spawn_key_rotation(kms: Arc<coffer_kms::Kms>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match kms.rotate_due_keys().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "rotated KMS keys"),
                Err(e) => {
                    tracing::warn!(error = %e, "KMS key rotation failed; retrying next minute")
                }
            }
            match kms.expire_imported_material().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "imported KMS key material expired"),
                Err(e) => tracing::warn!(error = %e, "expiring imported key material failed"),
            }
            match kms.purge_deleted_keys().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(keys = n, "KMS keys past their deletion date destroyed"),
                Err(e) => tracing::warn!(error = %e, "destroying deleted KMS keys failed"),
            }
        }
    })
}
