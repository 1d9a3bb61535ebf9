//! HTTPS: the server's certificate (given, or self-signed on first start) and the rustls
//! configuration (TLS 1.2 and 1.3, aws-lc-rs).

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the certificate came from, for the start-up banner.
pub(crate) enum CertSource {
    Given(PathBuf),
    /// Generated on first start; clients can trust it with `aws --ca-bundle PATH`.
    SelfSigned(PathBuf),
}

/// Loads `cert`/`key`, or the self-signed pair in `DATA/tls/` (made on first start).
pub(crate) fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
    data_dir: &Path,
) -> Result<(Arc<ServerConfig>, CertSource), Box<dyn std::error::Error>> {
    let (cert_path, key_path, source) = match (cert, key) {
        (Some(c), Some(k)) => (
            c.to_path_buf(),
            k.to_path_buf(),
            CertSource::Given(c.to_path_buf()),
        ),
        (None, None) => {
            let dir = data_dir.join("tls");
            let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !c.exists() || !k.exists() {
                fs::create_dir_all(&dir)?;
                let generated = rcgen::generate_simple_self_signed(vec![
                    "localhost".into(),
                    "127.0.0.1".into(),
                    "::1".into(),
                ])?;
                fs::write(&c, generated.cert.pem())?;
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(&k)?;
                f.write_all(generated.key_pair.serialize_pem().as_bytes())?;
                f.sync_all()?;
            }
            (c.clone(), k, CertSource::SelfSigned(c))
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert_path.display()))?;
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| format!("{}: {e}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), source))
}
