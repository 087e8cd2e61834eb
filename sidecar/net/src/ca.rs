//! A throwaway certificate authority (rcgen) for `parliament up` and tests: it issues
//! each member a certificate whose subject alternative name is its roster identity.
//! Nothing it makes is meant to outlive the parliament that made it.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::error::{Error, Result};
use crate::tls::TlsConfig;

/// A CA generated in memory.
pub struct ThrowawayCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for ThrowawayCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrowawayCa").finish_non_exhaustive()
    }
}

fn tls_err(e: rcgen::Error) -> Error {
    Error::Tls(format!("generating a certificate: {e}"))
}

impl ThrowawayCa {
    /// A new CA named after `cluster`.
    ///
    /// # Errors
    /// [`Error::Tls`] if key generation or signing fails.
    pub fn new(cluster: &str) -> Result<ThrowawayCa> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(
            DnType::CommonName,
            format!("parliament {cluster} throwaway CA"),
        );
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(tls_err)?;
        let issuer = CertifiedIssuer::self_signed(params, key).map_err(tls_err)?;
        Ok(ThrowawayCa { issuer })
    }

    /// The CA certificate, PEM.
    #[must_use]
    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate and key for the member whose roster identity is `identity` (a DNS
    /// name), usable both to serve and to dial.
    ///
    /// # Errors
    /// [`Error::Tls`] if `identity` is not a valid DNS name or signing fails.
    pub fn issue(&self, identity: &str) -> Result<TlsConfig> {
        let mut params = CertificateParams::new(vec![identity.to_owned()]).map_err(tls_err)?;
        params.distinguished_name.push(DnType::CommonName, identity);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().map_err(tls_err)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_err)?;
        Ok(TlsConfig {
            ca_pem: self.ca_pem().into_bytes(),
            cert_pem: cert.pem().into_bytes(),
            key_pem: key.serialize_pem().into_bytes(),
        })
    }
}
