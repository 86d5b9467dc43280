//! SIPp-driven system tests of the release binary: digest registration of operator
//! phones [TEL-5], carrier calls to an operator with anchored RTP [TEL-2, TEL-5],
//! CANCEL, busy and ring timeout (RFC 3261 §9, §21.4), refusal of strangers and
//! unknown numbers, office calls out through the PBX trunk [TEL-1, TEL-4], carrier
//! failover to the backup link [TEL-2] and the Prometheus counters after calls.
//!
//! The suite uses SIP 127.0.0.1:15060 / HTTP 18080 for the engine and ports
//! 16000–16999 for its SIPp peers; the trunk roles keep their fixed source addresses
//! (carrier 127.0.0.11/.12, PBX 127.0.0.21). Run with `--test-threads=1`.

mod sipp_support;

use std::time::{Duration, Instant};

use centralino_tests::{Engine, http_get, scenarios};
use sipp_support::{
    Capture, Listen, Uas, answer_media, final_status, metric, register, register_file,
    run_scenario, start_engine,
};

/// A carrier caller's SIP port and the agent 2001's phone (contact) port.
const CALLER_PORT: u16 = 16100;
const AGENT_PORT: u16 = 16001;
const REGISTER_PORT: u16 = 16050;

/// Registers 2001 (contact 127.0.0.1:16001) and asserts it worked.
fn register_2001(engine: &Engine) -> anyhow::Result<()> {
    let run = register(
        engine,
        "register-2001",
        &[("2001", "pw2001", AGENT_PORT)],
        REGISTER_PORT,
    )?;
    assert!(
        run.success,
        "agent 2001 must register with digest [TEL-5]\n{}",
        run.explain()
    );
    Ok(())
}

/// One carrier call expected to be refused; the final status it got.
fn refused_call(
    engine: &Engine,
    label: &str,
    source_ip: &str,
    number: &str,
    media_port: u16,
) -> anyhow::Result<(u16, String)> {
    let port = CALLER_PORT.to_string();
    let mp = media_port.to_string();
    let run = run_scenario(
        engine,
        label,
        "caller-refused.xml",
        &[
            "-s", number, "-i", source_ip, "-p", &port, "-mp", &mp, "-m", "1",
        ],
        Duration::from_secs(20),
    )?;
    let status = final_status(&run.logs);
    assert!(
        run.success,
        "{label}: the INVITE must get a final failure response\n{}",
        run.explain()
    );
    Ok((status.unwrap_or(0), run.explain()))
}

#[test]
fn tel5_agent_registers_with_digest_and_a_wrong_password_is_refused() -> anyhow::Result<()> {
    let engine = start_engine("register", |c| c)?;
    register_2001(&engine)?;
    let wrong = register(
        &engine,
        "register-wrong",
        &[("2002", "wrong", 16002)],
        REGISTER_PORT,
    )?;
    assert!(
        !wrong.success,
        "a wrong password must not register [TEL-5]\n{}",
        wrong.explain()
    );
    assert!(
        wrong.messages.contains("SIP/2.0 401") || wrong.messages.contains("SIP/2.0 403"),
        "the wrong password must be answered 401/403\n{}",
        wrong.explain()
    );
    assert!(
        !wrong.messages.contains("SIP/2.0 200"),
        "no 200 for a wrong password\n{}",
        wrong.explain()
    );
    Ok(())
}

#[test]
fn tel5_twenty_agents_register_from_the_shipped_csv() -> anyhow::Result<()> {
    let engine = start_engine("register20", |c| c)?;
    let csv = scenarios().join("agents.csv");
    let run = register_file(&engine, "register-20", &csv, 20, REGISTER_PORT)?;
    assert!(
        run.success,
        "all 20 agents of agents.csv must register [TEL-5]\n{}",
        run.explain()
    );
    let oks = run.messages.matches("SIP/2.0 200 OK").count();
    assert_eq!(oks, 20, "one 200 per agent\n{}", run.explain());
    Ok(())
}

#[test]
fn tel2_tel5_carrier_call_to_2001_relays_anchored_rtp_both_ways() -> anyhow::Result<()> {
    let engine = start_engine("call", |c| c)?;
    register_2001(&engine)?;
    let (agent_media, caller_media) = (16200, 16300);
    let mut agent = Uas::start(
        &engine,
        "agent",
        "agent-uas.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: agent_media,
        },
        Some(1),
        Duration::from_secs(40),
    )?;
    let to_agent = Capture::udp_to(&engine.dir, "rtp-to-agent", "127.0.0.1", agent_media, 14)?;
    let to_caller = Capture::udp_to(&engine.dir, "rtp-to-caller", "127.0.0.11", caller_media, 14)?;
    let port = CALLER_PORT.to_string();
    let mp = caller_media.to_string();
    let call = run_scenario(
        &engine,
        "caller",
        "caller.xml",
        &[
            "-s",
            "2001",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            &mp,
            "-m",
            "1",
        ],
        Duration::from_secs(30),
    )?;
    assert!(
        call.success,
        "the carrier call to 2001 must be answered and hung up cleanly\n{}",
        call.explain()
    );
    let (ip, media_port) = answer_media(&call.logs)
        .ok_or_else(|| anyhow::anyhow!("no answer media logged\n{}", call.explain()))?;
    assert_eq!(
        ip, "127.0.0.1",
        "the engine's SDP must point at its own media address"
    );
    assert!(
        (30000..=39999).contains(&media_port),
        "the engine's SDP must use its media range, got {media_port}"
    );
    let to_agent = to_agent.count(Duration::from_secs(20))?;
    let to_caller = to_caller.count(Duration::from_secs(20))?;
    eprintln!(
        "rtp packets through the engine: to the agent {to_agent}, back to the caller {to_caller}"
    );
    assert!(
        to_agent > 150,
        "too little RTP reached the agent through the engine ({to_agent})"
    );
    assert!(
        to_caller > 150,
        "too little RTP came back to the caller through the engine ({to_caller})"
    );
    assert!(
        agent
            .wait(Duration::from_secs(10))
            .is_some_and(|s| s.success()),
        "the agent's UAS must end cleanly\n{}",
        agent.errors()
    );
    Ok(())
}

#[test]
fn tel5_cancel_while_the_agent_rings_gives_the_caller_487() -> anyhow::Result<()> {
    let engine = start_engine("cancel", |c| c)?;
    register_2001(&engine)?;
    let mut agent = Uas::start(
        &engine,
        "agent-ring",
        "agent-ring.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: 16202,
        },
        Some(1),
        Duration::from_secs(20),
    )?;
    let port = CALLER_PORT.to_string();
    let run = run_scenario(
        &engine,
        "caller-cancel",
        "caller-cancel.xml",
        &[
            "-s",
            "2001",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            "16302",
            "-m",
            "1",
        ],
        Duration::from_secs(20),
    )?;
    assert!(
        run.success,
        "CANCEL while ringing must end in 200 (CANCEL) and 487 (INVITE), RFC 3261 §9\n{}",
        run.explain()
    );
    assert!(
        agent
            .wait(Duration::from_secs(10))
            .is_some_and(|s| s.success()),
        "the engine must CANCEL the ringing agent leg too\n{}\n{}",
        agent.errors(),
        agent.messages()
    );
    Ok(())
}

#[test]
fn tel5_busy_agent_gives_the_caller_486() -> anyhow::Result<()> {
    let engine = start_engine("busy", |c| c)?;
    register_2001(&engine)?;
    let _agent = Uas::start(
        &engine,
        "agent-busy",
        "agent-busy.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: 16204,
        },
        Some(1),
        Duration::from_secs(20),
    )?;
    let port = CALLER_PORT.to_string();
    let run = run_scenario(
        &engine,
        "caller-busy",
        "caller-busy.xml",
        &[
            "-s",
            "2001",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            "16304",
            "-m",
            "1",
        ],
        Duration::from_secs(20),
    )?;
    assert!(
        run.success,
        "a busy agent must give the caller 486\n{}",
        run.explain()
    );
    Ok(())
}

#[test]
fn tel5_ring_timeout_gives_the_caller_480() -> anyhow::Result<()> {
    let engine = start_engine("ring-timeout", |c| {
        c.replace("ring_timeout_s = 30", "ring_timeout_s = 3")
    })?;
    register_2001(&engine)?;
    let mut agent = Uas::start(
        &engine,
        "agent-ring",
        "agent-ring.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: 16206,
        },
        Some(1),
        Duration::from_secs(20),
    )?;
    let started = Instant::now();
    let (status, explain) = refused_call(&engine, "caller-timeout", "127.0.0.11", "2001", 16306)?;
    let took = started.elapsed();
    assert_eq!(
        status, 480,
        "an unanswered agent must give the caller 480 after ring_timeout_s\n{explain}"
    );
    assert!(
        took >= Duration::from_millis(2500) && took < Duration::from_secs(10),
        "480 after about 3 s, took {took:?}"
    );
    assert!(
        agent
            .wait(Duration::from_secs(10))
            .is_some_and(|s| s.success()),
        "the engine must CANCEL the ringing agent at the timeout\n{}",
        agent.errors()
    );
    Ok(())
}

#[test]
fn tel2_stranger_gets_403_without_a_call_and_unknown_number_gets_404() -> anyhow::Result<()> {
    let engine = start_engine("refused", |c| c)?;
    register_2001(&engine)?;
    let agent = Uas::start(
        &engine,
        "agent-idle",
        "agent-uas.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: 16208,
        },
        None,
        Duration::from_secs(20),
    )?;
    let (status, explain) = refused_call(&engine, "stranger", "127.0.0.99", "2001", 16308)?;
    assert_eq!(
        status, 403,
        "an INVITE from an unknown address must be refused\n{explain}"
    );
    let (status, explain) = refused_call(&engine, "unknown-number", "127.0.0.11", "7777", 16308)?;
    assert_eq!(
        status, 404,
        "a number no route matches must get 404\n{explain}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !agent.messages().contains("INVITE sip:"),
        "the stranger's call must not reach the agent:\n{}",
        agent.messages()
    );
    let metrics = http_get(engine.http, "/metrics")?;
    assert!(
        metric(&metrics, "centralino_calls_answered_total").unwrap_or(0.0) == 0.0,
        "no call was answered:\n{metrics}"
    );
    Ok(())
}

#[test]
fn tel1_tel4_office_call_from_the_carrier_goes_out_through_the_pbx_trunk() -> anyhow::Result<()> {
    let engine = start_engine("office", |c| c)?;
    let pbx = Uas::start(
        &engine,
        "pbx",
        "agent-uas.xml",
        Listen {
            ip: "127.0.0.21",
            port: 5060,
            media_port: 16210,
        },
        None,
        Duration::from_secs(30),
    )?;
    let port = CALLER_PORT.to_string();
    let run = run_scenario(
        &engine,
        "caller-office",
        "caller.xml",
        &[
            "-s",
            "3456",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            "16310",
            "-m",
            "1",
        ],
        Duration::from_secs(30),
    )?;
    assert!(
        run.success,
        "the office call to 3456 must be answered by the PBX [TEL-4]\n{}",
        run.explain()
    );
    let (ip, media_port) = answer_media(&run.logs)
        .ok_or_else(|| anyhow::anyhow!("no answer media\n{}", run.explain()))?;
    assert!(
        ip == "127.0.0.1" && (30000..=39999).contains(&media_port),
        "media anchored, got {ip}:{media_port}"
    );
    let seen = pbx.messages();
    assert!(
        seen.contains("INVITE sip:3456@"),
        "the PBX trunk (127.0.0.21:5060) must get the INVITE for 3456 [TEL-1]:\n{seen}"
    );
    Ok(())
}

#[test]
fn tel2_carrier_calls_fail_over_to_the_backup_link() -> anyhow::Result<()> {
    let engine = start_engine("failover", |c| {
        let c = c.replacen("options_interval_s = 5", "options_interval_s = 1", 1);
        format!(
            "{c}\n[[route]]\nnumbers = \"5000-5999\"\nfrom = [\"trunk\"]\nto = \"trunk:carrier\"\n"
        )
    })?;
    // Only the backup answers; nothing listens on the primary 127.0.0.11:5060.
    let backup = Uas::start(
        &engine,
        "carrier-backup",
        "agent-uas.xml",
        Listen {
            ip: "127.0.0.12",
            port: 5060,
            media_port: 16212,
        },
        None,
        Duration::from_secs(40),
    )?;
    std::thread::sleep(Duration::from_millis(3500));
    let port = CALLER_PORT.to_string();
    let run = run_scenario(
        &engine,
        "caller-failover",
        "caller.xml",
        &[
            "-s",
            "5001",
            "-i",
            "127.0.0.21",
            "-p",
            &port,
            "-mp",
            "16312",
            "-m",
            "1",
        ],
        Duration::from_secs(30),
    )?;
    assert!(
        run.success,
        "with the primary down the call to 5001 must be answered by the backup [TEL-2]\n{}",
        run.explain()
    );
    let seen = backup.messages();
    assert!(
        seen.contains("OPTIONS sip:"),
        "the backup must have been probed with OPTIONS:\n{seen}"
    );
    assert!(
        seen.contains("INVITE sip:5001@"),
        "the backup 127.0.0.12:5060 must get the INVITE:\n{seen}"
    );
    Ok(())
}

#[test]
fn tel5_hold_and_resume_then_metrics_count_requests_answers_and_rtp() -> anyhow::Result<()> {
    let engine = start_engine("metrics", |c| c)?;
    register_2001(&engine)?;
    let mut agent = Uas::start(
        &engine,
        "agent",
        "agent-uas.xml",
        Listen {
            ip: "127.0.0.1",
            port: AGENT_PORT,
            media_port: 16214,
        },
        Some(1),
        Duration::from_secs(40),
    )?;
    let port = CALLER_PORT.to_string();
    let run = run_scenario(
        &engine,
        "caller-hold",
        "caller-hold.xml",
        &[
            "-s",
            "2001",
            "-i",
            "127.0.0.11",
            "-p",
            &port,
            "-mp",
            "16314",
            "-m",
            "1",
        ],
        Duration::from_secs(30),
    )?;
    assert!(
        run.success,
        "the call with hold and resume must complete (RFC 3264 §8.4)\n{}",
        run.explain()
    );
    assert!(
        run.logs.contains("reinvite sendonly answered"),
        "{}",
        run.explain()
    );
    assert!(
        run.logs.contains("reinvite sendrecv answered sendrecv"),
        "resume must bring the call back to sendrecv\n{}",
        run.explain()
    );
    assert!(
        agent
            .wait(Duration::from_secs(10))
            .is_some_and(|s| s.success()),
        "agent UAS:\n{}",
        agent.errors()
    );
    let hold = agent.messages();
    assert!(
        hold.contains("a=sendonly"),
        "the hold must be relayed to the agent:\n{hold}"
    );
    let metrics = http_get(engine.http, "/metrics")?;
    for series in [
        "centralino_sip_requests_total{method=\"INVITE\"}",
        "centralino_sip_requests_total{method=\"REGISTER\"}",
        "centralino_calls_answered_total",
    ] {
        let v = metric(&metrics, series).unwrap_or(0.0);
        assert!(v >= 1.0, "{series} must count the call ({v}):\n{metrics}");
    }
    let relayed: f64 = ["a_to_b", "b_to_a"]
        .iter()
        .map(|d| {
            metric(
                &metrics,
                &format!("centralino_rtp_packets_relayed_total{{direction=\"{d}\"}}"),
            )
            .unwrap_or(0.0)
        })
        .sum();
    assert!(
        relayed > 100.0,
        "centralino_rtp_packets_relayed_total must count the call's RTP ({relayed}):\n{metrics}"
    );
    Ok(())
}
