//! Tests of the prompt store (IVR-2; issue "Media engine" item 6) on temporary folders with
//! generated WAV files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::files::{format_timestamp, is_version_id, parse_timestamp, version_order};
use super::*;

/// A folder under the system temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "media-relay-store-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
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

/// 2026-11-24T23:04:50Z.
const T1: u64 = 1_795_561_490;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn store_at(root: &Path, secs: u64) -> PromptStore {
    PromptStore::with_clock(root, Arc::new(move || at(secs)))
}

/// Writes a 16-bit WAV sine of `freq` Hz lasting `secs` seconds.
fn write_wav(path: &Path, rate: u32, channels: u16, freq: f32, secs: f32) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav writer");
    let frames = (rate as f32 * secs) as u32;
    for i in 0..frames {
        let v = (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin();
        for _ in 0..channels {
            w.write_sample((v * 12_000.0) as i16).expect("sample");
        }
    }
    w.finalize().expect("finalize");
}

/// Every file under `root` (store temporaries included, to catch leftovers) by relative path.
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
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

/// A store with `it/benvenuto` (replaced once), `en/benvenuto`, `moh/default` and a README.
fn populated(tmp: &TempDir) -> (PromptStore, PathBuf) {
    let root = tmp.0.join("prompts");
    let store = store_at(&root, T1);
    let src = tmp.0.join("src");
    fs::create_dir_all(&src).expect("src dir");
    let a = src.join("a.wav");
    let b = src.join("b.wav");
    write_wav(&a, 16_000, 1, 440.0, 0.5);
    write_wav(&b, 8_000, 1, 660.0, 0.3);
    store.add("it", "benvenuto", &a).expect("add");
    store.add("it", "benvenuto", &b).expect("replace");
    store.add("en", "benvenuto", &a).expect("add en");
    store.add("moh", "default", &b).expect("add moh");
    fs::write(root.join("README.md"), "# Prompts\n").expect("readme");
    (store, root)
}

/// Builds a tar whose single entry has the raw name `name` (bypassing the builder's checks).
fn raw_tar(path: &Path, name: &[u8], kind: tar::EntryType, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    if kind == tar::EntryType::Symlink {
        header.set_link_name("/etc/passwd").expect("link name");
    }
    header.set_cksum();
    let mut builder = tar::Builder::new(fs::File::create(path).expect("tar file"));
    builder.append(&header, data).expect("append");
    builder.finish().expect("finish");
}

#[test]
fn add_converts_44k1_stereo_to_8k_mono_wav_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    let store = store_at(&root, T1);
    let src = tmp.0.join("rec.wav");
    write_wav(&src, 44_100, 2, 440.0, 1.0);
    let info = store.add("it", "benvenuto", &src).expect("add");
    assert_eq!(info.path, root.join("it/benvenuto.wav"));
    assert_eq!(info.versions, 0);
    let reader = hound::WavReader::open(&info.path).expect("output is WAV");
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 8000, 16)
    );
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    assert_eq!(reader.len(), 8000);
    assert_eq!(info.duration, Some(Duration::from_secs(1)));
    assert_eq!(info.bytes, 44 + 16_000);
    let listed = store.list().expect("list");
    assert_eq!(listed, vec![info]);
    // No temporary is left beside it.
    let names: Vec<_> = snapshot(&root).into_keys().collect();
    assert_eq!(names, vec![PathBuf::from("it/benvenuto.wav")]);
}

#[test]
fn replace_moves_old_into_history_and_restore_version_brings_it_back_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    let first = tmp.0.join("first.wav");
    let second = tmp.0.join("second.flac.wav");
    write_wav(&first, 8000, 1, 440.0, 0.5);
    write_wav(&second, 22_050, 2, 880.0, 0.25);
    let store = store_at(&root, T1);
    store.add("it", "orari", &first).expect("add");
    let v1 = fs::read(root.join("it/orari.wav")).expect("v1");
    let info = store.add("it", "orari", &second).expect("replace");
    assert_eq!(info.versions, 1);
    let v2 = fs::read(&info.path).expect("v2");
    assert_ne!(v1, v2);

    let history = store.history("it", "orari").expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, "20261124T230450Z");
    assert_eq!(history[0].archived_at, at(T1));
    assert_eq!(history[0].duration, Some(Duration::from_millis(500)));
    assert_eq!(fs::read(&history[0].path).expect("old"), v1);

    // Same second again: the replaced version gets the "-2" suffix.
    let restored = store
        .restore_version("it", "orari", "20261124T230450Z")
        .expect("restore version");
    assert_eq!(fs::read(&restored.path).expect("current"), v1);
    let history = store.history("it", "orari").expect("history");
    let ids: Vec<&str> = history.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, vec!["20261124T230450Z-2"]);
    assert_eq!(fs::read(&history[0].path).expect("kept"), v2);

    // A later replacement sorts after it.
    let later = store_at(&root, T1 + 60);
    later.add("it", "orari", &second).expect("replace again");
    let ids: Vec<String> = later
        .history("it", "orari")
        .expect("history")
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(ids, vec!["20261124T230450Z-2", "20261124T230550Z"]);

    assert!(matches!(
        store.restore_version("it", "orari", "20991231T000000Z"),
        Err(StoreError::VersionNotFound { .. })
    ));
    assert!(matches!(
        store.restore_version("it", "orari", "../../etc"),
        Err(StoreError::InvalidVersion(_))
    ));
}

#[test]
fn delete_moves_to_history_and_never_destroys_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    let src = tmp.0.join("x.wav");
    write_wav(&src, 8000, 1, 440.0, 0.2);
    let store = store_at(&root, T1);
    store.add("en", "beep", &src).expect("add");
    let bytes = fs::read(root.join("en/beep.wav")).expect("current");
    store.delete("en", "beep").expect("delete");
    assert!(store.list().expect("list").is_empty());
    let history = store.history("en", "beep").expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(fs::read(&history[0].path).expect("kept"), bytes);
    assert!(matches!(
        store.delete("en", "beep"),
        Err(StoreError::NotFound { .. })
    ));
    let back = store
        .restore_version("en", "beep", &history[0].id)
        .expect("undelete");
    assert_eq!(fs::read(back.path).expect("back"), bytes);
    assert!(store.history("en", "beep").expect("history").is_empty());
}

#[test]
fn add_retires_a_recording_of_another_extension_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    fs::create_dir_all(root.join("it")).expect("it");
    // A recording dropped in by hand as FLAC (its content does not matter to the move).
    fs::write(root.join("it/chiuso.flac"), b"fLaC recording").expect("flac");
    let src = tmp.0.join("new.wav");
    write_wav(&src, 8000, 1, 500.0, 0.2);
    let store = store_at(&root, T1);
    let info = store.add("it", "chiuso", &src).expect("add");
    assert_eq!(info.versions, 1);
    assert!(!root.join("it/chiuso.flac").exists());
    let history = store.history("it", "chiuso").expect("history");
    assert_eq!(
        history[0].path.extension().and_then(|e| e.to_str()),
        Some("flac")
    );
    assert_eq!(fs::read(&history[0].path).expect("kept"), b"fLaC recording");
    let listed = store.list().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, root.join("it/chiuso.wav"));
}

#[test]
fn corrupt_audio_is_rejected_by_add_with_its_path_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    let store = store_at(&root, T1);
    let bad = tmp.0.join("broken.wav");
    fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").expect("write");
    let err = store.add("it", "benvenuto", &bad).expect_err("corrupt");
    assert!(matches!(&err, StoreError::Decode { path, .. } if *path == bad));
    assert!(
        err.to_string().contains(&bad.display().to_string()),
        "{err}"
    );
    let missing = tmp.0.join("missing.mp3");
    let err = store.add("it", "benvenuto", &missing).expect_err("missing");
    assert!(err.to_string().contains("missing.mp3"), "{err}");
    assert!(snapshot(&root).is_empty());
}

#[test]
fn names_are_validated_ivr_2() {
    let tmp = TempDir::new();
    let store = store_at(&tmp.0, T1);
    let src = tmp.0.join("x.wav");
    write_wav(&src, 8000, 1, 440.0, 0.1);
    for language in ["ITA", "i", "ita", "../", "", "e1"] {
        assert!(matches!(
            store.add(language, "ok", &src),
            Err(StoreError::InvalidLanguage(_))
        ));
    }
    let long = "a".repeat(65);
    for name in ["", "Benvenuto", "a/b", "..", "a-b", "a.b", long.as_str()] {
        assert!(matches!(
            store.add("it", name, &src),
            Err(StoreError::InvalidName(_))
        ));
    }
    assert!(validate("moh", &"z".repeat(64)).is_ok());
    assert!(validate("en", "n1000_x").is_ok());
}

#[test]
fn backup_wipe_restore_gives_identical_files_ivr_2() {
    let tmp = TempDir::new();
    let (store, root) = populated(&tmp);
    let before = snapshot(&root);
    assert_eq!(before.len(), 5, "{:?}", before.keys());
    let archive = tmp.0.join("prompts.tar");
    assert_eq!(store.backup(&archive).expect("backup"), 5);

    fs::remove_dir_all(&root).expect("wipe");
    let summary = store
        .restore(&archive, RestoreMode::Replace)
        .expect("restore");
    assert_eq!(summary.written, 5);
    assert_eq!(snapshot(&root), before);
    assert_eq!(store.history("it", "benvenuto").expect("history").len(), 1);

    // Replace also removes what the archive lacks.
    fs::write(root.join("it/extra.wav"), b"x").expect("extra");
    store.delete("en", "benvenuto").expect("delete");
    store
        .restore(&archive, RestoreMode::Replace)
        .expect("restore again");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn backup_inside_the_tree_does_not_include_itself() {
    let tmp = TempDir::new();
    let (store, root) = populated(&tmp);
    let archive = root.join("backup.tar");
    assert_eq!(store.backup(&archive).expect("backup"), 5);
    assert_eq!(store.backup(&archive).expect("backup again"), 5);
    // A replacing restore would swap the archive itself away: refused, nothing changes.
    let before = snapshot(&root);
    let err = store
        .restore(&archive, RestoreMode::Replace)
        .expect_err("archive inside");
    assert!(matches!(err, StoreError::Unsupported { .. }), "{err}");
    assert_eq!(snapshot(&root), before);
    let summary = store.restore(&archive, RestoreMode::Merge).expect("merge");
    assert_eq!(summary.unchanged, 5);
}

#[test]
fn failed_restore_into_a_missing_folder_leaves_no_folder_ivr_2() {
    let tmp = TempDir::new();
    let root = tmp.0.join("prompts");
    let store = store_at(&root, T1);
    let archive = tmp.0.join("evil.tar");
    raw_tar(&archive, b"../evil", tar::EntryType::Regular, b"x");
    assert!(store.restore(&archive, RestoreMode::Replace).is_err());
    assert!(!root.exists());
}

#[test]
fn merge_restore_versions_differing_prompts_ivr_2() {
    let tmp = TempDir::new();
    let (store, root) = populated(&tmp);
    let archive = tmp.0.join("prompts.tar");
    store.backup(&archive).expect("backup");
    let original = fs::read(root.join("en/benvenuto.wav")).expect("en");

    let other = tmp.0.join("other.wav");
    write_wav(&other, 8000, 1, 1000.0, 0.1);
    let later = store_at(&root, T1 + 3600);
    later.add("en", "benvenuto", &other).expect("replace en");
    later.add("it", "nuovo", &other).expect("new prompt");
    fs::write(root.join("README.md"), "# Changed\n").expect("readme");

    let summary = later.restore(&archive, RestoreMode::Merge).expect("merge");
    assert_eq!(
        summary,
        RestoreSummary {
            written: 1,
            unchanged: 3,
            replaced: 1,
            kept: 1
        }
    );
    assert_eq!(
        fs::read(root.join("en/benvenuto.wav")).expect("en"),
        original
    );
    assert_eq!(later.history("en", "benvenuto").expect("history").len(), 2);
    assert!(root.join("it/nuovo.wav").is_file());
    assert_eq!(
        fs::read_to_string(root.join("README.md")).expect("readme"),
        "# Changed\n"
    );
}

#[test]
fn malicious_archives_are_rejected_and_change_nothing_ivr_2() {
    let tmp = TempDir::new();
    let (store, root) = populated(&tmp);
    let before = snapshot(&root);
    let wav = fs::read(root.join("it/benvenuto.wav")).expect("wav");
    let cases: [(&[u8], tar::EntryType, &str); 5] = [
        (b"../evil", tar::EntryType::Regular, ".."),
        (b"it/../../evil", tar::EntryType::Regular, ".."),
        (b"/tmp/evil.wav", tar::EntryType::Regular, "absolute"),
        (b"it/link.wav", tar::EntryType::Symlink, "links"),
        (b"it/fifo", tar::EntryType::Fifo, "regular files"),
    ];
    for (i, (name, kind, reason)) in cases.into_iter().enumerate() {
        let archive = tmp.0.join(format!("evil{i}.tar"));
        raw_tar(&archive, name, kind, &wav);
        for mode in [RestoreMode::Replace, RestoreMode::Merge] {
            let err = store.restore(&archive, mode).expect_err("rejected");
            assert!(matches!(err, StoreError::ArchiveEntry { .. }), "{err}");
            let text = err.to_string();
            assert!(text.contains(reason) && text.contains("evil"), "{text}");
            assert_eq!(snapshot(&root), before);
        }
    }
    assert!(!tmp.0.join("evil").exists());
    assert!(!Path::new("/tmp/evil.wav").exists());
}

#[test]
fn archive_with_undecodable_audio_changes_nothing_ivr_2() {
    let tmp = TempDir::new();
    let (store, root) = populated(&tmp);
    let before = snapshot(&root);
    let archive = tmp.0.join("bad.tar");
    raw_tar(
        &archive,
        b"it/rotto.wav",
        tar::EntryType::Regular,
        b"not audio at all",
    );
    let err = store
        .restore(&archive, RestoreMode::Replace)
        .expect_err("bad audio");
    assert!(
        matches!(&err, StoreError::ArchiveAudio { entry, .. } if entry == "it/rotto.wav"),
        "{err}"
    );
    assert_eq!(snapshot(&root), before);

    let garbage = tmp.0.join("garbage.tar");
    fs::write(&garbage, vec![0x55u8; 1024]).expect("garbage");
    let err = store
        .restore(&garbage, RestoreMode::Replace)
        .expect_err("garbage");
    assert!(err.to_string().contains("garbage.tar"), "{err}");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn version_timestamps_are_utc_and_sortable() {
    assert_eq!(format_timestamp(at(T1)), "20261124T230450Z");
    assert_eq!(format_timestamp(at(951_782_400)), "20000229T000000Z");
    assert_eq!(format_timestamp(SystemTime::UNIX_EPOCH), "19700101T000000Z");
    assert_eq!(parse_timestamp("20261124T230450Z-3"), Some(at(T1)));
    assert_eq!(parse_timestamp("20000229T000000Z"), Some(at(951_782_400)));
    for ok in [
        "20261124T230450Z",
        "20261124T230450Z-2",
        "20261124T230450Z-9999",
    ] {
        assert!(is_version_id(ok), "{ok}");
    }
    for bad in [
        "",
        "2026",
        "20261124T230450Z-1",
        "20261124T230450Z-02",
        "../x",
        "20261124X230450Z",
    ] {
        assert!(!is_version_id(bad), "{bad}");
    }
    assert!(version_order("20261124T230450Z-10", "20261124T230450Z-9").is_gt());
    assert!(version_order("20261124T230450Z", "20261124T230450Z-2").is_lt());
}
