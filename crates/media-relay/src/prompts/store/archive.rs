//! Backup and restore of the prompts tree as one tar archive (requirement IVR-2). Restores are
//! staged: the archive is unpacked into a hidden folder under the root, every entry checked and
//! every audio file decoded, and only then swapped or merged in, so a bad archive changes
//! nothing.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use tar::{Archive, Builder, EntryType, Header};

use super::files::{self, TEMP_PREFIX, io};
use super::{HISTORY_FOLDER, PromptStore, StoreError, audio_stem, validate};
use crate::prompts::decode_file;

/// How [`PromptStore::restore`] treats what is already in the prompts folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMode {
    /// The folder becomes exactly the archive's tree; whatever the archive lacks is removed.
    Replace,
    /// The archive's files are added: a prompt that differs replaces the current one (which
    /// moves into the history), history versions are added, and other files that already
    /// exist with different content are kept as they are.
    Merge,
}

/// What a restore did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreSummary {
    /// Files written from the archive.
    pub written: usize,
    /// Archive files identical to the file already there (merge only).
    pub unchanged: usize,
    /// Current prompts moved into the history because the archive's differ (merge only).
    pub replaced: usize,
    /// Existing non-prompt files kept although the archive's differ (merge only).
    pub kept: usize,
}

/// Writes `root` (files, folders, history; not the store's temporaries) to `archive`.
/// Returns the number of files stored.
pub(super) fn backup(root: &Path, archive: &Path) -> Result<usize, StoreError> {
    if !root.is_dir() {
        return Err(io(
            root,
            io::Error::new(io::ErrorKind::NotFound, "prompts folder not found"),
        ));
    }
    let archive_name = archive
        .file_name()
        .ok_or_else(|| io(archive, io::Error::other("not a file name")))?;
    let parent = match archive.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let temp = parent.join(format!(
        "{TEMP_PREFIX}{}-{}",
        files::nonce(),
        archive_name.to_string_lossy()
    ));
    // The archive may live inside the tree; it must not back itself up.
    let exclude = fs::canonicalize(&parent)
        .map(|p| p.join(archive_name))
        .unwrap_or_else(|_| archive.to_owned());
    let file = File::create(&temp).map_err(|e| io(&temp, e))?;
    let mut builder = Builder::new(file);
    let mut count = 0usize;
    let result = append_tree(&mut builder, root, Path::new(""), &exclude, &mut count)
        .and_then(|()| builder.into_inner().map_err(|e| io(&temp, e)))
        .and_then(|mut f| {
            f.flush().map_err(|e| io(&temp, e))?;
            f.sync_all().map_err(|e| io(&temp, e))
        })
        .and_then(|()| files::rename(&temp, archive));
    if let Err(e) = result {
        files::remove_quietly(&temp);
        return Err(e);
    }
    Ok(count)
}

/// Restores `archive` into the store's root (see [`RestoreMode`]).
pub(super) fn restore(
    store: &PromptStore,
    archive: &Path,
    mode: RestoreMode,
) -> Result<RestoreSummary, StoreError> {
    let root = store.root();
    let file = File::open(archive).map_err(|e| io(archive, e))?;
    if mode == RestoreMode::Replace && inside(archive, root) {
        return Err(StoreError::Unsupported {
            path: archive.to_owned(),
            reason: "the archive is inside the prompts folder, which a replacing restore \
                     swaps out: move it elsewhere first",
        });
    }
    let created_root = !root.exists();
    files::create_dir_all(root)?;
    let staging = root.join(format!("{TEMP_PREFIX}restore-{}", files::nonce()));
    files::create_dir_all(&staging)?;
    let staged = unpack(file, archive, &staging).and_then(|list| {
        check_audio(archive, &staging, &list)?;
        Ok(list)
    });
    let result = match staged {
        Ok(list) => match mode {
            RestoreMode::Replace => swap_in(root, &staging).map(|()| RestoreSummary {
                written: list.len(),
                ..RestoreSummary::default()
            }),
            RestoreMode::Merge => merge(store, &staging, &list),
        },
        Err(e) => Err(e),
    };
    files::remove_quietly(&staging);
    if result.is_err() && created_root {
        // Only removes the folder made above if it is still empty.
        let _ = fs::remove_dir(root);
    }
    result
}

/// Whether `path` lies under the folder `root` (both resolved; false when either is missing).
fn inside(path: &Path, root: &Path) -> bool {
    match (fs::canonicalize(path), fs::canonicalize(root)) {
        (Ok(path), Ok(root)) => path.starts_with(root),
        _ => false,
    }
}

/// Appends the entries of `dir` (archive path `rel`) in name order, recursively.
fn append_tree(
    builder: &mut Builder<File>,
    dir: &Path,
    rel: &Path,
    exclude: &Path,
    count: &mut usize,
) -> Result<(), StoreError> {
    for path in files::sorted_dir(dir)? {
        if files::is_temporary(&path) {
            continue;
        }
        let Some(name) = path.file_name() else {
            continue;
        };
        let rel_path = rel.join(name);
        let link = fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
        let meta = fs::metadata(&path).map_err(|e| io(&path, e))?;
        if meta.is_dir() {
            if link.file_type().is_symlink() {
                return Err(StoreError::Unsupported {
                    path,
                    reason: "a symbolic link to a folder cannot be backed up",
                });
            }
            let mut header = Header::new_gnu();
            header.set_entry_type(EntryType::Directory);
            header.set_size(0);
            header.set_mode(0o755);
            header.set_mtime(mtime_secs(&meta));
            builder
                .append_data(&mut header, &rel_path, io::empty())
                .map_err(|e| io(&path, e))?;
            append_tree(builder, &path, &rel_path, exclude, count)?;
        } else if meta.is_file() {
            if fs::canonicalize(&path).is_ok_and(|p| p == exclude) {
                continue;
            }
            let mut header = Header::new_gnu();
            header.set_entry_type(EntryType::Regular);
            header.set_size(meta.len());
            header.set_mode(file_mode(&meta));
            header.set_mtime(mtime_secs(&meta));
            let file = File::open(&path).map_err(|e| io(&path, e))?;
            builder
                .append_data(&mut header, &rel_path, file)
                .map_err(|e| io(&path, e))?;
            *count += 1;
        } else {
            return Err(StoreError::Unsupported {
                path,
                reason: "only files and folders can be backed up",
            });
        }
    }
    Ok(())
}

/// Unpacks every entry into `staging`, refusing anything unsafe. Returns the files' relative
/// paths.
fn unpack(file: File, archive: &Path, staging: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let read_err = |e: io::Error| StoreError::ArchiveRead {
        archive: archive.to_owned(),
        source: e,
    };
    let mut tar = Archive::new(io::BufReader::new(file));
    let mut seen = HashSet::new();
    let mut list = Vec::new();
    for entry in tar.entries().map_err(read_err)? {
        let mut entry = entry.map_err(read_err)?;
        let shown = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let reject = |reason: &'static str| StoreError::ArchiveEntry {
            archive: archive.to_owned(),
            entry: shown.clone(),
            reason,
        };
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::Directory => {}
            EntryType::XGlobalHeader => continue,
            EntryType::Symlink | EntryType::Link => {
                return Err(reject("links are not allowed"));
            }
            _ => return Err(reject("only regular files and folders are allowed")),
        }
        let path = entry.path().map_err(|_| reject("the path is not valid"))?;
        let rel = safe_relative(&path).map_err(reject)?;
        let Some(rel) = rel else {
            continue; // The archive's top folder itself (`.`).
        };
        let target = staging.join(&rel);
        if kind == EntryType::Directory {
            fs::create_dir_all(&target).map_err(|_| reject("conflicts with another entry"))?;
            continue;
        }
        if !seen.insert(rel.clone()) {
            return Err(reject("duplicate entry"));
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|_| reject("conflicts with another entry"))?;
        }
        let mode = entry.header().mode().unwrap_or(0o644);
        let mtime = entry.header().mtime().ok();
        let mut out =
            File::create_new(&target).map_err(|_| reject("conflicts with another entry"))?;
        io::copy(&mut entry, &mut out).map_err(read_err)?;
        if let Some(secs) = mtime {
            // The modification time is informative only; failing to set it is harmless.
            let _ = out.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        }
        set_mode(&out, &target, mode)?;
        list.push(rel);
    }
    if list.is_empty() {
        return Err(StoreError::ArchiveEntry {
            archive: archive.to_owned(),
            entry: String::new(),
            reason: "the archive holds no files",
        });
    }
    Ok(list)
}

/// The relative path of an entry, or why it is refused; `None` for the top folder itself.
fn safe_relative(path: &Path) -> Result<Option<PathBuf>, &'static str> {
    let mut rel = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("the path leaves the prompts folder (..)"),
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed");
            }
        }
    }
    if rel.as_os_str().is_empty() {
        return Ok(None);
    }
    if rel
        .components()
        .next()
        .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with(TEMP_PREFIX))
    {
        return Err("names starting with .store- are reserved");
    }
    Ok(Some(rel))
}

/// Decodes every staged audio file; the first that fails rejects the archive.
fn check_audio(archive: &Path, staging: &Path, list: &[PathBuf]) -> Result<(), StoreError> {
    for rel in list {
        if audio_stem(rel).is_none() {
            continue;
        }
        decode_file(&staging.join(rel)).map_err(|e| StoreError::ArchiveAudio {
            archive: archive.to_owned(),
            entry: rel.to_string_lossy().into_owned(),
            source: e,
        })?;
    }
    Ok(())
}

/// Replaces every entry of `root` (but the store's temporaries) by the entries of `staging`.
/// On failure the moves done so far are undone.
fn swap_in(root: &Path, staging: &Path) -> Result<(), StoreError> {
    let old = root.join(format!("{TEMP_PREFIX}replaced-{}", files::nonce()));
    files::create_dir_all(&old)?;
    let current: Vec<PathBuf> = files::sorted_dir(root)?
        .into_iter()
        .filter(|p| !files::is_temporary(p))
        .collect();
    let moved_out = move_all(&current, &old);
    let result = match moved_out {
        Ok(()) => {
            let incoming = files::sorted_dir(staging)?;
            match move_all(&incoming, root) {
                Ok(()) => Ok(()),
                Err((e, done)) => {
                    undo(&done, staging);
                    let saved = files::sorted_dir(&old).unwrap_or_default();
                    undo(&saved, root);
                    Err(e)
                }
            }
        }
        Err((e, done)) => {
            undo(&done, root);
            Err(e)
        }
    };
    // After a failed rollback the previous tree stays in `old` rather than being lost.
    if result.is_ok() || files::sorted_dir(&old).is_ok_and(|v| v.is_empty()) {
        files::remove_quietly(&old);
    } else {
        tracing::error!(folder = %old.display(), "restore failed; previous files kept here");
    }
    result
}

/// Moves each of `paths` into `dest`; on failure returns the error and the new paths of what
/// was moved.
fn move_all(paths: &[PathBuf], dest: &Path) -> Result<(), (StoreError, Vec<PathBuf>)> {
    let mut done = Vec::new();
    for path in paths {
        let Some(name) = path.file_name() else {
            continue;
        };
        let target = dest.join(name);
        if let Err(e) = files::rename(path, &target) {
            return Err((e, done));
        }
        done.push(target);
    }
    Ok(())
}

/// Moves `paths` back into `dest` after a failed swap (best effort, logged).
fn undo(paths: &[PathBuf], dest: &Path) {
    for path in paths {
        if let Some(name) = path.file_name()
            && let Err(e) = fs::rename(path, dest.join(name))
        {
            tracing::error!(path = %path.display(), error = %e, "restore rollback failed");
        }
    }
}

/// Merges the staged files into the root (see [`RestoreMode::Merge`]).
fn merge(
    store: &PromptStore,
    staging: &Path,
    list: &[PathBuf],
) -> Result<RestoreSummary, StoreError> {
    let root = store.root();
    let mut summary = RestoreSummary::default();
    for rel in list {
        let from = staging.join(rel);
        let mut to = root.join(rel);
        if to.is_file() && same_content(&from, &to)? {
            summary.unchanged += 1;
            continue;
        }
        if let Some((language, name)) = current_prompt(rel) {
            summary.replaced += store.retire_current(&language, &name)?.len();
        } else if to.exists() {
            let in_history = rel.starts_with(HISTORY_FOLDER);
            let ext = rel.extension().and_then(|e| e.to_str());
            match (in_history, audio_stem(rel), ext, to.parent()) {
                (true, Some(id), Some(ext), Some(folder)) => {
                    let stamp = id.split_once('-').map_or(id.as_str(), |(s, _)| s);
                    to = files::free_version_path(folder, stamp, ext);
                }
                _ => {
                    summary.kept += 1;
                    continue;
                }
            }
        }
        if let Some(parent) = to.parent() {
            files::create_dir_all(parent)?;
        }
        files::rename(&from, &to)?;
        summary.written += 1;
    }
    Ok(summary)
}

/// `<lang>/<name>.<ext>` with a valid language and name: a current prompt.
fn current_prompt(rel: &Path) -> Option<(String, String)> {
    let mut parts = rel.components();
    let language = parts.next()?.as_os_str().to_str()?.to_owned();
    let file = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let name = audio_stem(Path::new(file.as_os_str()))?;
    validate(&language, &name).ok()?;
    Some((language, name))
}

fn same_content(a: &Path, b: &Path) -> Result<bool, StoreError> {
    let left = fs::read(a).map_err(|e| io(a, e))?;
    let right = fs::read(b).map_err(|e| io(b, e))?;
    Ok(left == right)
}

fn mtime_secs(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

#[cfg(unix)]
fn file_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

#[cfg(not(unix))]
fn file_mode(_meta: &fs::Metadata) -> u32 {
    0o644
}

/// Gives a restored file 0755 when the archive marks it executable, else 0644 (never setuid).
#[cfg(unix)]
fn set_mode(file: &File, path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _path: &Path, _mode: u32) -> Result<(), StoreError> {
    Ok(())
}
