//! Role publishing: the pod's role labels and a leader's entries in the Parliament status.

mod district_entry;
mod fence;
mod pod_labels;
mod prime_minister_entry;
mod published_roles;
mod role_publisher;
mod settings;
mod status_writer;

pub use district_entry::{DISTRICT_FIELD_MANAGER_PREFIX, DistrictEntry};
pub use fence::Fence;
pub use pod_labels::{LABEL_FIELD_MANAGER, PodLabels};
pub use prime_minister_entry::{PRIME_MINISTER_FIELD_MANAGER, PrimeMinisterEntry, to_time};
pub use published_roles::PublishedRoles;
pub use role_publisher::RolePublisher;
pub use settings::PublisherSettings;
pub use status_writer::StatusWriter;
