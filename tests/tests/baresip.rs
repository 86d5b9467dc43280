//! System test (issue item 11): a real softphone as agent 2001. baresip (Debian 12's
//! package) registers with digest (RFC 3261 §22, realm `centralino`), auto-answers a call
//! that SIPp places from the carrier trunk (127.0.0.11) to 2001, and RTP flows both ways
//! through the engine's media relay (ports 30000–39999): counted on loopback with tshark.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use centralino_tests::{Engine, sipp};

mod tshark_support;
use tshark_support::Capture;

/// baresip's SIP address.
const BARESIP_SIP: &str = "127.0.0.1:26060";
/// baresip's RTP port range.
const BARESIP_RTP: (u16, u16) = (26100, 26199);
/// The SIPp caller's SIP and media ports (on the carrier address).
const SIPP_PORT: u16 = 26300;
const SIPP_MEDIA: u16 = 26200;
/// How long the call stays up with media flowing.
const TALK: Duration = Duration::from_secs(8);
/// A healthy minimum of 20 ms packets over the talk time, each way.
const MIN_PACKETS: usize = 100;

#[test]
fn baresip_agent_2001_answers_a_carrier_call_with_two_way_rtp() -> anyhow::Result<()> {
    for tool in ["baresip", "sipp", "tshark"] {
        if Command::new(tool)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            bail!(
                "`{tool}` is not installed: tests/run.sh installs it (apt packages baresip, sip-tester, tshark)"
            );
        }
    }
    let engine = Engine::start_on("baresip", 25060, 28080, |c| c)?;
    let dir = engine.dir.join("baresip");
    std::fs::create_dir_all(&dir)?;
    write_baresip_config(&dir, engine.sip)?;
    let phone = Baresip::start(&dir)?;

    // Registration: the engine challenges, baresip answers with pw2001.
    let mut phone = phone;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut registered = None;
    while registered.is_none() && Instant::now() < deadline {
        let log = phone.log();
        if log.contains("200 OK") && log.contains("binding") {
            registered = Some(Ok(()));
        } else if log.contains("Register:") || log.contains("reg: ") {
            registered = Some(Err(()));
        } else if let Ok(Some(status)) = phone.child.try_wait() {
            bail!("baresip exited ({status}) before registering:\n{log}");
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    if registered != Some(Ok(())) {
        let log = phone.log();
        // libre (baresip 1.0, Debian 12) aborts with ENOSYS on any challenge whose
        // algorithm is not MD5, even when an MD5 challenge is offered beside it.
        let hint = if log.contains("Function not implemented") {
            "\nHint: baresip 1.0 fails with ENOSYS when the 401 carries a non-MD5 challenge (e.g. SHA-256, RFC 8760) besides the MD5 one."
        } else {
            ""
        };
        bail!(
            "baresip did not register as 2001 with {} (digest 2001/pw2001, realm centralino).{hint}\n--- baresip log ---\n{}\n--- engine log ---\n{}",
            engine.sip,
            phone.log(),
            engine.log()
        );
    }

    let capture = Capture::start(
        &dir.join("rtp.pcapng"),
        "lo",
        &format!(
            "udp and (dst port {SIPP_MEDIA} or dst portrange {}-{})",
            BARESIP_RTP.0, BARESIP_RTP.1
        ),
    )?;
    let scenario = write_caller_scenario(&dir)?;
    let target = engine.sip.to_string();
    let (port, media) = (SIPP_PORT.to_string(), SIPP_MEDIA.to_string());
    let errors = dir.join("sipp-errors.log");
    let scenario_path = scenario.to_string_lossy().into_owned();
    let errors_path = errors.to_string_lossy().into_owned();
    let out = sipp(
        &[
            "-sf",
            &scenario_path,
            "-s",
            "2001",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            &media,
            "-m",
            "1",
            "-trace_err",
            "-error_file",
            &errors_path,
            &target,
        ],
        TALK + Duration::from_secs(20),
    )?;
    let rows = capture.stop(&["ip.src", "udp.srcport", "ip.dst", "udp.dstport"])?;
    let context = || {
        format!(
            "\n--- sipp (exit {:?}) ---\n{}\n{}\n--- baresip log ---\n{}\n--- engine log ---\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(40)
                .collect::<Vec<_>>()
                .join("\n"),
            std::fs::read_to_string(&errors).unwrap_or_default(),
            tail(&phone.log(), 80),
            tail(&engine.log(), 40)
        )
    };
    assert!(
        out.status.success(),
        "the SIPp call to 2001 did not complete{}",
        context()
    );
    assert!(
        phone.log().contains("Call established"),
        "baresip never established the call{}",
        context()
    );

    let (mut to_caller, mut to_phone, mut not_relayed) = (0usize, 0usize, Vec::new());
    for row in &rows {
        let [src, sport, dst, dport] =
            [0, 1, 2, 3].map(|i| row.get(i).map(String::as_str).unwrap_or(""));
        let Ok(dport) = dport.parse::<u16>() else {
            continue;
        };
        let relayed = sport
            .parse::<u16>()
            .is_ok_and(|p| (30000..=39999).contains(&p))
            && src == "127.0.0.1";
        if dport == SIPP_MEDIA && dst == "127.0.0.11" {
            to_caller += 1;
        } else if (BARESIP_RTP.0..=BARESIP_RTP.1).contains(&dport) && dst == "127.0.0.1" {
            to_phone += 1;
        } else {
            continue;
        }
        if !relayed && not_relayed.len() < 5 {
            not_relayed.push(format!("{src}:{sport} -> {dst}:{dport}"));
        }
    }
    assert!(
        to_phone > MIN_PACKETS,
        "only {to_phone} RTP packets reached baresip (caller → agent){}",
        context()
    );
    assert!(
        to_caller > MIN_PACKETS,
        "only {to_caller} RTP packets reached the SIPp caller (agent → caller){}",
        context()
    );
    assert!(
        not_relayed.is_empty(),
        "media bypassed the engine's relay (30000–39999): {not_relayed:?}{}",
        context()
    );
    drop(phone);
    drop(engine);
    Ok(())
}

/// A running baresip; killed on drop.
struct Baresip {
    child: Child,
    log: PathBuf,
}

impl Baresip {
    fn start(dir: &Path) -> anyhow::Result<Baresip> {
        let log = dir.join("baresip.log");
        let out = std::fs::File::create(&log)?;
        // `-t` bounds its life even if this test is killed before the drop runs.
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir)
            .args(["-t", "55", "-s"])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting baresip (tests/run.sh installs it)")?;
        Ok(Baresip { child, log })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headless baresip: no sound card (a 440 Hz sine as microphone, the `aubridge` null
/// device as speaker), loopback only, account 2001 with auto-answer.
fn write_baresip_config(dir: &Path, engine: SocketAddr) -> anyhow::Result<()> {
    let config = format!(
        "poll_method epoll\n\
         sip_listen {BARESIP_SIP}\n\
         sip_trans_def udp\n\
         net_interface 127.0.0.1\n\
         audio_player aubridge,nil\n\
         audio_alert aubridge,nil\n\
         audio_source ausine,440\n\
         ausrc_srate 48000\n\
         ausrc_channels 2\n\
         auplay_srate 8000\n\
         auplay_channels 1\n\
         rtp_ports {}-{}\n\
         rtp_timeout 0\n\
         module_path /usr/lib/baresip/modules\n\
         module g711.so\n\
         module ausine.so\n\
         module aubridge.so\n\
         module_app account.so\n\
         module_tmp uuid.so\n",
        BARESIP_RTP.0, BARESIP_RTP.1
    );
    std::fs::write(dir.join("config"), config)?;
    std::fs::write(
        dir.join("accounts"),
        format!(
            "<sip:2001@{engine}>;auth_user=2001;auth_pass=pw2001;answermode=auto;audio_codecs=PCMA,PCMU;regint=600\n"
        ),
    )?;
    Ok(())
}

/// The carrier's call: INVITE with a G.711 offer, ACK, RTP (a PCMA tone, looped) for
/// the talk time, BYE.
fn write_caller_scenario(dir: &Path) -> anyhow::Result<PathBuf> {
    let tone = dir.join("tone.pcma");
    // One second of a PCMA pattern; SIPp loops it for as long as the call lasts.
    std::fs::write(&tone, [0xd5u8, 0xd4, 0xd7, 0xd6].repeat(2000))?;
    let talk_ms = TALK.as_millis();
    let stream = format!("{},-1,8", tone.display());
    let headers = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n\
                   From: <sip:3331234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n";
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="carrier call to agent 2001 with RTP both ways">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{headers}To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:carrier@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=carrier 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=sendrecv
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{headers}To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:carrier@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <nop><action><exec rtp_stream="{stream}"/></action></nop>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500">
    <![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{headers}To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:carrier@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"#
    );
    let path = dir.join("caller.xml");
    std::fs::write(&path, xml)?;
    Ok(path)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all.get(all.len().saturating_sub(lines)..)
        .unwrap_or_default()
        .join("\n")
}
