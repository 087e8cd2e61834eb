//! `validate`: the rules of a Parliament spec that the CRD schema cannot express.
//!
//! The schema (with its CEL rules) rejects wrong types, out-of-range numbers and the
//! cross-field rules it can afford to evaluate. This module repeats those cross-field rules,
//! so that a spec that never passed an API server (local mode, a CRD installed without
//! validation) is held to the same standard, and adds what CEL cannot do within the API
//! server's cost budget: name syntax of map keys, duplicates across districts, and bootstrap
//! leaders that must belong to the districts they lead. `tests/cel.rs` checks that both
//! agree wherever both apply.

mod names;
mod spec_error;
#[cfg(test)]
mod tests;

pub use spec_error::SpecError;

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::spec::{
    Bootstrap, DistrictMap, Districting, Lords, MAX_DISTRICT_ENTRIES, MAX_DISTRICTS,
    MIN_TENURE_IN_ELECTION_TIMEOUTS, ParliamentSpec, Ports, TermLimits, Timeouts, Tls, TlsMode,
};

/// Checks what the schema cannot. Returns every problem found, in field order, each naming
/// its field path (such as `spec.districting.podNames.east[2]`) and what to do.
///
/// # Errors
/// The list of problems, never empty.
pub fn validate(spec: &ParliamentSpec) -> Result<(), Vec<SpecError>> {
    let mut checker = Checker::default();
    checker.selector(&spec.selector);
    checker.districting(&spec.districting);
    if let Some(bootstrap) = &spec.bootstrap {
        checker.bootstrap(bootstrap, &spec.districting);
    }
    checker.term_limits(&spec.term_limits, &spec.timeouts);
    checker.timeouts(&spec.timeouts);
    checker.lords(&spec.lords, &spec.districting);
    checker.tls(&spec.tls);
    checker.ports(&spec.ports);
    if checker.errors.is_empty() {
        Ok(())
    } else {
        Err(checker.errors)
    }
}

/// What a district map lists.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Pod,
    LabelValue,
}

impl Entry {
    fn noun(self) -> &'static str {
        match self {
            Entry::Pod => "pod",
            Entry::LabelValue => "label value",
        }
    }

    fn syntax(self, s: &str) -> Result<(), String> {
        match self {
            Entry::Pod => names::dns_subdomain(s),
            Entry::LabelValue if s.is_empty() => Err("must not be empty".to_owned()),
            Entry::LabelValue => names::label_value(s),
        }
    }
}

#[derive(Debug, Default)]
struct Checker {
    errors: Vec<SpecError>,
}

impl Checker {
    fn fail(
        &mut self,
        path: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.errors.push(SpecError::new(path, problem, fix));
    }

    fn selector(&mut self, selector: &LabelSelector) {
        let labels = selector.match_labels.as_ref();
        let expressions = selector.match_expressions.as_deref().unwrap_or_default();
        if labels.is_none_or(BTreeMap::is_empty) && expressions.is_empty() {
            self.fail(
                "spec.selector",
                "the selector is empty and would enlist every pod in the namespace",
                "set matchLabels to the labels of the member pods",
            );
        }
        for (key, value) in labels.into_iter().flatten() {
            let path = key_path("spec.selector.matchLabels", key);
            if let Err(why) = names::label_key(key) {
                self.fail(
                    &path,
                    format!("label key {key:?} {why}"),
                    "use a valid label key",
                );
            }
            if let Err(why) = names::label_value(value) {
                self.fail(
                    &path,
                    format!("label value {value:?} {why}"),
                    "use a valid label value",
                );
            }
        }
        for (i, requirement) in expressions.iter().enumerate() {
            let path = format!("spec.selector.matchExpressions[{i}]");
            if let Err(why) = names::label_key(&requirement.key) {
                self.fail(
                    format!("{path}.key"),
                    format!("label key {:?} {why}", requirement.key),
                    "use a valid label key",
                );
            }
            let values = requirement.values.as_deref().unwrap_or_default();
            match requirement.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => self.fail(
                    format!("{path}.values"),
                    format!("operator {} has no values", requirement.operator),
                    "list at least one value",
                ),
                "Exists" | "DoesNotExist" if !values.is_empty() => self.fail(
                    format!("{path}.values"),
                    format!("operator {} takes no values", requirement.operator),
                    "remove the values",
                ),
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                other => self.fail(
                    format!("{path}.operator"),
                    format!("unknown operator {other:?}"),
                    "use In, NotIn, Exists or DoesNotExist",
                ),
            }
        }
    }

    fn districting(&mut self, districting: &Districting) {
        match districting {
            Districting::NodeLabel(key) => {
                if let Err(why) = names::label_key(key) {
                    self.fail(
                        "spec.districting.nodeLabel",
                        format!("node label {key:?} {why}"),
                        "name a node label key such as topology.kubernetes.io/zone",
                    );
                }
            }
            Districting::NodeLabelValues(values) => {
                if let Err(why) = names::label_key(&values.key) {
                    self.fail(
                        "spec.districting.nodeLabelValues.key",
                        format!("node label {:?} {why}", values.key),
                        "name a node label key such as topology.kubernetes.io/zone",
                    );
                }
                self.district_map(
                    "spec.districting.nodeLabelValues.districts",
                    &values.districts,
                    Entry::LabelValue,
                );
            }
            Districting::PodNames(pods) => {
                self.district_map("spec.districting.podNames", pods, Entry::Pod);
            }
        }
    }

    fn district_map(&mut self, base: &str, map: &DistrictMap, entry: Entry) {
        let noun = entry.noun();
        if map.is_empty() {
            self.fail(base, "no district is named", "name at least one district");
        }
        if map.len() > MAX_DISTRICTS {
            self.fail(
                base,
                format!(
                    "{} districts are named, more than the {MAX_DISTRICTS} allowed",
                    map.len()
                ),
                "merge districts",
            );
        }
        // Where each entry was first seen, to name both places of a duplicate.
        let mut seen: HashMap<&str, (&str, usize)> = HashMap::new();
        for (district, entries) in map.iter() {
            let path = key_path(base, district);
            if let Err(why) = names::dns_label(district) {
                self.fail(
                    &path,
                    format!("district name {district:?} {why}"),
                    "rename the district: its name becomes the value of the parliament.dev/district label",
                );
            }
            if entries.is_empty() {
                self.fail(
                    &path,
                    format!("district {district} lists no {noun}"),
                    format!("list at least one {noun}, or remove the district"),
                );
            }
            if entries.len() > MAX_DISTRICT_ENTRIES {
                self.fail(
                    &path,
                    format!(
                        "district {district} lists {} entries, more than the {MAX_DISTRICT_ENTRIES} allowed",
                        entries.len()
                    ),
                    "split the district",
                );
            }
            for (i, value) in entries.iter().enumerate() {
                let path = format!("{path}[{i}]");
                if let Err(why) = entry.syntax(value) {
                    self.fail(
                        &path,
                        format!("{noun} {value:?} {why}"),
                        format!("give a valid {noun}"),
                    );
                }
                match seen.get(value.as_str()) {
                    Some(&(first, j)) if first == district => self.fail(
                        &path,
                        format!(
                            "{noun} {value} is listed twice in district {district}, also at [{j}]"
                        ),
                        "remove one of them",
                    ),
                    Some(&(first, j)) => self.fail(
                        &path,
                        format!(
                            "{noun} {value} is already in district {first}, at {}[{j}]",
                            key_path(base, first)
                        ),
                        format!(
                            "a {noun} belongs to one district only: remove it from one of them"
                        ),
                    ),
                    None => {
                        seen.insert(value, (district, i));
                    }
                }
            }
        }
    }

    fn bootstrap(&mut self, bootstrap: &Bootstrap, districting: &Districting) {
        const BASE: &str = "spec.bootstrap.representatives";
        let explicit = districting.explicit();
        let pods = match districting {
            Districting::PodNames(pods) => Some(pods),
            _ => None,
        };
        let mut named: HashMap<&str, &str> = HashMap::new();
        for (district, pod) in &bootstrap.representatives {
            let path = key_path(BASE, district);
            match explicit {
                Some(map) if map.get(district).is_none() => {
                    self.fail(
                        &path,
                        format!(
                            "there is no district {district:?}; spec.districting names {}",
                            map.names().collect::<Vec<_>>().join(", ")
                        ),
                        "name a district from spec.districting, or remove the entry",
                    );
                    continue;
                }
                Some(_) => {}
                None => {
                    let syntax = if district.is_empty() {
                        Err("must not be empty".to_owned())
                    } else {
                        names::label_value(district)
                    };
                    if let Err(why) = syntax {
                        self.fail(
                            &path,
                            format!("district name {district:?} {why}"),
                            "use the node label value that names the district",
                        );
                    }
                }
            }
            if let Err(why) = names::dns_subdomain(pod) {
                self.fail(
                    &path,
                    format!("pod name {pod:?} {why}"),
                    "name a member pod",
                );
                continue;
            }
            if let Some(pods) = pods
                && !pods.get(district).unwrap_or_default().contains(pod)
            {
                let home = pods.iter().find(|(_, members)| members.contains(pod));
                let problem = match home {
                    Some((home, _)) => format!("pod {pod} is in district {home}, not {district}"),
                    None => format!("pod {pod} is not listed in any district"),
                };
                self.fail(
                    &path,
                    problem,
                    format!(
                        "name a pod listed in {}",
                        key_path("spec.districting.podNames", district)
                    ),
                );
            }
            if let Some(first) = named.insert(pod, district) {
                self.fail(
                    &path,
                    format!("pod {pod} is already named to represent district {first}"),
                    "a pod represents one district only: name another pod",
                );
            }
        }
        if let Some(pm) = &bootstrap.prime_minister
            && !bootstrap.representatives.values().any(|pod| pod == pm)
        {
            let representatives = bootstrap
                .representatives
                .values()
                .map(String::as_str)
                .collect::<Vec<_>>();
            let problem = if representatives.is_empty() {
                format!("pod {pm} is named Prime Minister but no bootstrap representative is named")
            } else {
                format!(
                    "pod {pm} is not one of the bootstrap representatives ({})",
                    representatives.join(", ")
                )
            };
            self.fail(
                "spec.bootstrap.primeMinister",
                problem,
                "name one of the representatives, or add the pod as its district's representative: the Prime Minister leads the Commons from a district's seat",
            );
        }
    }

    fn term_limits(&mut self, limits: &TermLimits, timeouts: &Timeouts) {
        const BASE: &str = "spec.termLimits";
        let representative = limits.representative_max_tenure_seconds;
        let prime_minister = limits.prime_minister_max_tenure_seconds;
        if prime_minister > representative {
            self.fail(
                format!("{BASE}.primeMinisterMaxTenureSeconds"),
                format!("{prime_minister} exceeds representativeMaxTenureSeconds ({representative}); a Prime Minister is also its district's representative, so the district's limit would end its tenure first"),
                format!("set it to at most {representative}"),
            );
        }
        if let Some(stagger) = limits.stagger_seconds
            && stagger >= representative
        {
            self.fail(
                format!("{BASE}.staggerSeconds"),
                format!("{stagger} is not less than representativeMaxTenureSeconds ({representative}); offsets wrap around the tenure"),
                "lower it, or remove it to spread deadlines evenly",
            );
        }
        if !limits.enabled {
            return;
        }
        let least_ms = u64::from(MIN_TENURE_IN_ELECTION_TIMEOUTS)
            * u64::from(timeouts.election_timeout_max_ms);
        let least_seconds = least_ms.div_ceil(1000);
        for (field, seconds) in [
            ("representativeMaxTenureSeconds", representative),
            ("primeMinisterMaxTenureSeconds", prime_minister),
        ] {
            if u64::from(seconds) * 1000 < least_ms {
                self.fail(
                    format!("{BASE}.{field}"),
                    format!(
                        "{seconds} s is shorter than {MIN_TENURE_IN_ELECTION_TIMEOUTS} election timeouts ({MIN_TENURE_IN_ELECTION_TIMEOUTS} x timeouts.electionTimeoutMaxMs {} ms), so hand-overs would rival elections",
                        timeouts.election_timeout_max_ms
                    ),
                    format!("set it to at least {least_seconds}, or lower timeouts.electionTimeoutMaxMs"),
                );
            }
        }
    }

    fn timeouts(&mut self, timeouts: &Timeouts) {
        const BASE: &str = "spec.timeouts";
        let Timeouts {
            election_timeout_min_ms: min,
            election_timeout_max_ms: max,
            heartbeat_interval_ms: heartbeat,
            max_clock_drift_ms: drift,
        } = *timeouts;
        // The engine's own rules (sidecar/engine Config::validate), in its order.
        if heartbeat == 0 {
            self.fail(
                format!("{BASE}.heartbeatIntervalMs"),
                "0 would make leaders send heartbeats without pause",
                "set it to at least 1",
            );
        } else if u64::from(min) <= 2 * u64::from(heartbeat) {
            self.fail(
                format!("{BASE}.electionTimeoutMinMs"),
                format!("{min} ms is not more than twice heartbeatIntervalMs ({heartbeat} ms), so one lost heartbeat could start an election"),
                format!("raise it above {} or lower heartbeatIntervalMs", 2 * u64::from(heartbeat)),
            );
        }
        if max <= min {
            self.fail(
                format!("{BASE}.electionTimeoutMaxMs"),
                format!("{max} ms is not greater than electionTimeoutMinMs ({min} ms); each timeout is drawn at random between the two"),
                format!("raise it above {min}; twice electionTimeoutMinMs is usual"),
            );
        }
        if drift >= min {
            self.fail(
                format!("{BASE}.maxClockDriftMs"),
                format!("{drift} ms is not less than electionTimeoutMinMs ({min} ms), so leader leases (electionTimeoutMinMs minus maxClockDriftMs) would be empty"),
                "lower it, or raise electionTimeoutMinMs",
            );
        }
    }

    fn lords(&mut self, lords: &Lords, districting: &Districting) {
        const PATH: &str = "spec.lords.size";
        let size = lords.size;
        if size == 0 {
            self.fail(
                PATH,
                "0 Lords could ratify no critical decree",
                "set it to 1 or more",
            );
        } else if size.is_multiple_of(2) {
            self.fail(
                PATH,
                format!("{size} is even: an even House can split evenly and ratify nothing"),
                format!("use {} or {}", size - 1, size + 1),
            );
        }
        // An empty district map is reported by `districting` already.
        if let Some(map) = districting.explicit()
            && !map.is_empty()
            && usize::try_from(size).is_ok_and(|size| size > map.len())
        {
            let largest_odd = if map.len() % 2 == 1 {
                map.len()
            } else {
                map.len() - 1
            };
            self.fail(
                PATH,
                format!("{size} Lords need {size} districts, since each comes from a different one, but spec.districting names {}", map.len()),
                format!("set it to at most {largest_odd}"),
            );
        }
    }

    fn tls(&mut self, tls: &Tls) {
        const PATH: &str = "spec.tls.secretName";
        match (&tls.mode, &tls.secret_name) {
            (TlsMode::Files, None) => self.fail(
                PATH,
                "mode files reads certificates from a Secret, but none is named",
                "set secretName to a Secret holding tls.crt, tls.key and ca.crt, or use mode generated",
            ),
            (TlsMode::Disabled, Some(name)) => self.fail(
                PATH,
                format!("Secret {name} is unused when mode is disabled"),
                "remove secretName, or choose mode files or generated",
            ),
            (_, Some(name)) => {
                if let Err(why) = names::dns_subdomain(name) {
                    self.fail(PATH, format!("Secret name {name:?} {why}"), "use a valid Secret name");
                }
            }
            (_, None) => {}
        }
    }

    fn ports(&mut self, ports: &Ports) {
        let named = [
            ("peer", ports.peer),
            ("api", ports.api),
            ("metrics", ports.metrics),
        ];
        for (i, (field, port)) in named.iter().enumerate() {
            if let Some((other, _)) = named[..i].iter().find(|(_, p)| p == port) {
                self.fail(
                    format!("spec.ports.{field}"),
                    format!("port {port} is also the {other} port"),
                    "give peer, api and metrics three different ports",
                );
            }
        }
    }
}

/// `base.key`, or `base["key"]` when the key is not a plain name (label keys have '/').
fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}[{key:?}]")
    }
}
