//! Sans-IO RFC 3261 §17 transactions with Timers A-K.
