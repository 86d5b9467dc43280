//! Support code shared by the system tests in `tests/`: start the release binary on
//! a scratch copy of the demo config, talk to it over loopback, run SIPp scenarios.
//!
//! System tests run one at a time (`--test-threads=1`, see `tests/run.sh`): they use
//! the demo contract's fixed addresses (SIP 127.0.0.1:5060, carrier 127.0.0.11, PBX
//! 127.0.0.21, HTTP 127.0.0.1:8080).

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The release binary under test: `CENTRALINO_BIN`, or the workspace's release build.
pub fn engine_binary() -> anyhow::Result<PathBuf> {
    let bin = match std::env::var_os("CENTRALINO_BIN") {
        Some(b) => PathBuf::from(b),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
            target.join("release").join("centralino")
        }
    };
    if !bin.exists() {
        bail!("no engine binary at {} — run `bash tests/run.sh` (it builds the release binary first)", bin.display());
    }
    Ok(bin)
}

/// Where the demo's SIP listens.
pub const SIP: &str = "127.0.0.1:5060";
/// Where the demo's HTTP listens.
pub const HTTP: &str = "127.0.0.1:8080";

/// A running engine; killed on drop. Its work folder (config copy, log) stays under
/// /tmp for post-mortems.
#[derive(Debug)]
pub struct Engine {
    child: Child,
    pub dir: PathBuf,
    /// Where its SIP listens (UDP and TCP).
    pub sip: SocketAddr,
    /// Where its HTTP listens.
    pub http: SocketAddr,
}

impl Engine {
    /// Starts the engine on the demo config (demo ports), edited by `edit` (config
    /// text in, config text out), and waits until it answers OPTIONS.
    pub fn start(name: &str, edit: impl FnOnce(String) -> String) -> anyhow::Result<Engine> {
        Engine::start_on(name, 5060, 8080, edit)
    }

    /// Like [`Engine::start`] with SIP and HTTP on other loopback ports, so suites can
    /// run beside a demo engine or each other.
    pub fn start_on(name: &str, sip_port: u16, http_port: u16, edit: impl FnOnce(String) -> String) -> anyhow::Result<Engine> {
        let bin = engine_binary()?;
        let sip: SocketAddr = format!("127.0.0.1:{sip_port}").parse()?;
        let http: SocketAddr = format!("127.0.0.1:{http_port}").parse()?;
        let dir = std::env::temp_dir().join(format!("centralino-systest-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config"))?;
        let demo = std::fs::read_to_string(workspace_root().join("config/centralino.toml"))?;
        let demo = demo
            .replace("listen = \"127.0.0.1:5060\"", &format!("listen = \"{sip}\""))
            .replace("listen = \"127.0.0.1:8080\"", &format!("listen = \"{http}\""));
        std::fs::write(dir.join("config/centralino.toml"), edit(demo))?;
        // The IVR scripts the demo config names sit beside it.
        copy_dir(&workspace_root().join("config/ivr"), &dir.join("config/ivr"))?;
        let prompts = workspace_root().join("prompts");
        if prompts.is_dir() {
            copy_dir(&prompts, &dir.join("prompts"))?;
        }
        let log = std::fs::File::create(dir.join("engine.log"))?;
        let child = Command::new(&bin)
            .current_dir(&dir)
            .env("CENTRALINO_LOG", std::env::var("CENTRALINO_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut engine = Engine { child, dir, sip, http };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = engine.child.try_wait()? {
                bail!("engine exited at start ({status}):\n{}", engine.log());
            }
            if options_answered(sip, "127.0.0.11") {
                return Ok(engine);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("engine did not answer OPTIONS within 20 s:\n{}", engine.log())
    }

    /// The engine's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("engine.log")).unwrap_or_default()
    }

    /// Is the process still running?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id (for CPU/RSS measurements).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one OPTIONS from `from_ip` (any port) and says whether any response came
/// back within a second.
pub fn options_answered(to: SocketAddr, from_ip: &str) -> bool {
    options_status(to, from_ip).is_some()
}

/// The status code of the answer to one OPTIONS from `from_ip`, if any came.
pub fn options_status(to: SocketAddr, from_ip: &str) -> Option<u16> {
    let sock = UdpSocket::bind((from_ip, 0)).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let local = sock.local_addr().ok()?;
    let branch = format!("z9hG4bK{}", fastish_id());
    let msg = format!(
        "OPTIONS sip:{to} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch={branch}\r\nFrom: <sip:probe@{local}>;tag=p1\r\n\
         To: <sip:{to}>\r\nCall-ID: {branch}@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(msg.as_bytes(), to).ok()?;
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

fn fastish_id() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// The repository's SIPp scenarios folder.
pub fn scenarios() -> PathBuf {
    workspace_root().join("sipp-scenarios")
}

/// Runs SIPp to completion with a hard timeout; returns its output.
pub fn sipp(args: &[&str], timeout: Duration) -> anyhow::Result<Output> {
    let mut cmd = Command::new("timeout");
    cmd.arg(timeout.as_secs().max(1).to_string()).arg("sipp").args(args).arg("-nostdin");
    cmd.stdin(Stdio::null());
    cmd.output().context("running sipp (is sip-tester installed? tests/run.sh installs it)")
}

/// Starts SIPp in the background (a UAS, typically); killed on drop.
#[derive(Debug)]
pub struct Background(pub Child);

impl Background {
    pub fn sipp(args: &[&str], log: &Path) -> anyhow::Result<Background> {
        let out = std::fs::File::create(log)?;
        let child = Command::new("sipp")
            .args(args)
            .arg("-nostdin")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting sipp")?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(Background(child))
    }

    /// Waits up to `timeout` for the process to end; its exit status if it did.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.0.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET on an engine's HTTP address; the body as text.
pub fn http_get(http: SocketAddr, path: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(http)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    Ok(body.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or(body))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
