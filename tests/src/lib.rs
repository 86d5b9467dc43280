//! Support code shared by the system tests in `tests/`.
