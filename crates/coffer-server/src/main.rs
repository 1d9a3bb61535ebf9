//! `coffer`: the server binary and its command-line tools.
//!
//! Owns configuration, listeners, the front door and the protocol adapters (s3s for S3).
//! Domain crates below it never see HTTP, XML, environment variables or flags.

mod admin_cli;
mod api_error;
mod audit;
mod bench;
mod config;
mod conns;
mod escape;
mod http;
mod iam_api;
mod kms_api;
mod logging;
mod policy_cli;
mod s3;
mod s3control;
mod signed;
mod sigv4;
mod tls;
mod wire_common;

use std::os::unix::fs::DirBuilderExt as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use coffer_clock::{MovableClock, SharedClock, SystemClock};
use coffer_s3::S3Core;

use crate::config::{CredentialSource, RootKeySource, ServerArgs};

#[derive(Parser)]
#[command(
    name = "coffer",
    version,
    about = "S3-compatible object store that encrypts every object at rest"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Server(config::ServerArgs),
    /// Accounts on this data directory.
    #[command(subcommand)]
    Account(admin_cli::AccountCommand),
    /// Account guardrails (the SCP equivalent).
    #[command(subcommand)]
    Guardrail(admin_cli::GuardrailCommand),
    /// Read the audit trail of KMS use.
    Audit(audit::AuditArgs),
    /// Policy tools.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
    /// Load generator: SigV4-signed PUT/GET against a running server, prints a table.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    logging::init();
    // Whatever Coffer or SQLite creates (metadata, WAL, blobs, audit trail, secrets,
    // certificates) is owner-only, whatever the mode of a directory created beforehand.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Server(args) => runtime.block_on(run_server(args)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Policy(cmd) => policy_cli::run(cmd),
        Command::Audit(args) => audit::run(args),
        Command::Account(cmd) => runtime.block_on(admin_cli::account(cmd)),
        Command::Guardrail(cmd) => runtime.block_on(admin_cli::guardrail(cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_server(args: ServerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut quotas = coffer_kms::Quotas::aws_defaults();
    quotas
        .configure(&args.kms_quota)
        .map_err(config::ConfigError::Invalid)?;
    if !args.data.exists() {
        // Owner-only: the directory holds wrapped keys and, in dev mode, the root key.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&args.data)?;
    }
    warn_if_open(&args.data);
    let env_root_key = std::env::var("COFFER_ROOT_KEY").ok();
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
    let env = |k: &str| std::env::var(k).ok();
    let creds = config::load_root_credentials(&env, args.account_id.as_deref(), &args.data)?;
    // One clock for every domain and adapter: what they decide by the date, they decide by it.
    let test_clock = args.test_clock.then(|| {
        tracing::warn!("TEST CLOCK: PUT /_coffer/test-clock moves this server's time; tests only");
        Arc::new(MovableClock::default())
    });
    let clock: SharedClock = match &test_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
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
    let mut kms = coffer_kms::Kms::new(core.metadata(), &kms_key, &args.region, clock.clone());
    kms.set_quotas(quotas);
    let kms = Arc::new(kms);
    drop(kms_key);
    core.attach_kms(kms.clone());
    spawn_key_rotation(kms.clone());
    let core = Arc::new(core);
    iam.register_root_key(
        &creds.account_id,
        &creds.access_key_id,
        &creds.secret_access_key,
    )
    .await?;

    let core_for_control = core.clone();
    let audit = Arc::new(audit::AuditLog::open(
        &args.data,
        &args.region,
        args.audit_sync == config::AuditSync::Answer,
        clock.clone(),
    )?);
    let s3 = s3::service(
        core,
        iam.clone(),
        kms.clone(),
        audit.clone(),
        args.region.clone(),
        !args.disable_sigv2,
        s3::Domains::new(&args.domains),
    );
    let (tls_config, cert_source) = tls::server_config(
        args.tls_cert.as_deref(),
        args.tls_key.as_deref(),
        &args.data,
    )?;
    let tls_listener = tokio::net::TcpListener::bind(args.tls_listen).await?;
    let tls_addr = tls_listener.local_addr()?;
    let listener = match args.https_only {
        true => None,
        false => Some(tokio::net::TcpListener::bind(args.listen).await?),
    };
    let addr = match &listener {
        Some(l) => l.local_addr()?.to_string(),
        None => "(plain HTTP off: --https-only)".to_owned(),
    };
    println!(
        "Coffer S3 endpoint: http://{addr}  (region {}, account {})",
        args.region, creds.account_id
    );
    match &cert_source {
        tls::CertSource::Given(p) => println!(
            "HTTPS endpoint: https://{tls_addr}  (certificate {})",
            p.display()
        ),
        tls::CertSource::SelfSigned(p) => println!(
            "HTTPS endpoint: https://{tls_addr}  (self-signed certificate: aws --ca-bundle {})",
            p.display()
        ),
    }
    match &creds.source {
        CredentialSource::Environment => {
            println!("Root credentials: from COFFER_ROOT_ACCESS_KEY / COFFER_ROOT_SECRET_KEY");
        }
        CredentialSource::File(p) => {
            println!(
                "Root credentials: access key {} (secret in {})",
                creds.access_key_id,
                p.display()
            );
        }
        CredentialSource::Generated(p) => {
            // Printed this once; kept owner-only in the data directory.
            println!(
                "Root credentials generated (shown once, kept in {}):",
                p.display()
            );
            println!("  AWS_ACCESS_KEY_ID={}", creds.access_key_id);
            println!(
                "  AWS_SECRET_ACCESS_KEY={}",
                creds.secret_access_key.as_str()
            );
        }
    }
    println!("Ready.");
    drop(creds);
    let kms_api = kms_api::KmsApi {
        kms,
        iam: iam.clone(),
        audit,
    };
    let control = s3control::S3Control {
        core: core_for_control,
        iam: iam.clone(),
        region: args.region.clone(),
    };
    let mut door = http::FrontDoor::new(
        s3,
        s3::Domains::new(&args.domains),
        iam_api::QueryApi {
            iam,
            region: args.region.clone(),
        },
        control,
        kms_api,
    );
    door.test_clock = test_clock;
    let door = Arc::new(door);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let limits = args.limits();
    let https = tokio::spawn(http::serve(
        tls_listener,
        door.clone(),
        Some(tokio_rustls::TlsAcceptor::from(tls_config)),
        limits,
        stopped(stop_rx.clone()),
    ));
    if let Some(listener) = listener {
        tokio::spawn(http::serve(listener, door, None, limits, stopped(stop_rx)));
    }
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = https.await;
    Ok(())
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
fn iam_for(
    meta: Arc<dyn coffer_store::MetaStore>,
    root_key: &coffer_crypto::DataKey,
    clock: SharedClock,
) -> coffer_iam::Iam {
    let key = root_key.derive(b"coffer/iam/secret-access-keys/v1");
    coffer_iam::Iam::new(meta, &key, clock)
}

/// Once a minute: rotates KMS keys whose automatic rotation is due, deletes imported key
/// material past its ValidTo, and destroys keys past their deletion date.
fn spawn_key_rotation(kms: Arc<coffer_kms::Kms>) {
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
    });
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
}
