//! The register CLI against the built binary: `migrate` creates the SQLite store,
//! `export-calls` writes the `/api/calls` columns as CSV, `purge` keeps the 3-year
//! floor unless forced [SLA-9, SEC-3].

use std::path::Path;
use std::process::Command;

fn centralino(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_centralino")).current_dir(dir).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn sla_9_sec_3_migrate_export_and_purge() {
    let dir = std::env::temp_dir().join(format!("centralino-register-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/centralino.toml")).unwrap();
    std::fs::write(dir.join("config/centralino.toml"), demo).unwrap();
    // The IVR scripts the demo config names sit beside it.
    std::fs::create_dir_all(dir.join("config/ivr")).unwrap();
    for script in ["verde.toml", "centralino.toml"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/ivr").join(script), dir.join("config/ivr").join(script)).unwrap();
    }

    let (ok, out) = centralino(&dir, &["migrate"]);
    assert!(ok, "{out}");
    assert!(dir.join("data/centralino.db").exists(), "the demo store is created under data/");

    let (ok, out) = centralino(&dir, &["export-calls", "--from", "2026-01-01", "--to", "2026-12-31", "--output", "calls.csv"]);
    assert!(ok, "{out}");
    let csv = std::fs::read_to_string(dir.join("calls.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("id,channel,from,to,trunk,started_at,operator_requested_at,answered_at,ended_at,queue,agent,wait_seconds,talk_seconds,hangup_side,hangup_cause,outcome,recording_path,ticket_id,announced_wait_seconds")
    );

    let (ok, out) = centralino(&dir, &["export-calls", "--from", "2026-02-30", "--to", "2026-12-31", "--output", "x.csv"]);
    assert!(!ok && out.contains("not a date"), "{out}");

    let (ok, out) = centralino(&dir, &["purge", "--older-than-years", "1"]);
    assert!(!ok && out.contains("retention floor"), "{out}");
    let (ok, out) = centralino(&dir, &["purge", "--older-than-years", "1", "--force"]);
    assert!(ok && out.contains("purged 0 calls"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
