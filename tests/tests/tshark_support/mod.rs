//! Support for the system tests: a tshark capture running beside a test (what the engine
//! sent where, how many RTP packets reached each peer), stopped and read back as fields.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running capture into a pcapng file; killed on drop if not stopped.
pub struct Capture {
    child: Child,
    file: PathBuf,
}

impl Capture {
    /// Starts `tshark -i IFACE -f FILTER -w FILE` and waits until it captures.
    pub fn start(file: &Path, iface: &str, filter: &str) -> anyhow::Result<Capture> {
        let log = file.with_extension("tshark.log");
        let child = Command::new("tshark")
            .args(["-i", iface, "-q", "-f", filter, "-w"])
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting tshark (is it installed? tests/run.sh installs it)")?;
        let mut capture = Capture {
            child,
            file: file.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("Capturing on")
            {
                return Ok(capture);
            }
            if let Some(status) = capture.child.try_wait()? {
                bail!(
                    "tshark exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "tshark did not start capturing: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    }

    /// Stops the capture (SIGINT, so that the file is complete) and returns, per packet,
    /// the values of `fields` (tshark field names; empty when absent).
    pub fn stop(mut self, fields: &[&str]) -> anyhow::Result<Vec<Vec<String>>> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait()?.is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut cmd = Command::new("tshark");
        cmd.arg("-r")
            .arg(&self.file)
            .args(["-T", "fields", "-E", "separator=/t"]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().context("reading the capture with tshark")?;
        if !out.status.success() {
            bail!(
                "tshark -r {} failed: {}",
                self.file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let mut row: Vec<String> = l.split('\t').map(str::to_owned).collect();
                row.resize(fields.len(), String::new());
                row
            })
            .collect())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
