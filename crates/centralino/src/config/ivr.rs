//! `[[ivr]]` sections: the IVR scripts a route can name (`to = "ivr:NAME"`), each a TOML
//! flow file relative to the config file, validated with the prompts and queues it uses
//! (errors as `script:line: reason`) [IVR-1..3, IVR-6].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, ConfigIssue, Validator};

/// `[[ivr]]`: a named script file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IvrSection {
    name: Spanned<String>,
    /// The flow file, relative to the config file's folder (`ivr/verde.toml`).
    script: Spanned<String>,
}

impl Validator<'_> {
    /// The declared scripts (name, file); the files are read by `load_scripts`.
    pub(super) fn ivr_files(&mut self, sections: &[IvrSection]) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> = Vec::new();
        for s in sections {
            let name = s.name.get_ref().trim().to_owned();
            if name.is_empty() || out.iter().any(|(n, _)| *n == name) {
                self.issue(s.name.span(), format!("ivr.name {name:?} is empty or defined twice"));
                continue;
            }
            if s.script.get_ref().trim().is_empty() {
                self.issue(s.script.span(), "ivr.script must name a file");
                continue;
            }
            out.push((name, PathBuf::from(s.script.get_ref().trim())));
        }
        out
    }
}

/// Reads and validates every declared script (paths relative to the config file's folder)
/// against the queues and the prompt folder; fills `cfg.ivr_scripts`.
pub(super) fn load_scripts(config_path: &Path, cfg: &mut call_runtime::RuntimeConfig) -> Result<(), ConfigError> {
    let base = config_path.parent().unwrap_or_else(|| Path::new(""));
    let queues: Vec<&str> = cfg.acd.queues.iter().map(|q| q.name.0.as_str()).collect();
    let prompts = cfg.prompts_dir.clone();
    let check_prompts = prompts.is_dir();
    let known_prompt = |name: &str| !check_prompts || prompt_exists(&prompts, name);
    let mut issues = Vec::new();
    let mut scripts = std::collections::BTreeMap::new();
    for (name, file) in &cfg.ivr_files {
        let path = base.join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                issues.push(ConfigIssue { file: config_path.to_owned(), line: 0, reason: format!("ivr {name:?}: cannot read {}: {e}", path.display()) });
                continue;
            }
        };
        match ivr_script::load(&path, &text, &known_prompt, &queues) {
            Ok(script) => {
                scripts.insert(name.clone(), Arc::new(script));
            }
            Err(errors) => issues.extend(errors.into_iter().map(|e| ConfigIssue { file: e.file.clone(), line: e.line, reason: e.kind.to_string() })),
        }
    }
    if !issues.is_empty() {
        return Err(ConfigError { issues });
    }
    cfg.ivr_scripts = scripts;
    Ok(())
}

/// Whether `lang/name` has a file (any audio extension) in the prompt folder.
fn prompt_exists(dir: &Path, name: &str) -> bool {
    let Some((lang, stem)) = name.split_once('/') else { return false };
    let Ok(entries) = std::fs::read_dir(dir.join(lang)) else { return false };
    entries.flatten().any(|e| e.path().file_stem().is_some_and(|s| s == stem))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn ivr_2_the_shipped_config_loads_its_scripts_with_prompts_and_queues() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut cfg = super::super::parse(&root.join("config/centralino.toml"), include_str!("../../../../config/centralino.toml")).unwrap();
        cfg.prompts_dir = root.join("prompts");
        super::load_scripts(&root.join("config/centralino.toml"), &mut cfg).unwrap();
        let names: Vec<&str> = cfg.ivr_scripts.keys().map(String::as_str).collect();
        assert_eq!(names, ["centralino", "verde"]);
    }

    #[test]
    fn a_broken_script_is_reported_with_its_own_file_and_line() {
        let dir = std::env::temp_dir().join(format!("centralino-ivr-cfg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ivr")).unwrap();
        std::fs::write(dir.join("ivr/x.toml"), "name = \"x\"\nstart = \"a\"\n[node.a]\ntype = \"fly\"\n").unwrap();
        let demo = include_str!("../../../../config/centralino.toml");
        let mut cfg = super::super::parse(&dir.join("c.toml"), demo).unwrap();
        cfg.ivr_files = vec![("x".into(), "ivr/x.toml".into())];
        let err = super::load_scripts(&dir.join("c.toml"), &mut cfg).unwrap_err().to_string();
        assert!(err.contains("x.toml:4:"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
