//! Westminster scenario tests: whole parliaments of members in one process, messages
//! delivered in order, with members that can be cut off or crashed.

mod districts;
mod lords;
mod membership;
mod parliament;
mod reputation;
mod seats;
mod sessions;
mod snapshots;
mod term_limits;
