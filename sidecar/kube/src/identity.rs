//! `Identity`: who this sidecar is, from the downward API.

use std::net::IpAddr;

use crate::{Error, Result};

/// Environment variable with the pod's name (`fieldRef: metadata.name`).
pub const ENV_POD_NAME: &str = "POD_NAME";
/// Environment variable with the pod's namespace (`fieldRef: metadata.namespace`).
pub const ENV_POD_NAMESPACE: &str = "POD_NAMESPACE";
/// Environment variable with the pod's UID (`fieldRef: metadata.uid`).
pub const ENV_POD_UID: &str = "POD_UID";
/// Environment variable with the pod's IP (`fieldRef: status.podIP`).
pub const ENV_POD_IP: &str = "POD_IP";
/// Environment variable with the name of the Parliament the pod is a member of.
pub const ENV_PARLIAMENT_NAME: &str = "PARLIAMENT_NAME";

/// The pod this sidecar runs in and the Parliament it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Pod name; also the name the roster and the status use for this member.
    pub pod: String,
    /// Namespace of the pod, the Parliament and the roster ConfigMap.
    pub namespace: String,
    /// Pod UID, to find this incarnation in the roster.
    pub uid: String,
    /// Pod IP.
    pub ip: IpAddr,
    /// Name of the Parliament.
    pub parliament: String,
}

impl Identity {
    /// Reads the identity from the process environment.
    ///
    /// # Errors
    /// [`Error::MissingEnv`] naming the first variable that is unset or empty, and how the
    /// pod spec sets it; [`Error::InvalidEnv`] when `POD_IP` is not an IP address.
    pub fn from_env() -> Result<Identity> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the identity through `lookup`, which returns a variable's value (for tests,
    /// and for callers that take the values from elsewhere).
    ///
    /// # Errors
    /// As [`Identity::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Identity> {
        let var = |name: &'static str, hint: &'static str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(Error::MissingEnv { name, hint })
        };
        let pod = var(ENV_POD_NAME, "valueFrom.fieldRef.fieldPath: metadata.name")?;
        let namespace = var(
            ENV_POD_NAMESPACE,
            "valueFrom.fieldRef.fieldPath: metadata.namespace",
        )?;
        let uid = var(ENV_POD_UID, "valueFrom.fieldRef.fieldPath: metadata.uid")?;
        let ip_text = var(ENV_POD_IP, "valueFrom.fieldRef.fieldPath: status.podIP")?;
        let ip = ip_text.parse().map_err(|_| Error::InvalidEnv {
            name: ENV_POD_IP,
            value: ip_text.clone(),
            expected: "an IPv4 or IPv6 address",
        })?;
        let parliament = var(
            ENV_PARLIAMENT_NAME,
            "value: the name of the Parliament whose selector matches this pod",
        )?;
        Ok(Identity {
            pod,
            namespace,
            uid,
            ip,
            parliament,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(skip: &str) -> HashMap<&'static str, &'static str> {
        [
            (ENV_POD_NAME, "web-0"),
            (ENV_POD_NAMESPACE, "shop"),
            (ENV_POD_UID, "0a1b"),
            (ENV_POD_IP, "10.0.0.7"),
            (ENV_PARLIAMENT_NAME, "web"),
        ]
        .into_iter()
        .filter(|(name, _)| *name != skip)
        .collect()
    }

    fn read(vars: &HashMap<&'static str, &'static str>) -> Result<Identity> {
        Identity::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn the_downward_api_gives_the_identity() {
        let identity = read(&env("")).expect("every variable is set");
        assert_eq!(identity.pod, "web-0");
        assert_eq!(identity.namespace, "shop");
        assert_eq!(identity.uid, "0a1b");
        assert_eq!(identity.ip.to_string(), "10.0.0.7");
        assert_eq!(identity.parliament, "web");
    }

    #[test]
    fn a_missing_variable_is_named() {
        for name in [
            ENV_POD_NAME,
            ENV_POD_NAMESPACE,
            ENV_POD_UID,
            ENV_POD_IP,
            ENV_PARLIAMENT_NAME,
        ] {
            let error = read(&env(name)).expect_err("one variable is missing");
            assert!(error.to_string().contains(name), "{name} is named: {error}");
        }
        let mut blank = env("");
        blank.insert(ENV_POD_UID, "  ");
        let error = read(&blank).expect_err("blank is missing");
        assert!(error.to_string().contains("metadata.uid"), "{error}");
    }

    #[test]
    fn a_bad_ip_is_named_with_its_value() {
        let mut vars = env("");
        vars.insert(ENV_POD_IP, "not-an-ip");
        let error = read(&vars).expect_err("not an address");
        assert!(
            error.to_string().contains("POD_IP is \"not-an-ip\""),
            "{error}"
        );
    }
}
