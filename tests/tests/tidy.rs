//! Tidy test: the house rules of STYLE.md as a test (rule 22) — `//!` headers on every
//! `.rs` file (rule 11), no clock reads or IO in the sans-IO cores (rule 1), the crate
//! dependency allow-list of ARCHITECTURE.md (rule 23), files under 800 lines (rule 16)
//! and no unfinished-code or skipped-test markers (rule 21).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use centralino_tests::workspace_root;

/// The sans-IO core crates (STYLE.md rule 1); ARCHITECTURE.md's crate table may name
/// more (`| \`name\` | core |`), which are scanned too.
const CORES: [&str; 12] = [
    "cc-model",
    "ivr-script",
    "business-calendar",
    "acd-engine",
    "sla-metrics",
    "sip-message",
    "sip-transaction",
    "sip-dialog",
    "sdp-offer-answer",
    "call-control",
    "rtp-media",
    "sip-registrar",
];

/// Which workspace crates each crate may depend on (`None` would mean anything). Keep in
/// step with the "Crate dependency allow-list" section of ARCHITECTURE.md, which names
/// the binary's dependencies explicitly too.
fn allow_list() -> BTreeMap<&'static str, Option<BTreeSet<&'static str>>> {
    let cores = [
        "sip-message",
        "sip-transaction",
        "sip-dialog",
        "sdp-offer-answer",
        "rtp-media",
        "sip-registrar",
        "call-control",
    ];
    let mut runtime: Vec<&str> = cores.to_vec();
    runtime.extend(["sip-transport", "media-relay", "cti-bus", "prompt-phrases", "sql-store", "cc-model", "business-calendar", "acd-engine", "ivr-script"]);
    let table: [(&str, Option<Vec<&str>>); 20] = [
        ("sip-message", Some(vec![])),
        ("sip-transaction", Some(vec!["sip-message"])),
        ("sip-dialog", Some(vec!["sip-message"])),
        ("sdp-offer-answer", Some(vec![])),
        ("prompt-phrases", Some(vec![])),
        ("rtp-media", Some(vec![])),
        ("sip-registrar", Some(vec!["sip-message"])),
        (
            "call-control",
            Some(vec![
                "sip-message",
                "sip-transaction",
                "sip-dialog",
                "sdp-offer-answer",
            ]),
        ),
        (
            "sip-transport",
            Some(vec!["sip-message", "sip-transaction"]),
        ),
        ("media-relay", Some(vec!["rtp-media", "cc-model"])),
        ("cti-bus", Some(vec!["cc-model"])),
        ("sql-store", Some(vec!["cc-model"])),
        ("cc-model", Some(vec![])),
        ("business-calendar", Some(vec!["cc-model"])),
        ("acd-engine", Some(vec![])),
        ("ivr-script", Some(vec!["business-calendar", "prompt-phrases"])),
        ("sla-metrics", Some(vec!["cc-model"])),
        ("http-api", Some(vec!["cc-model", "cti-bus", "sql-store"])),
        ("call-runtime", Some(runtime)),
        (
            "centralino",
            Some(vec![
                "call-runtime",
                "call-control",
                "sip-message",
                "sip-dialog",
                "media-relay",
                "sip-transport",
                "cti-bus",
                "sql-store",
                "http-api",
                "business-calendar",
                "sla-metrics",
                "acd-engine",
                "cc-model",
                "ivr-script",
            ]),
        ),
    ];
    table
        .into_iter()
        .map(|(k, v)| (k, v.map(|deps| deps.into_iter().collect())))
        .collect()
}

/// STYLE.md rule 11: every `.rs` file under crates/ and tests/ starts with a `//!` line.
#[test]
fn every_rust_file_starts_with_a_module_doc_line() {
    let root = workspace_root();
    let mut missing = Vec::new();
    for file in rust_files(&root.join("crates"))
        .into_iter()
        .chain(rust_files(&root.join("tests")))
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if !text.starts_with("//!") {
            missing.push(relative(&root, &file));
        }
    }
    assert!(
        missing.is_empty(),
        "files without a leading `//!` line (STYLE.md rule 11):\n{}",
        missing.join("\n")
    );
}

/// STYLE.md rule 1: the cores read no clock and do no IO, spawn no threads and use no
/// tokio. Test code (`#[cfg(test)]` items and modules) is exempt.
#[test]
fn core_crates_read_no_clock_and_do_no_io() {
    let root = workspace_root();
    let forbidden = [
        "Instant::now(",
        "SystemTime::now(",
        "tokio",
        "std::net::UdpSocket",
        "std::net::TcpStream",
        "std::net::TcpListener",
        "UdpSocket::bind",
        "TcpStream::connect",
        "TcpListener::bind",
        "std::thread::spawn",
        "thread::spawn(",
        "std::fs::",
        "std::fs;",
    ];
    let mut hits = Vec::new();
    let mut cores: BTreeSet<String> = CORES.iter().map(|c| (*c).to_owned()).collect();
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    cores.extend(documented_cores(&architecture));
    for core in &cores {
        let src = root.join("crates").join(core).join("src");
        assert!(
            src.is_dir(),
            "core crate {core} has no src/ folder at {}",
            src.display()
        );
        let files = rust_files(&src);
        let test_only = test_only_module_files(&files);
        for file in files.iter().filter(|f| !test_only.contains(*f)) {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for (line_no, line) in non_test_lines(&text) {
                let code = strip_line_comment(line);
                for pattern in forbidden {
                    if code.contains(pattern) {
                        hits.push(format!(
                            "{}:{}: `{pattern}` in: {}",
                            relative(&root, file),
                            line_no,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "clock reads / IO in sans-IO cores (STYLE.md rule 1):\n{}",
        hits.join("\n")
    );
}

/// STYLE.md rules 22–23: each crate's workspace dependencies stay inside the allow-list,
/// and every crate under crates/ has an entry in it.
#[test]
fn crate_dependencies_follow_the_allow_list() {
    let root = workspace_root();
    let allowed = allow_list();
    let actual = workspace_dependencies(&root);
    let mut problems = Vec::new();
    for (krate, deps) in &actual {
        match allowed.get(krate.as_str()) {
            None => problems.push(format!(
                "crate `{krate}` is not in the allow-list (add it to ARCHITECTURE.md and this test)"
            )),
            Some(None) => {}
            Some(Some(ok)) => {
                for dep in deps.iter().filter(|d| !ok.contains(d.as_str())) {
                    problems.push(format!(
                        "`{krate}` depends on `{dep}`, which the allow-list does not permit"
                    ));
                }
            }
        }
    }
    for krate in allowed.keys() {
        if !actual.contains_key(*krate) {
            problems.push(format!(
                "allow-list names `{krate}` but crates/{krate}/Cargo.toml does not exist"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "crate dependency allow-list violations:\n{}\n(actual: {actual:?})",
        problems.join("\n")
    );
}

/// STYLE.md rules 22–23: ARCHITECTURE.md's "Crate dependency allow-list" section states
/// the same table as this test, and the Cargo.toml files stay within it.
#[test]
fn architecture_md_states_the_same_allow_list() {
    let root = workspace_root();
    let path = root.join("ARCHITECTURE.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (STYLE.md rule 22 needs it)",
            path.display()
        )
    });
    let documented = documented_allow_list(&text);
    assert!(
        !documented.is_empty(),
        "no `- crate: deps` lines under \"## Crate dependency allow-list\" in ARCHITECTURE.md"
    );

    let mut problems = Vec::new();
    let expected = allow_list();
    for (krate, deps) in &expected {
        match documented.get(*krate) {
            None => problems.push(format!("ARCHITECTURE.md has no line for `{krate}`")),
            Some(doc) => {
                let doc_set: Option<BTreeSet<&str>> =
                    doc.as_ref().map(|d| d.iter().map(String::as_str).collect());
                if doc_set.as_ref() != deps.as_ref() {
                    problems.push(format!(
                        "`{krate}`: ARCHITECTURE.md says {doc:?}, the tidy test says {deps:?}"
                    ));
                }
            }
        }
    }
    for krate in documented
        .keys()
        .filter(|k| !expected.contains_key(k.as_str()))
    {
        problems.push(format!(
            "ARCHITECTURE.md lists `{krate}`, unknown to the tidy test"
        ));
    }
    for (krate, deps) in workspace_dependencies(&root) {
        if let Some(Some(doc)) = documented.get(&krate) {
            for dep in deps.iter().filter(|d| !doc.contains(*d)) {
                problems.push(format!(
                    "crates/{krate}/Cargo.toml depends on `{dep}`, not allowed by ARCHITECTURE.md"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md allow-list mismatch:\n{}",
        problems.join("\n")
    );
}

/// STYLE.md rule 16: no file under crates/ is longer than 800 lines.
#[test]
fn no_file_under_crates_exceeds_800_lines() {
    let root = workspace_root();
    let mut long = Vec::new();
    for file in rust_files(&root.join("crates")) {
        let lines = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .lines()
            .count();
        if lines > 800 {
            long.push(format!("{}: {lines} lines", relative(&root, &file)));
        }
    }
    assert!(
        long.is_empty(),
        "files past 800 lines must be split into modules (STYLE.md rule 16):\n{}",
        long.join("\n")
    );
}

/// STYLE.md rule 21 and the helper rules: no unfinished code and no skipped or
/// panic-expecting tests anywhere under crates/ and tests/.
#[test]
fn no_unfinished_code_or_skipped_tests() {
    // Built with concat! so that this file does not match itself.
    let markers = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
        concat!("#[", "should_panic"),
    ];
    let root = workspace_root();
    let mut hits = Vec::new();
    for file in rust_files(&root.join("crates"))
        .into_iter()
        .chain(rust_files(&root.join("tests")))
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            for marker in markers {
                if line.contains(marker) {
                    hits.push(format!(
                        "{}:{}: {}",
                        relative(&root, &file),
                        i + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(hits.is_empty(), "forbidden markers:\n{}", hits.join("\n"));
}

/// The self-check of the comment and `#[cfg(test)]` filters the core scan relies on.
#[test]
fn tidy_filters_skip_comments_and_test_items() {
    let src = "fn a() {}\n// Instant::now() in a comment\n#[cfg(test)]\nfn epoch() -> u8 {\n    1\n}\nfn b() {}\n#[cfg(test)]\nmod tests {\n    fn t() { let _ = 1; }\n}\n";
    let kept: Vec<&str> = non_test_lines(src)
        .into_iter()
        .map(|(_, l)| strip_line_comment(l))
        .collect();
    assert_eq!(kept, vec!["fn a() {}", "", "fn b() {}"]);
    assert_eq!(
        strip_line_comment("let s = \"http://x\"; // c"),
        "let s = \"http://x\"; "
    );
    let doc = "# T\n\n## Crate dependency allow-list\n\n- `sip-message`: (none)\n- call-control: sip-message, sip-dialog\n- centralino: anything\n\n## Next\n- x: y\n";
    let parsed = documented_allow_list(doc);
    assert_eq!(parsed.len(), 3, "{parsed:?}");
    assert_eq!(parsed["sip-message"], Some(BTreeSet::new()));
    assert_eq!(
        parsed["call-control"],
        Some(
            ["sip-message".to_owned(), "sip-dialog".to_owned()]
                .into_iter()
                .collect()
        )
    );
    assert_eq!(parsed["centralino"], None);
    let table = "| crate | kind |\n|---|---|\n| `sip-message` | core | x |\n| `sip-transport` | shell | y |\n";
    assert_eq!(
        documented_cores(table),
        ["sip-message".to_owned()].into_iter().collect()
    );
}

/// Every `.rs` file below `dir`, skipping build output and hidden folders.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Files that hold a module declared as `#[cfg(test)] mod name;` in a sibling file.
fn test_only_module_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("#[cfg(test)]") {
                continue;
            }
            let Some(item) = lines.iter().skip(i + 1).find(|l| !l.starts_with("#[")) else {
                continue;
            };
            let item = item
                .strip_prefix("pub(crate) ")
                .or_else(|| item.strip_prefix("pub "))
                .unwrap_or(item);
            if let Some(name) = item.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                // A module declared in lib.rs/mod.rs lives beside it; one declared in
                // foo.rs lives in foo/.
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let base = if stem == "lib" || stem == "mod" || stem == "main" {
                    dir
                } else {
                    dir.join(stem)
                };
                out.insert(base.join(format!("{}.rs", name.trim())));
                out.insert(base.join(name.trim()).join("mod.rs"));
            }
        }
    }
    out
}

/// The (1-based number, text) of every line outside `#[cfg(test)]` items: the item after
/// the attribute is skipped up to its closing brace (or its `;`).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if !line.trim_start().starts_with("#[cfg(test)]") {
            out.push((i + 1, line));
            continue;
        }
        let mut depth: i64 = 0;
        let mut opened = false;
        for (_, item_line) in lines.by_ref() {
            let code = strip_line_comment(item_line);
            for ch in code.chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            let attribute = item_line.trim_start().starts_with("#[");
            if (opened && depth <= 0) || (!opened && !attribute && code.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// The line without a trailing `//` comment (a `//` inside a string literal is kept).
fn strip_line_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut prev = '\0';
    for (i, ch) in line.char_indices() {
        match ch {
            '"' if prev != '\\' => in_string = !in_string,
            '/' if !in_string && prev == '/' => return line.get(..i - 1).unwrap_or(""),
            _ => {}
        }
        prev = if prev == '\\' && ch == '\\' { '\0' } else { ch };
    }
    line
}

/// crate name → the workspace crates its Cargo.toml lists under a (build or target)
/// `[dependencies]` table; dev-dependencies are test code and not counted.
fn workspace_dependencies(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let crates_dir = root.join("crates");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&crates_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.path().join("Cargo.toml").is_file() {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let mut out = BTreeMap::new();
    for name in &names {
        let manifest =
            std::fs::read_to_string(crates_dir.join(name).join("Cargo.toml")).unwrap_or_default();
        let mut deps = BTreeSet::new();
        let mut in_deps = false;
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                let table = line.trim_matches(|c| c == '[' || c == ']');
                in_deps = (table.ends_with("dependencies") && !table.ends_with("dev-dependencies"))
                    || table.starts_with("dependencies.");
                if let Some(dep) = table.strip_prefix("dependencies.")
                    && names.contains(dep)
                {
                    deps.insert(dep.to_owned());
                }
                continue;
            }
            if !in_deps || line.starts_with('#') || line.is_empty() {
                continue;
            }
            let key = line
                .split(['=', '.'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if names.contains(key) {
                deps.insert(key.to_owned());
            }
        }
        out.insert(name.clone(), deps);
    }
    out
}

/// The "## Crate dependency allow-list" section of ARCHITECTURE.md: lines
/// `- crate: dep, dep` (backticks allowed); `(none)`, `none`, `nothing` or `—` = no
/// dependency; `any`, `anything` or `all` = unrestricted (`None`).
fn documented_allow_list(text: &str) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    let mut in_section = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("## ") || trimmed.starts_with("# ") {
            in_section = trimmed
                .trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case("Crate dependency allow-list");
            continue;
        }
        if !in_section {
            continue;
        }
        let Some(entry) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        else {
            continue;
        };
        let Some((krate, deps)) = entry.split_once(':') else {
            continue;
        };
        let krate = krate.trim().trim_matches('`').trim().to_owned();
        // Drop a trailing explanation in parentheses or after an em dash.
        let deps = deps
            .split(" — ")
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches('.');
        let words = deps.trim_matches('`').trim().to_ascii_lowercase();
        let value = if ["any", "anything", "all", "anything.", "any crate"]
            .contains(&words.as_str())
            || words.starts_with("anything")
        {
            None
        } else if ["", "(none)", "none", "nothing", "—", "-", "(nothing)"].contains(&words.as_str())
        {
            Some(BTreeSet::new())
        } else {
            Some(
                deps.split(',')
                    .map(|d| d.trim().trim_matches('`').trim().to_owned())
                    .filter(|d| !d.is_empty())
                    .collect(),
            )
        };
        out.insert(krate, value);
    }
    out
}

/// The crates ARCHITECTURE.md's crate table marks as cores: rows `| `name` | core | …`.
fn documented_cores(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            match cells.as_slice() {
                ["", name, kind, ..] if kind.eq_ignore_ascii_case("core") => {
                    Some(name.trim_matches('`').to_owned())
                }
                _ => None,
            }
        })
        .collect()
}
