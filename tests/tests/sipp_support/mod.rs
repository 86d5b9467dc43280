//! Helpers for the SIPp system tests (`sipp_calls.rs`): tool checks, SIPp runs with
//! their logs, agent registration from an injection file, and tshark RTP counts on
//! loopback. The suite's own ports: engine SIP 15060 and HTTP 18080, SIPp SIP and
//! media ports in 16000–16999 (another suite uses the demo ports at the same time).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use centralino_tests::{Background, Engine, scenarios, sipp};

/// The engine's SIP port for this suite.
pub const SIP_PORT: u16 = 15060;
/// The engine's HTTP port for this suite.
pub const HTTP_PORT: u16 = 18080;

/// Fails (never skips) when a tool the suite drives is missing.
pub fn require_tools() -> anyhow::Result<()> {
    for tool in ["sipp", "tshark", "timeout"] {
        let found = std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
            .unwrap_or(false);
        if !found {
            bail!(
                "`{tool}` is not on PATH: install sip-tester, tshark and coreutils (tests/run.sh does)"
            );
        }
    }
    Ok(())
}

/// Starts the release engine on the demo config moved to this suite's ports.
pub fn start_engine(name: &str, edit: impl FnOnce(String) -> String) -> anyhow::Result<Engine> {
    require_tools()?;
    Engine::start_on(&format!("sipp-{name}"), SIP_PORT, HTTP_PORT, edit)
}

/// What one SIPp run left behind.
#[derive(Debug)]
pub struct SippRun {
    /// Whether SIPp exited 0 (every call succeeded).
    pub success: bool,
    /// The exit status as text, for messages.
    pub status: String,
    /// SIPp's screen output (the final statistics).
    pub screen: String,
    /// The scenario's `<log>` lines (-trace_logs).
    pub logs: String,
    /// Unexpected messages and other errors (-trace_err).
    pub errors: String,
    /// Every message sent and received (-trace_msg).
    pub messages: String,
}

impl SippRun {
    /// A summary for assertion messages.
    pub fn explain(&self) -> String {
        let tail: String = self
            .messages
            .chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!(
            "sipp {}\n--- screen\n{}\n--- logs\n{}\n--- errors\n{}\n--- last messages\n{}",
            self.status,
            self.screen
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
            self.logs,
            self.errors,
            tail
        )
    }
}

/// Runs a scenario of `sipp-scenarios/` as a client against the engine, bounded by
/// SIPp's own `-timeout` and a hard `timeout` around it.
pub fn run_scenario(
    engine: &Engine,
    label: &str,
    scenario: &str,
    args: &[&str],
    limit: Duration,
) -> anyhow::Result<SippRun> {
    let files = TraceFiles::new(&engine.dir, label);
    let sf = scenarios().join(scenario);
    let secs = limit.as_secs().max(2);
    let sipp_timeout = (secs - 1).to_string();
    let remote = format!("127.0.0.1:{}", engine.sip.port());
    let mut all: Vec<String> = vec!["-sf".into(), path_str(&sf)?];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all.extend([
        remote,
        "-timeout".into(),
        sipp_timeout,
        "-timeout_error".into(),
    ]);
    all.extend(files.args()?);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = sipp(&refs, Duration::from_secs(secs + 2))?;
    Ok(SippRun {
        success: out.status.success(),
        status: out.status.to_string(),
        screen: String::from_utf8_lossy(&out.stdout).into_owned(),
        logs: files.read_logs(),
        errors: files.read_errors(),
        messages: files.read_messages(),
    })
}

/// Where a SIPp UAS listens: SIP on `ip:port`, RTP on `ip:media_port`.
#[derive(Debug, Clone, Copy)]
pub struct Listen<'a> {
    pub ip: &'a str,
    pub port: u16,
    pub media_port: u16,
}

/// A SIPp UAS (an agent's phone, a trunk peer) running in the background.
#[derive(Debug)]
pub struct Uas {
    process: Background,
    files: TraceFiles,
}

impl Uas {
    /// Starts `scenario` as a server on `ip:port` with media on `media_port`, echoing RTP.
    /// `calls` bounds it with -m (None: until stopped); it always stops within `limit`.
    pub fn start(
        engine: &Engine,
        label: &str,
        scenario: &str,
        at: Listen<'_>,
        calls: Option<u32>,
        limit: Duration,
    ) -> anyhow::Result<Uas> {
        let Listen {
            ip,
            port,
            media_port,
        } = at;
        let files = TraceFiles::new(&engine.dir, label);
        let sf = scenarios().join(scenario);
        let mut all: Vec<String> = vec![
            "-sf".into(),
            path_str(&sf)?,
            "-i".into(),
            ip.into(),
            "-p".into(),
            port.to_string(),
            "-mp".into(),
            media_port.to_string(),
            "-rtp_echo".into(),
            "-timeout".into(),
            limit.as_secs().max(1).to_string(),
        ];
        if let Some(m) = calls {
            all.extend(["-m".into(), m.to_string()]);
        }
        all.extend(files.args()?);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let process = Background::sipp(&refs, &engine.dir.join(format!("{label}.screen")))?;
        Ok(Uas { process, files })
    }

    /// Waits up to `timeout` for the UAS to finish its -m calls; its exit status.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.wait(timeout)
    }

    /// Every message it sent and received so far.
    pub fn messages(&self) -> String {
        self.files.read_messages()
    }

    /// Its unexpected messages and errors so far.
    pub fn errors(&self) -> String {
        self.files.read_errors()
    }
}

/// Registers the agents of an injection file's lines (extension;password;contact_port)
/// with digest, from 127.0.0.1 and a SIP port of this suite.
pub fn register(
    engine: &Engine,
    label: &str,
    lines: &[(&str, &str, u16)],
    local_port: u16,
) -> anyhow::Result<SippRun> {
    let csv = engine.dir.join(format!("{label}.csv"));
    let mut text = String::from("SEQUENTIAL\n");
    for (ext, pw, port) in lines {
        text.push_str(&format!("{ext};{pw};{port}\n"));
    }
    std::fs::write(&csv, text)?;
    register_file(engine, label, &csv, lines.len(), local_port)
}

/// Registers the first `count` agents of an injection file with digest.
pub fn register_file(
    engine: &Engine,
    label: &str,
    csv: &Path,
    count: usize,
    local_port: u16,
) -> anyhow::Result<SippRun> {
    let csv = path_str(csv)?;
    let count = count.to_string();
    let port = local_port.to_string();
    let args = [
        "-inf",
        &csv,
        "-au",
        "[field0]",
        "-ap",
        "[field1]",
        "-i",
        "127.0.0.1",
        "-p",
        &port,
        "-m",
        &count,
        "-r",
        "50",
    ];
    run_scenario(
        engine,
        label,
        "register.xml",
        &args,
        Duration::from_secs(15),
    )
}

/// A tshark capture of UDP datagrams to one address on loopback.
#[derive(Debug)]
pub struct Capture {
    child: Child,
    stdout: PathBuf,
    what: String,
}

impl Capture {
    /// Starts counting UDP datagrams to `ip:port` for `seconds`; returns once tshark
    /// is capturing.
    pub fn udp_to(
        dir: &Path,
        label: &str,
        ip: &str,
        port: u16,
        seconds: u64,
    ) -> anyhow::Result<Capture> {
        let stdout = dir.join(format!("{label}.tshark"));
        let stderr = dir.join(format!("{label}.tshark.err"));
        let filter = format!("udp and dst host {ip} and dst port {port}");
        let child = Command::new("timeout")
            .arg((seconds + 10).to_string())
            .args([
                "tshark",
                "-i",
                "lo",
                "-a",
                &format!("duration:{seconds}"),
                "-f",
                &filter,
                "-q",
                "-z",
                "io,stat,0",
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()
            .context("starting tshark")?;
        let mut capture = Capture {
            child,
            stdout,
            what: format!("{ip}:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let err = std::fs::read_to_string(&stderr).unwrap_or_default();
            if err.contains("Capturing on") {
                return Ok(capture);
            }
            if let Ok(Some(status)) = capture.child.try_wait() {
                bail!("tshark exited at start ({status}): {err}");
            }
            if Instant::now() > deadline {
                bail!("tshark did not start capturing within 10 s: {err}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the capture to end (bounded) and returns the datagram count.
    pub fn count(mut self, timeout: Duration) -> anyhow::Result<u64> {
        let deadline = Instant::now() + timeout;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                bail!("tshark on {} did not finish within {timeout:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut text = String::new();
        std::fs::File::open(&self.stdout)?.read_to_string(&mut text)?;
        io_stat_frames(&text).with_context(|| {
            format!(
                "no io,stat total in tshark output for {}:\n{text}",
                self.what
            )
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a Prometheus sample line `name{labels} value` (labels as written).
pub fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// The "answer media IP:PORT" line caller scenarios log from the engine's 200 OK.
pub fn answer_media(logs: &str) -> Option<(String, u16)> {
    let line = logs.lines().find(|l| l.starts_with("answer media "))?;
    let addr = line
        .strip_prefix("answer media ")?
        .split_whitespace()
        .next()?;
    let (ip, port) = addr.rsplit_once(':')?;
    Some((ip.to_owned(), port.parse().ok()?))
}

/// The "final CODE" line `caller-refused.xml` logs.
pub fn final_status(logs: &str) -> Option<u16> {
    logs.lines().find_map(|l| {
        l.strip_prefix("final ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// The trace files of one SIPp run, under the engine's work folder.
#[derive(Debug)]
struct TraceFiles {
    logs: PathBuf,
    errors: PathBuf,
    messages: PathBuf,
}

impl TraceFiles {
    fn new(dir: &Path, label: &str) -> TraceFiles {
        let files = TraceFiles {
            logs: dir.join(format!("{label}.logs")),
            errors: dir.join(format!("{label}.errors")),
            messages: dir.join(format!("{label}.messages")),
        };
        for f in [&files.logs, &files.errors, &files.messages] {
            let _ = std::fs::remove_file(f);
        }
        files
    }

    fn args(&self) -> anyhow::Result<Vec<String>> {
        Ok(vec![
            "-trace_logs".into(),
            "-log_file".into(),
            path_str(&self.logs)?,
            "-trace_err".into(),
            "-error_file".into(),
            path_str(&self.errors)?,
            "-trace_msg".into(),
            "-message_file".into(),
            path_str(&self.messages)?,
        ])
    }

    fn read_logs(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }

    fn read_errors(&self) -> String {
        std::fs::read_to_string(&self.errors).unwrap_or_default()
    }

    fn read_messages(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.messages).unwrap_or_default()).into_owned()
    }
}

fn path_str(p: &Path) -> anyhow::Result<String> {
    p.to_str()
        .map(str::to_owned)
        .with_context(|| format!("non-UTF-8 path {}", p.display()))
}

/// The frame count of tshark's `-z io,stat,0` total row (`| 0.0 <> 12.0 | 452 | ... |`).
fn io_stat_frames(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.contains("<>"))?;
    line.split('|').nth(2)?.trim().parse().ok()
}
