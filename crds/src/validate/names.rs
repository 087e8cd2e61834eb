//! Syntax of the Kubernetes names a spec carries: DNS labels and subdomains, label keys and
//! label values. Each check returns what is wrong, to be quoted in a `SpecError`.
//!
//! The rules are apimachinery's (`k8s.io/apimachinery/pkg/util/validation`).

/// Most characters in a DNS label, a label value, or the name part of a label key.
const MAX_LABEL: usize = 63;
/// Most characters in a DNS subdomain.
const MAX_SUBDOMAIN: usize = 253;

/// A DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric,
/// at most 63 characters. District names must be one.
pub(crate) fn dns_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if s.len() > MAX_LABEL {
        return Err(format!(
            "must be at most {MAX_LABEL} characters, not {}",
            s.len()
        ));
    }
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !s.chars().all(|c| lower_alnum(c) || c == '-') || !starts_and_ends(s, lower_alnum) {
        return Err("must consist of lowercase letters, digits and '-', and start and end with a letter or digit".to_owned());
    }
    Ok(())
}

/// A DNS-1123 subdomain: dot-separated DNS labels, at most 253 characters. Pod and Secret
/// names must be one.
pub(crate) fn dns_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if s.len() > MAX_SUBDOMAIN {
        return Err(format!(
            "must be at most {MAX_SUBDOMAIN} characters, not {}",
            s.len()
        ));
    }
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let part_ok = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| lower_alnum(c) || c == '-')
            && starts_and_ends(part, lower_alnum)
    };
    if !s.split('.').all(part_ok) {
        return Err("must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit".to_owned());
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and
/// ending alphanumeric.
pub(crate) fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    label_name(s)
}

/// A label key: an optional DNS-subdomain prefix and '/', then a name as in
/// [`label_value`] but not empty.
pub(crate) fn label_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, s),
    };
    if let Some(prefix) = prefix {
        dns_subdomain(prefix).map_err(|why| format!("has a prefix that {why}"))?;
    }
    if name.is_empty() {
        return Err(match prefix {
            Some(_) => "must have a name after the prefix".to_owned(),
            None => "must not be empty".to_owned(),
        });
    }
    label_name(name)
}

fn label_name(s: &str) -> Result<(), String> {
    if s.len() > MAX_LABEL {
        return Err(format!(
            "must be at most {MAX_LABEL} characters, not {}",
            s.len()
        ));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.')) || !starts_and_ends(s, alnum) {
        return Err("must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit".to_owned());
    }
    Ok(())
}

fn starts_and_ends(s: &str, ok: impl Fn(char) -> bool) -> bool {
    s.chars().next().is_some_and(&ok) && s.chars().next_back().is_some_and(&ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Check = fn(&str) -> Result<(), String>;

    #[test]
    fn names_follow_apimachinery() {
        let long_label = "a".repeat(64);
        let cases: &[(&str, Check, &str, bool)] = &[
            ("dns label", dns_label, "east", true),
            ("dns label", dns_label, "us-east-1a", true),
            ("dns label", dns_label, "", false),
            ("dns label", dns_label, "East", false),
            ("dns label", dns_label, "-east", false),
            ("dns label", dns_label, "east.1", false),
            ("dns label", dns_label, &long_label, false),
            ("subdomain", dns_subdomain, "web-0", true),
            ("subdomain", dns_subdomain, "web.example-0", true),
            ("subdomain", dns_subdomain, "web..0", false),
            ("subdomain", dns_subdomain, "Web-0", false),
            ("subdomain", dns_subdomain, "web-", false),
            ("label value", label_value, "", true),
            ("label value", label_value, "us_East.1", true),
            ("label value", label_value, "_x", false),
            ("label value", label_value, &long_label, false),
            ("label key", label_key, "topology.kubernetes.io/zone", true),
            ("label key", label_key, "zone", true),
            ("label key", label_key, "Topology.io/zone", false),
            ("label key", label_key, "topology.io/", false),
            ("label key", label_key, "a/b/c", false),
            ("label key", label_key, "", false),
        ];
        for (kind, check, input, valid) in cases {
            assert_eq!(
                check(input).is_ok(),
                *valid,
                "{kind} {input:?}: {:?}",
                check(input)
            );
        }
    }
}
