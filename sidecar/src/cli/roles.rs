//! `parliament roles [--watch]`: one member's roles, or every change as it happens.

use clap::Args;
use futures::StreamExt;
use parliament_proto::client as pb;
use tonic::Status;

use crate::cli::client;

/// Options of `parliament roles`.
#[derive(Args, Debug, Clone)]
pub struct RolesArgs {
    /// A member's client API address.
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub api: String,
    /// Keep printing role changes until interrupted.
    #[arg(long)]
    pub watch: bool,
}

fn kind(k: i32) -> &'static str {
    match pb::RoleKind::try_from(k) {
        Ok(pb::RoleKind::Member) => "member",
        Ok(pb::RoleKind::Representative) => "representative",
        Ok(pb::RoleKind::PrimeMinister) => "prime-minister",
        Ok(pb::RoleKind::Lord) => "lord",
        _ => "unspecified",
    }
}

/// One line per role grant.
#[must_use]
pub fn describe(r: &pb::RolesResponse) -> String {
    let mut lines = vec![format!(
        "{} (member {}) in district {}, session {}",
        r.member, r.member_id, r.district, r.session
    )];
    for g in &r.roles {
        let token = g
            .token
            .as_ref()
            .map_or_else(String::new, |t| format!(" token ({}, {})", t.group, t.term));
        lines.push(format!(
            "  {:<15} {} ({}){token}",
            kind(g.kind),
            g.member,
            g.district
        ));
    }
    lines.join("\n")
}

/// Runs `parliament roles`, printing as it goes.
///
/// # Errors
/// The member cannot be reached or the stream failed.
pub async fn run(args: RolesArgs) -> Result<(), Status> {
    let mut c = client::connect(&args.api).await?;
    if !args.watch {
        let r = c.roles(pb::RolesRequest {}).await?.into_inner();
        println!("{}", describe(&r));
        return Ok(());
    }
    let mut stream = c.watch_roles(pb::WatchRolesRequest {}).await?.into_inner();
    while let Some(event) = stream.next().await {
        match event?.kind {
            Some(pb::role_event::Kind::Snapshot(r)) => println!("{}", describe(&r)),
            Some(pb::role_event::Kind::Changed(c)) => match c.holder {
                Some(h) => println!(
                    "{} of {} is now {} (member {})",
                    kind(c.kind),
                    c.district,
                    h.member,
                    h.member_id
                ),
                None => println!("{} of {} is vacant", kind(c.kind), c.district),
            },
            None => {}
        }
    }
    Ok(())
}
