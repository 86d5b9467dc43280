//! Black-box test of `centralino prompts …` (requirement IVR-2; issue "Media engine" item 6):
//! runs the built binary on a temporary prompts folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A folder under the system temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "centralino-prompts-cli-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn prompts(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_centralino"))
        .arg("prompts")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .expect("run centralino")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A 16-bit PCM WAV sine written by hand (`channels` interleaved copies).
fn write_wav(path: &Path, rate: u32, channels: u16, freq: f64, secs: f64) {
    let frames = (f64::from(rate) * secs) as u32;
    let data_len = frames * u32::from(channels) * 2;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    b.extend_from_slice(&(channels * 2).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let v = (2.0 * std::f64::consts::PI * freq * f64::from(i) / f64::from(rate)).sin();
        for _ in 0..channels {
            b.extend_from_slice(&((v * 10_000.0) as i16).to_le_bytes());
        }
    }
    fs::write(path, b).expect("write wav");
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn prompts_cli_add_list_history_delete_backup_restore_ivr_2() {
    let tmp = TempDir::new();
    let dir = tmp.0.join("prompts");
    let first = tmp.0.join("first.wav");
    let second = tmp.0.join("second.wav");
    write_wav(&first, 44_100, 2, 440.0, 0.5);
    write_wav(&second, 16_000, 1, 880.0, 0.25);

    let o = prompts(
        &dir,
        &["add", "it", "benvenuto", first.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("installed it/benvenuto"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("restart"), "{}", stdout(&o));
    let v1 = fs::read(dir.join("it/benvenuto.wav")).expect("v1");
    assert_eq!(v1.len(), 44 + 4000 * 2, "8 kHz mono 16-bit, 0.5 s");

    let o = prompts(
        &dir,
        &["add", "it", "benvenuto", second.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = prompts(&dir, &["list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = stdout(&o);
    assert!(
        listing.contains("it/benvenuto") && listing.contains("0.25 s"),
        "{listing}"
    );
    assert!(
        listing.contains("1 old version(s)") && listing.contains("1 prompt(s)"),
        "{listing}"
    );

    let o = prompts(&dir, &["history", "it", "benvenuto"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let history = stdout(&o);
    let version = history
        .split_whitespace()
        .next()
        .expect("a version")
        .to_owned();
    assert!(history.contains("0.50 s"), "{history}");

    let o = prompts(&dir, &["restore-version", "it", "benvenuto", &version]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join("it/benvenuto.wav")).expect("back"), v1);

    let o = prompts(&dir, &["delete", "it", "benvenuto"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&prompts(&dir, &["list"])).contains("0 prompt(s)"));
    let o = prompts(&dir, &["history", "it", "benvenuto"]);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));

    prompts(
        &dir,
        &["add", "moh", "default", first.to_str().expect("utf-8")],
    );
    let before = snapshot(&dir);
    let archive = tmp.0.join("backup.tar");
    let o = prompts(&dir, &["backup", archive.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("backed up 3 file(s)"), "{}", stdout(&o));
    fs::remove_dir_all(&dir).expect("wipe");
    let o = prompts(&dir, &["restore", archive.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(snapshot(&dir), before);
    let o = prompts(
        &dir,
        &["restore", archive.to_str().expect("utf-8"), "--merge"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 unchanged"), "{}", stdout(&o));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn prompts_cli_errors_exit_non_zero_with_a_clear_message_ivr_2() {
    let tmp = TempDir::new();
    let dir = tmp.0.join("prompts");
    let corrupt = tmp.0.join("corrupt.wav");
    fs::write(&corrupt, b"definitely not audio").expect("write");

    let o = prompts(
        &dir,
        &["add", "it", "benvenuto", corrupt.to_str().expect("utf-8")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("corrupt.wav"), "{}", stderr(&o));

    let o = prompts(
        &dir,
        &["add", "ITA", "benvenuto", corrupt.to_str().expect("utf-8")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("invalid language \"ITA\""),
        "{}",
        stderr(&o)
    );

    let o = prompts(&dir, &["delete", "it", "nessuno"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("it/nessuno not found"),
        "{}",
        stderr(&o)
    );

    let missing = tmp.0.join("missing.tar");
    let o = prompts(&dir, &["restore", missing.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.tar"), "{}", stderr(&o));

    let o = prompts(&dir, &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("usage: centralino prompts"),
        "{}",
        stderr(&o)
    );

    let o = prompts(&dir, &["--help"]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("restart it to pick up changes"),
        "{}",
        stdout(&o)
    );
}
