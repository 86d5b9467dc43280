//! Shell: a task per call driving call-control; registrar and trunks; wires the shells.
