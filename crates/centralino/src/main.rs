//! The `centralino` binary: CLI, configuration loading and start-up of every shell.
fn main() {}
