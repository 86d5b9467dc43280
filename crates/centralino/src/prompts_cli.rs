//! `centralino prompts …`: review, install, delete, version and back up the voice prompts
//! (requirement IVR-2; issue "Media engine" item 6) through `media_relay::prompts::store`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use media_relay::prompts::store::{
    PromptStore, RestoreMode, StoreError, VersionInfo, utc_timestamp,
};

/// The prompts folder when `--dir` is not given.
pub const DEFAULT_DIR: &str = "prompts";

/// The help text of `centralino prompts`.
pub const USAGE: &str =
    "usage: centralino prompts COMMAND [--dir DIR]   (DIR defaults to ./prompts)
  list                            list prompts and music on hold with duration, size, date, versions
  add LANG NAME FILE              add or replace LANG/NAME from FILE (wav, flac, ogg, mp3; any rate
                                  and channels; stored as 8 kHz mono 16-bit WAV); the replaced
                                  file is kept in the history
  delete LANG NAME                remove LANG/NAME (moved into the history, never destroyed)
  history LANG NAME               list the kept versions of LANG/NAME
  restore-version LANG NAME VERSION
                                  put VERSION (from history) back; the current one is kept
  backup ARCHIVE                  write every prompt, music file and the history to one tar file
  restore ARCHIVE [--merge]       restore from ARCHIVE: replace the whole folder (default) or
                                  --merge (archive prompts win, the replaced ones go to history)
LANG is two lowercase letters (it, en) or moh for music on hold; NAME is 1-64 of a-z 0-9 _.
The running engine loads prompts at start-up: restart it to pick up changes.";

/// Runs `centralino prompts ARGS…`: 0 on success, 1 on a failed operation, 2 on bad usage.
pub fn run(args: &[String]) -> ExitCode {
    let parsed = match parse(args) {
        Ok(p) => p,
        Err(Usage::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Usage::Error(msg)) => {
            eprintln!("centralino prompts: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let store = PromptStore::new(&parsed.dir);
    match execute(&store, &parsed.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("centralino prompts: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One parsed sub-command.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    Add {
        language: String,
        name: String,
        file: PathBuf,
    },
    Delete {
        language: String,
        name: String,
    },
    History {
        language: String,
        name: String,
    },
    RestoreVersion {
        language: String,
        name: String,
        version: String,
    },
    Backup {
        archive: PathBuf,
    },
    Restore {
        archive: PathBuf,
        mode: RestoreMode,
    },
}

#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    dir: PathBuf,
    command: Command,
}

#[derive(Debug, PartialEq, Eq)]
enum Usage {
    Help,
    Error(String),
}

fn parse(args: &[String]) -> Result<Parsed, Usage> {
    let mut dir = PathBuf::from(DEFAULT_DIR);
    let mut merge = false;
    let mut words: Vec<&str> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => return Err(Usage::Help),
            "--dir" => {
                let value = iter
                    .next()
                    .ok_or_else(|| Usage::Error("--dir needs a folder".into()))?;
                dir = PathBuf::from(value);
            }
            "--merge" => merge = true,
            flag if flag.starts_with("--") => {
                return Err(Usage::Error(format!("unknown option {flag}")));
            }
            word => words.push(word),
        }
    }
    let owned = |s: &str| s.to_owned();
    let command = match words.as_slice() {
        ["list"] => Command::List,
        ["add", language, name, file] => Command::Add {
            language: owned(language),
            name: owned(name),
            file: PathBuf::from(file),
        },
        ["delete", language, name] => Command::Delete {
            language: owned(language),
            name: owned(name),
        },
        ["history", language, name] => Command::History {
            language: owned(language),
            name: owned(name),
        },
        ["restore-version", language, name, version] => Command::RestoreVersion {
            language: owned(language),
            name: owned(name),
            version: owned(version),
        },
        ["backup", archive] => Command::Backup {
            archive: PathBuf::from(archive),
        },
        ["restore", archive] => Command::Restore {
            archive: PathBuf::from(archive),
            mode: if merge {
                RestoreMode::Merge
            } else {
                RestoreMode::Replace
            },
        },
        [] => return Err(Usage::Error("missing command".into())),
        [command, ..] => {
            return Err(Usage::Error(format!("wrong arguments for {command:?}")));
        }
    };
    if merge && !matches!(command, Command::Restore { .. }) {
        return Err(Usage::Error("--merge only applies to restore".into()));
    }
    Ok(Parsed { dir, command })
}

fn execute(store: &PromptStore, command: &Command) -> Result<(), StoreError> {
    const RESTART: &str = "restart centralino to use the change";
    match command {
        Command::List => {
            let prompts = store.list()?;
            for p in &prompts {
                println!(
                    "{:<36} {:>9} {:>10} B  {}  {} old version(s)",
                    format!("{}/{}", p.language, p.name),
                    seconds(p.duration),
                    p.bytes,
                    utc_timestamp(p.modified),
                    p.versions
                );
            }
            println!("{} prompt(s) in {}", prompts.len(), store.root().display());
        }
        Command::Add {
            language,
            name,
            file,
        } => {
            let info = store.add(language, name, file)?;
            let kept = if info.versions > 0 {
                format!("; {} old version(s) in history", info.versions)
            } else {
                String::new()
            };
            println!(
                "installed {language}/{name} as {} ({}, {} B){kept}; {RESTART}",
                info.path.display(),
                seconds(info.duration),
                info.bytes
            );
        }
        Command::Delete { language, name } => {
            store.delete(language, name)?;
            println!(
                "deleted {language}/{name} (kept in history: `centralino prompts history {language} {name}`); {RESTART}"
            );
        }
        Command::History { language, name } => {
            let versions = store.history(language, name)?;
            if versions.is_empty() {
                println!("no older versions of {language}/{name}");
            }
            for VersionInfo {
                id,
                duration,
                bytes,
                ..
            } in &versions
            {
                println!("{id:<22} {:>9} {bytes:>10} B", seconds(*duration));
            }
        }
        Command::RestoreVersion {
            language,
            name,
            version,
        } => {
            let info = store.restore_version(language, name, version)?;
            println!(
                "restored {language}/{name} version {version} ({}); the replaced file is in history; {RESTART}",
                seconds(info.duration)
            );
        }
        Command::Backup { archive } => {
            let files = store.backup(archive)?;
            println!(
                "backed up {files} file(s) from {} to {}",
                store.root().display(),
                archive.display()
            );
        }
        Command::Restore { archive, mode } => {
            let s = store.restore(archive, *mode)?;
            match mode {
                RestoreMode::Replace => println!(
                    "restored {} file(s) from {} into {}; {RESTART}",
                    s.written,
                    archive.display(),
                    store.root().display()
                ),
                RestoreMode::Merge => println!(
                    "merged {}: {} written, {} unchanged, {} prompt(s) replaced (kept in history), {} local file(s) kept; {RESTART}",
                    archive.display(),
                    s.written,
                    s.unchanged,
                    s.replaced,
                    s.kept
                ),
            }
        }
    }
    Ok(())
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "?".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_every_command_and_the_dir_option_ivr_2() {
        let p = parse(&args(&["list"])).expect("list");
        assert_eq!(p.dir, PathBuf::from("prompts"));
        assert_eq!(p.command, Command::List);
        let p = parse(&args(&["add", "it", "benvenuto", "x.flac", "--dir", "/p"])).expect("add");
        assert_eq!(p.dir, PathBuf::from("/p"));
        assert_eq!(
            p.command,
            Command::Add {
                language: "it".into(),
                name: "benvenuto".into(),
                file: "x.flac".into()
            }
        );
        let p = parse(&args(&["restore", "a.tar", "--merge"])).expect("restore");
        assert_eq!(
            p.command,
            Command::Restore {
                archive: "a.tar".into(),
                mode: RestoreMode::Merge
            }
        );
        let p = parse(&args(&[
            "restore-version",
            "en",
            "beep",
            "20261124T230450Z",
        ]))
        .expect("restore-version");
        assert!(matches!(p.command, Command::RestoreVersion { .. }));
    }

    #[test]
    fn rejects_bad_usage() {
        for bad in [
            &["add", "it"][..],
            &["backup"],
            &["list", "--merge"],
            &["list", "--dir"],
            &["frobnicate"],
            &[],
            &["list", "--force"],
        ] {
            assert!(matches!(parse(&args(bad)), Err(Usage::Error(_))), "{bad:?}");
        }
        assert_eq!(parse(&args(&["--help"])), Err(Usage::Help));
    }
}
