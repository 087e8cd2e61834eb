//! `spec.tls`: how sidecars secure the peer protocol.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Mutual TLS between sidecars. The certificate Secret holds `tls.crt`, `tls.key` and
/// `ca.crt`; every peer must present a certificate signed by that CA.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.mode != 'files' || has(self.secretName)",
        "message": "mode files reads certificates from a Secret you provide: set secretName",
        "fieldPath": ".secretName",
    },
    {
        "rule": "self.mode != 'disabled' || !has(self.secretName)",
        "message": "secretName is unused when mode is disabled: remove it, or choose files or generated",
        "fieldPath": ".secretName",
    },
]))]
pub struct Tls {
    /// disabled: plaintext peer traffic (only for trusted test networks). files: the sidecars
    /// read the certificate, key and CA mounted from secretName, which you manage (for example
    /// with cert-manager). generated: meant for certificates the operator creates and renews;
    /// the operator does not create them yet, so the sidecars read secretName (default
    /// <name>-tls) as in files mode. Unless the mode is disabled, a sidecar without the mounted
    /// Secret refuses to start rather than speak plaintext.
    #[serde(default)]
    pub mode: TlsMode,
    /// Name of the Secret in the Parliament's namespace holding tls.crt, tls.key and ca.crt.
    /// Required when mode is files; when mode is generated it defaults to the Parliament's
    /// name followed by -tls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_name: Option<String>,
}

impl Tls {
    /// The Secret the sidecars read their certificates from, for the Parliament named
    /// `parliament`: secretName when set, else `<parliament>-tls` in generated mode, and
    /// none when TLS is disabled.
    #[must_use]
    pub fn secret_name_for(&self, parliament: &str) -> Option<String> {
        match self.mode {
            TlsMode::Disabled => None,
            TlsMode::Files | TlsMode::Generated => Some(
                self.secret_name
                    .clone()
                    .unwrap_or_else(|| format!("{parliament}-tls")),
            ),
        }
    }
}

/// Where the sidecars' peer certificates come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TlsMode {
    /// Plaintext; only for trusted test networks.
    Disabled,
    /// Certificates from a Secret the user manages.
    Files,
    /// Certificates the operator is to generate and renew (not yet: read like Files).
    #[default]
    Generated,
}

impl TlsMode {
    /// The spelling used in the spec.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Files => "files",
            TlsMode::Generated => "generated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_name_defaults_only_when_generated() {
        let named = |mode, secret_name: Option<&str>| Tls {
            mode,
            secret_name: secret_name.map(str::to_owned),
        };
        let cases = [
            (named(TlsMode::Generated, None), Some("web-tls")),
            (named(TlsMode::Generated, Some("peers")), Some("peers")),
            (named(TlsMode::Files, Some("peers")), Some("peers")),
            (named(TlsMode::Disabled, None), None),
        ];
        for (tls, want) in cases {
            assert_eq!(tls.secret_name_for("web").as_deref(), want, "{tls:?}");
        }
    }
}
