//! Mutual TLS for the peer transport: certificates from PEM files, and the identity rule.
//!
//! Both sides present a certificate signed by the parliament's CA. The dialer checks
//! the listener's certificate against the peer's roster identity (rustls, via the TLS
//! server name); the listener checks, after the hello, that the dialer's certificate is
//! valid for the roster identity of the member its hello claims. So a member can speak
//! only as itself.

use std::path::Path;

use rustls::pki_types::{CertificateDer, ServerName};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

use crate::error::{Error, Result};

/// PEM material for mTLS: the CA that signs every member's certificate, and this
/// member's certificate (chain) and private key.
#[derive(Clone)]
pub struct TlsConfig {
    /// The CA certificate, PEM.
    pub ca_pem: Vec<u8>,
    /// This member's certificate chain, PEM; its subject alternative name must be this
    /// member's roster identity.
    pub cert_pem: Vec<u8>,
    /// This member's private key, PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("TlsConfig")
            .field("ca_pem", &format_args!("{} bytes", self.ca_pem.len()))
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl TlsConfig {
    /// Reads the CA certificate, this member's certificate and its key from PEM files.
    ///
    /// # Errors
    /// [`Error::ReadFile`] naming the file that could not be read.
    pub fn from_files(
        ca: impl AsRef<Path>,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsConfig> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| Error::ReadFile {
                path: p.display().to_string(),
                source,
            })
        };
        Ok(TlsConfig {
            ca_pem: read(ca.as_ref())?,
            cert_pem: read(cert.as_ref())?,
            key_pem: read(key.as_ref())?,
        })
    }

    pub(crate) fn server(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .client_ca_root(Certificate::from_pem(&self.ca_pem))
    }

    pub(crate) fn client(&self, peer_identity: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .domain_name(peer_identity)
    }
}

/// Whether `cert` (already verified against the CA by rustls) is valid for the DNS
/// name `identity`: one of its subject alternative names matches.
pub(crate) fn certificate_names(cert: &CertificateDer<'_>, identity: &str) -> bool {
    let Ok(name) = ServerName::try_from(identity) else {
        return false;
    };
    webpki::EndEntityCert::try_from(cert)
        .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&name).is_ok())
}
