//! Shared vocabulary of the contact center; today the wall-clock type every register,
//! event and file name is stamped with (UTC, proleptic Gregorian) [SLA-9].

pub mod wall_clock;
