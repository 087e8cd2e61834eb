//! The hello exchanged first on every stream, and the rules that accept or refuse it.
//!
//! A peer is accepted when it speaks our protocol version, belongs to our cluster, names
//! a roster member other than us, and (with mTLS) presents a certificate valid for that
//! member's roster identity. Anything else is refused with the reason, which goes back
//! to the peer as the gRPC status message: FAILED_PRECONDITION for another protocol
//! version, PERMISSION_DENIED for everything else (as `peer.proto` documents).

use parliament_engine::NodeId;
use parliament_proto::PEER_PROTOCOL_VERSION;
use parliament_proto::peer::{Frame, Hello, frame};
use rustls::pki_types::CertificateDer;
use tonic::{Code, Status};

use crate::config::TransportConfig;
use crate::roster::Roster;
use crate::tls;

/// This member's hello.
pub(crate) fn hello(config: &TransportConfig) -> Frame {
    Frame {
        kind: Some(frame::Kind::Hello(Hello {
            member: config.member.get(),
            cluster: config.cluster.clone(),
            protocol_version: PEER_PROTOCOL_VERSION,
        })),
    }
}

/// The hello in a stream's first frame, or why there is none.
pub(crate) fn hello_of(frame: Frame) -> Result<Hello, String> {
    match frame.kind {
        Some(frame::Kind::Hello(h)) => Ok(h),
        Some(frame::Kind::Batch(_)) => {
            Err("the first frame on a peer stream must be a hello, not a batch".to_owned())
        }
        None => Err("the first frame on a peer stream is empty; it must be a hello".to_owned()),
    }
}

/// Why a hello was refused, and the gRPC code the refusal carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: Code,
    pub(crate) reason: String,
}

impl Refusal {
    /// The peer may not speak to us: unknown member, other cluster, wrong certificate.
    pub(crate) fn denied(reason: String) -> Refusal {
        Refusal {
            code: Code::PermissionDenied,
            reason,
        }
    }

    /// The status that ends the peer's call.
    pub(crate) fn status(&self) -> Status {
        Status::new(self.code, self.reason.clone())
    }
}

/// Checks a peer's hello; returns the member it claims to be, or why it is refused.
pub(crate) fn check(
    config: &TransportConfig,
    roster: &Roster,
    hello: &Hello,
) -> Result<NodeId, Refusal> {
    if hello.protocol_version != PEER_PROTOCOL_VERSION {
        return Err(Refusal {
            code: Code::FailedPrecondition,
            reason: format!(
                "peer protocol version {} is not supported (this member speaks {PEER_PROTOCOL_VERSION}); run the same release on both",
                hello.protocol_version
            ),
        });
    }
    if hello.cluster != config.cluster {
        return Err(Refusal::denied(format!(
            "peer belongs to cluster {:?}, this member to {:?}",
            hello.cluster, config.cluster
        )));
    }
    let member = NodeId(hello.member);
    if member == config.member {
        return Err(Refusal::denied(format!(
            "peer claims this member's own id {member}"
        )));
    }
    if !roster.contains(member) {
        return Err(Refusal::denied(format!(
            "member {member} is not in the roster of cluster {:?}; add it to the roster first",
            config.cluster
        )));
    }
    Ok(member)
}

/// With mTLS, checks that the dialer's certificate (`certs`, its chain as the listener
/// received it, already verified against the CA by rustls) is valid for the roster
/// identity of `member`, the member its hello claims. Without TLS, accepts.
pub(crate) fn check_certificate(
    config: &TransportConfig,
    roster: &Roster,
    member: NodeId,
    certs: Option<&[CertificateDer<'static>]>,
) -> Result<(), String> {
    let Some(entry) = roster.get(member) else {
        return Err(format!("member {member} is not in the roster"));
    };
    if config.tls.is_some() {
        let Some(leaf) = certs.and_then(<[_]>::first) else {
            return Err(format!(
                "member {member} presented no client certificate; mTLS is required"
            ));
        };
        if !tls::certificate_names(leaf, &entry.identity) {
            return Err(format!(
                "the certificate presented by member {member} is not valid for its roster identity {:?}",
                entry.identity
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::Member;

    fn setup() -> (TransportConfig, Roster) {
        let config = TransportConfig::new("westminster", NodeId(1));
        let roster = Roster::new((1..=3).map(|i| Member {
            id: NodeId(i),
            address: format!("127.0.0.1:{}", 7000 + i),
            identity: format!("n{i}.westminster"),
        }));
        (config, roster)
    }

    fn h(member: u64, cluster: &str, version: u32) -> Hello {
        Hello {
            member,
            cluster: cluster.to_owned(),
            protocol_version: version,
        }
    }

    #[test]
    fn hellos_are_accepted_or_refused_with_a_reason_and_code() {
        let (config, roster) = setup();
        let v = PEER_PROTOCOL_VERSION;
        let denied = Code::PermissionDenied;
        let version = Code::FailedPrecondition;
        let cases = [
            ("a roster peer", h(2, "westminster", v), Ok(NodeId(2))),
            (
                "unknown member",
                h(9, "westminster", v),
                Err((denied, "member n9 is not in the roster")),
            ),
            (
                "other cluster",
                h(2, "holyrood", v),
                Err((denied, "cluster \"holyrood\"")),
            ),
            ("own id", h(1, "westminster", v), Err((denied, "own id"))),
            (
                "unset protocol",
                h(2, "westminster", 0),
                Err((version, "version 0 is not supported")),
            ),
            (
                "version 1, bare engine messages",
                h(2, "westminster", 1),
                Err((version, "version 1 is not supported (this member speaks 2)")),
            ),
            (
                "a later version",
                h(2, "westminster", v + 1),
                Err((version, "is not supported")),
            ),
        ];
        for (name, hello, want) in cases {
            let got = check(&config, &roster, &hello);
            match (got, want) {
                (Ok(m), Ok(w)) => assert_eq!(m, w, "{name}"),
                (Err(refusal), Err((code, w))) => {
                    assert_eq!(refusal.code, code, "{name}: {refusal:?}");
                    assert!(refusal.reason.contains(w), "{name}: {refusal:?}");
                    assert_eq!(refusal.status().code(), code, "{name}");
                }
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn the_first_frame_must_be_a_hello() {
        assert!(hello_of(Frame::default()).is_err());
        assert!(hello_of(hello(&setup().0)).is_ok());
    }
}
