//! Shared vocabulary of the contact center; today the wall-clock type every register,
//! event and file name is stamped with (UTC, proleptic Gregorian) [SLA-9], and the ticket
//! life cycle of Annex A [CRM-11].

pub mod wall_clock;
pub mod ticket;
