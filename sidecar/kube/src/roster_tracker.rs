//! `RosterTracker`: which roster ConfigMap versions are news, decided without a client.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use parliament_crds::Roster;
use parliament_crds::labels::ROSTER_KEY;

/// Keeps the newest roster revision seen. Watches may replay older versions of the
/// ConfigMap (a relist, a resumed watch), and an operator bug or a hand edit may leave
/// something that is not a roster; neither may replace the roster the member acts on.
#[derive(Debug, Default)]
pub struct RosterTracker {
    newest: Option<u64>,
}

impl RosterTracker {
    /// A tracker that has seen nothing.
    #[must_use]
    pub fn new() -> RosterTracker {
        RosterTracker::default()
    }

    /// The revision of the newest roster accepted so far.
    #[must_use]
    pub fn newest(&self) -> Option<u64> {
        self.newest
    }

    /// Reads one version of the roster ConfigMap: the roster when it is newer than every
    /// roster seen before; `None` (with a logged reason) when it is older or the same
    /// revision, or when the ConfigMap holds no readable roster.
    pub fn observe(&mut self, config_map: &ConfigMap) -> Option<Roster> {
        let name = config_map.name_any();
        let resource_version = config_map.resource_version().unwrap_or_default();
        let Some(text) = config_map.data.as_ref().and_then(|d| d.get(ROSTER_KEY)) else {
            tracing::error!(
                config_map = %name,
                %resource_version,
                key = ROSTER_KEY,
                "the roster ConfigMap has no roster key; keeping the last good roster"
            );
            return None;
        };
        let roster = match Roster::from_json(text) {
            Ok(roster) => roster,
            Err(error) => {
                tracing::error!(
                    config_map = %name,
                    %resource_version,
                    %error,
                    "the roster ConfigMap holds no readable roster; keeping the last good roster"
                );
                return None;
            }
        };
        match self.newest {
            Some(newest) if roster.revision <= newest => {
                tracing::debug!(
                    config_map = %name,
                    revision = roster.revision,
                    newest,
                    "ignoring a roster that is not newer than the one applied"
                );
                None
            }
            _ => {
                self.newest = Some(roster.revision);
                Some(roster)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config_map(data: Option<&str>) -> ConfigMap {
        ConfigMap {
            data: data.map(|text| BTreeMap::from([(ROSTER_KEY.to_owned(), text.to_owned())])),
            ..ConfigMap::default()
        }
    }

    fn roster(revision: u64) -> ConfigMap {
        let roster = Roster {
            revision,
            peer_port: 7400,
            ..Roster::default()
        };
        let text = roster.to_json().expect("a roster serialises");
        config_map(Some(&text))
    }

    #[test]
    fn only_newer_rosters_are_news() {
        let mut tracker = RosterTracker::new();
        let cases = [
            (roster(3), Some(3)),
            (roster(3), None),
            (roster(2), None),
            (config_map(Some("{not json")), None),
            (config_map(None), None),
            (config_map(Some(r#"{"revision": "seven"}"#)), None),
            (roster(4), Some(4)),
            (roster(1), None),
        ];
        for (step, (config_map, expected)) in cases.into_iter().enumerate() {
            let got = tracker.observe(&config_map).map(|r| r.revision);
            assert_eq!(got, expected, "step {step}");
        }
        assert_eq!(tracker.newest(), Some(4));
    }
}
