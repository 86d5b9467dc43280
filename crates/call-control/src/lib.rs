//! Sans-IO per-call B2BUA: legs, bridge, hold, hangup causes; plus the routing pieces a
//! call needs before it starts (dial plan, trunk health) [TEL-1, TEL-2, TEL-4, TEL-5].

mod call;
mod confirmed;
mod connect;
mod disconnect;
pub mod dial_plan;
pub mod io;
mod legs;
mod local;
mod setup;
pub mod trunk;
pub mod trunk_registration;

pub use call::{ALLOW, Call};
