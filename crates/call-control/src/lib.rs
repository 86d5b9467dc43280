//! Sans-IO per-call B2BUA: legs, bridge, hold, hangup causes.
