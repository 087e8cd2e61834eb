//! How `parliament up` lays a Parliament spec out on this machine: district names and
//! member names from the spec (or the counts asked for), and per member a peer, API and
//! metrics port on 127.0.0.1.

use parliament_crds::{ParliamentSpec, Roster, RosterDistrict, RosterMember};

use crate::error::{Error, Result};

/// The shape asked for on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Districts, when the spec names none.
    pub districts: Option<usize>,
    /// Members per district, when the spec names none.
    pub members: Option<usize>,
    /// The first port; member `i` (from 0) gets `base + 3i` (peer), `+1` (API), `+2`
    /// (metrics).
    pub base_port: u16,
}

/// A member's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalMember {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Peer address.
    pub peer: String,
    /// Client API address.
    pub api: String,
    /// Metrics address.
    pub metrics: String,
}

/// Builds the roster for `name` and the members' addresses.
///
/// # Errors
/// [`Error::Config`] when the counts are zero or too large for the port range.
pub fn plan(name: &str, spec: &ParliamentSpec, shape: Shape) -> Result<(Roster, Vec<LocalMember>)> {
    let explicit = spec.districting.explicit();
    let bootstrap = spec.bootstrap.as_ref();
    let mut names: Vec<String> = match (shape.districts, explicit) {
        (Some(n), _) => (1..=n).map(|i| format!("district-{i}")).collect(),
        (None, Some(map)) => map.names().map(str::to_owned).collect(),
        (None, None) => match bootstrap {
            Some(b) if !b.representatives.is_empty() => b.representatives.keys().cloned().collect(),
            _ => (1..=3).map(|i| format!("district-{i}")).collect(),
        },
    };
    names.sort();
    if names.is_empty() {
        return Err(Error::Config("--districts must be at least 1".to_owned()));
    }
    // Pod names: the spec's (podNames districting) unless counts were given.
    let pods_of = |district: &str, index: usize| -> Vec<String> {
        let per = shape.members.unwrap_or(3);
        match (shape.members, spec.districting.mode(), explicit) {
            (None, "podNames", Some(map)) => map
                .get(district)
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
            _ => (0..per)
                .map(|i| format!("{name}-{}", index * per + i))
                .collect(),
        }
    };
    let mut districts = Vec::new();
    let mut members = Vec::new();
    let mut next_id = 1u64;
    for (di, d) in names.iter().enumerate() {
        let pods = pods_of(d, di);
        if pods.is_empty() {
            return Err(Error::Config(format!(
                "district {d} has no members; give --members or list its pods"
            )));
        }
        let mut roster_members = Vec::new();
        for pod in &pods {
            let i = members.len();
            let port = |k: usize| -> Result<u16> {
                u16::try_from(usize::from(shape.base_port) + 3 * i + k).map_err(|_| {
                    Error::Config(format!(
                        "--base-port {} leaves no room for {} members (3 ports each)",
                        shape.base_port,
                        i + 1
                    ))
                })
            };
            let m = LocalMember {
                id: next_id,
                name: pod.clone(),
                district: d.clone(),
                peer: format!("127.0.0.1:{}", port(0)?),
                api: format!("127.0.0.1:{}", port(1)?),
                metrics: format!("127.0.0.1:{}", port(2)?),
            };
            roster_members.push(RosterMember {
                id: m.id,
                pod: m.name.clone(),
                uid: format!("local-{}", m.id),
                district: d.clone(),
                ip: Some("127.0.0.1".to_owned()),
                dns: None,
                peer_address: Some(m.peer.clone()),
                api_address: Some(m.api.clone()),
            });
            members.push(m);
            next_id += 1;
        }
        let bootstrap_representative = bootstrap
            .and_then(|b| b.representatives.get(d))
            .filter(|p| pods.contains(p))
            .cloned();
        districts.push(RosterDistrict {
            name: d.clone(),
            members: roster_members,
            bootstrap_representative,
            founders: None,
            id: None,
        });
    }
    let bootstrap_prime_minister = bootstrap
        .and_then(|b| b.prime_minister.clone())
        .filter(|p| members.iter().any(|m| &m.name == p));
    Ok((
        Roster {
            revision: 1,
            generation: 1,
            peer_port: spec.ports.peer,
            districts,
            bootstrap_prime_minister,
            ..Roster::default()
        },
        members,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ParliamentSpec {
        parliament_crds::parliament_from_yaml(yaml)
            .expect("parses")
            .spec
    }

    const EXAMPLE: &str = include_str!("../../../examples/parliament.yaml");

    #[test]
    fn the_example_lays_out_three_districts_of_three_with_its_bootstrap_leaders() {
        let shape = Shape {
            districts: None,
            members: Some(3),
            base_port: 20000,
        };
        let (roster, members) = plan("web", &spec(EXAMPLE), shape).expect("plans");
        let names: Vec<_> = roster.districts.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert_eq!(members.len(), 9);
        assert_eq!(members[4].api, "127.0.0.1:20013");
        // web-0 is in the first district, web-1 is not in the second (web-3..5 are).
        assert_eq!(
            roster.districts[0].bootstrap_representative.as_deref(),
            Some("web-0")
        );
        assert_eq!(roster.districts[1].bootstrap_representative, None);
        assert_eq!(roster.bootstrap_prime_minister.as_deref(), Some("web-0"));
    }

    #[test]
    fn counts_override_and_ports_must_fit() {
        let shape = Shape {
            districts: Some(2),
            members: Some(1),
            base_port: 65533,
        };
        let err = plan("web", &spec(EXAMPLE), shape).expect_err("ports run out");
        assert!(err.to_string().contains("--base-port 65533"), "{err}");
    }
}
