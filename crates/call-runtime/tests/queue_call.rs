//! In-process test of a queue call on loopback: two agents register, the carrier calls the
//! green number routed to queue `verde`; the engine answers, queues the caller, rings the
//! agent idle the longest, moves on when that agent's phone refuses, bridges on answer, and
//! writes the register row with queue, agent and ticket [ACD-1, ACD-2, ACD-3, ACD-7, CRM-1,
//! CTI-3, SLA-9].

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use acd_engine::{AcdConfig, AgentConfig, QueueConfig, Strategy};
use call_control::dial_plan::{DialPlan, Destination, OriginClass, Route};
use call_runtime::{AgentAccount, Runtime, RuntimeConfig};
use sip_message::{HeaderName, Message};
use support::{answer, event, media_port, phone, recv, request, response, sdp, short_prompts, via_source};
use tokio::net::UdpSocket;

fn config(media_base: u16, prompts_dir: std::path::PathBuf) -> RuntimeConfig {
    let mut queue = QueueConfig::new("verde", Strategy::LongestIdle, &["2001", "2002"]);
    queue.ring_timeout = Duration::from_secs(5);
    queue.wrap_up = Duration::from_secs(1);
    RuntimeConfig {
        agents: ["2001", "2002"].iter().map(|e| AgentAccount { extension: (*e).into(), password: format!("pw{e}") }).collect(),
        dial_plan: DialPlan {
            routes: vec![Route { numbers: "800904277".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Queue("verde".into()) }],
        },
        acd: AcdConfig::new(vec![queue], vec![AgentConfig::new("2001", "Anna", 1), AgentConfig::new("2002", "Bruno", 1)]),
        prompts_dir,
        ..support::base_config(media_base)
    }
}

#[tokio::test]
async fn acd_3_a_green_number_call_waits_rings_the_longest_idle_agent_and_is_bridged() {
    let prompts = support::prompt_folder("queue-call", &["benvenuto_numero_verde", "sei_il_numero", "sei_il_primo", "in_coda", "arrivederci"]);
    let dir = std::env::temp_dir().join(format!("centralino-queue-{}", std::process::id()));
    let store = sql_store::Store::open(&format!("sqlite://{}/calls.db?mode=rwc", dir.display())).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let rt = Runtime::start_with_register(config(43800, prompts.clone()), Some(writer.clone())).await.unwrap();
    let engine = rt.sip_addr();
    let mut cti = rt.cti().subscribe();

    // 2001 registers first, so it has been available the longest [ACD-3].
    let a1 = phone(engine, "2001").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a2 = phone(engine, "2002").await;
    let agents = rt.acd().snapshot().await.unwrap().agents;
    assert!(agents.iter().all(|a| a.state == acd_engine::AgentState::Available), "{agents:?}");

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp("127.0.0.11", media.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:800904277@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKq1\r\nFrom: <sip:3331234567@{ca}>;tag=c1\r\n\
         To: <sip:800904277@{engine}>\r\nCall-ID: queue1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    // The engine answers the caller itself and queues it [ACD-7].
    let ok = response(&carrier, 200).await;
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let ack = format!(
        "ACK sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKq1ack\r\nFrom: <sip:3331234567@{ca}>;tag=c1\r\n\
         To: {to}\r\nCall-ID: queue1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    carrier.send_to(ack.as_bytes(), engine).await.unwrap();
    let queued = event(&mut cti, "call.queued").await;
    assert_eq!((queued["queue"].as_str(), queued["channel"].as_str()), (Some("verde"), Some("verde")));

    // The longest idle agent's phone rings first; it is busy (486) [ACD-2].
    let inv1 = request(&a1, Duration::from_secs(5)).await;
    assert_eq!(inv1.method.as_str(), "INVITE");
    assert!(String::from_utf8_lossy(&inv1.body).contains("PCMA"), "the agent is offered the caller's codec");
    let offered = event(&mut cti, "agent.offered").await;
    assert_eq!((offered["agent"].as_str(), offered["channel"].as_str()), (Some("2001"), Some("verde")));
    assert!(offered["waited_seconds"].is_u64(), "[CTI-3] the pop carries the seconds waited");
    a1.send_to(answer(&inv1, 486, "Busy Here", "a1", a1.local_addr().unwrap(), "").as_bytes(), via_source(&inv1)).await.unwrap();
    // The ACK for the 486.
    let ack1 = request(&a1, Duration::from_secs(5)).await;
    assert_eq!(ack1.method.as_str(), "ACK");

    // The caller keeps its place and the next agent rings; it answers.
    let inv2 = request(&a2, Duration::from_secs(5)).await;
    assert_eq!(inv2.method.as_str(), "INVITE");
    let a2_media = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a2_sdp = sdp("127.0.0.1", a2_media.local_addr().unwrap().port());
    let a2_addr = a2.local_addr().unwrap();
    a2.send_to(answer(&inv2, 180, "Ringing", "a2", a2_addr, "").as_bytes(), via_source(&inv2)).await.unwrap();
    a2.send_to(answer(&inv2, 200, "OK", "a2", a2_addr, &a2_sdp).as_bytes(), via_source(&inv2)).await.unwrap();
    let ack2 = request(&a2, Duration::from_secs(5)).await;
    assert_eq!(ack2.method.as_str(), "ACK");
    let answered = event(&mut cti, "call.answered").await;
    assert_eq!((answered["agent"].as_str(), answered["queue"].as_str()), (Some("2002"), Some("verde")));
    let ticket = event(&mut cti, "ticket.created").await;
    assert!(ticket["ticket"].as_u64().is_some());

    // RTP from the caller reaches the agent through the relay.
    let relay_a: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    let mut rtp = vec![0x80, 8, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];
    rtp.extend_from_slice(&[0xd5; 160]);
    let mut buf = vec![0u8; 2048];
    let mut relayed = false;
    for _ in 0..20 {
        media.send_to(&rtp, relay_a).await.unwrap();
        if let Ok(Ok((n, _))) = tokio::time::timeout(Duration::from_millis(100), a2_media.recv_from(&mut buf)).await {
            relayed = n > 12;
            break;
        }
    }
    assert!(relayed, "caller audio reaches the agent");
    let snapshot = rt.acd().snapshot().await.unwrap();
    let states: Vec<_> = snapshot.agents.iter().map(|a| (a.id.0.as_str(), a.state.clone())).collect();
    assert!(states.contains(&("2002", acd_engine::AgentState::OnCall)), "{states:?}");

    // The agent hangs up: the caller gets a BYE and the agent wraps up.
    let bye = format!(
        "BYE sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {a2_addr};branch=z9hG4bKbye2\r\nFrom: {};tag=a2\r\nTo: {}\r\n\
         Call-ID: {}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        inv2.headers.get(&HeaderName::To).unwrap(),
        inv2.headers.get(&HeaderName::From).unwrap(),
        inv2.headers.get(&HeaderName::CallId).unwrap(),
    );
    a2.send_to(bye.as_bytes(), engine).await.unwrap();
    response(&a2, 200).await;
    let caller_bye = loop {
        if let Message::Request(r) = recv(&carrier).await {
            break r;
        }
    };
    assert_eq!(caller_bye.method.as_str(), "BYE");
    carrier.send_to(support::ok_to(&caller_bye).as_bytes(), via_source(&caller_bye)).await.unwrap();
    let ended = event(&mut cti, "call.ended").await;
    assert_eq!((ended["agent"].as_str(), ended["answered"].as_bool()), (Some("2002"), Some(true)));

    // [SLA-9] The register row: queue, agent, answered, ticket.
    writer.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    writer.flush().await.unwrap();
    let row = store.calls(1, None).await.unwrap().remove(0);
    assert_eq!(row.queue.as_deref(), Some("verde"));
    assert_eq!(row.agent.as_deref(), Some("2002"));
    assert_eq!(row.outcome, Some(sql_store::Outcome::Answered));
    assert!(row.answered_at.is_some() && row.ticket_id.is_some(), "{row:?}");
    let _ = std::fs::remove_dir_all(prompts);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn vm_1_out_of_hours_the_caller_leaves_a_message_filed_as_a_ticket_with_the_wav() {
    let prompts = short_prompts("voicemail", &["chiuso", "orari_numero_verde", "segreteria", "beep", "messaggio_registrato", "arrivederci"]);
    let dir = std::env::temp_dir().join(format!("centralino-vm-store-{}", std::process::id()));
    let store = sql_store::Store::open(&format!("sqlite://{}/calls.db?mode=rwc", dir.display())).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let calendar = business_calendar::CalendarConfig { hours: vec!["Mon-Fri 09:00-17:00".into()], ..Default::default() }.build().unwrap();
    let mut cfg = config(43900, prompts.clone());
    cfg.services = vec![call_runtime::ServiceSchedule { name: "verde".into(), calendar }];
    cfg.voicemail_dir = dir.join("voicemail");
    let rt = Runtime::start_with_register(cfg, Some(writer.clone())).await.unwrap();
    // [IVR-8] The supervisor forces the green number closed.
    rt.set_service_override("verde", business_calendar::Override::ForceClosed).unwrap();
    assert!(rt.set_service_override("nowhere", business_calendar::Override::ForceOpen).is_err());
    let engine = rt.sip_addr();
    let mut cti = rt.cti().subscribe();

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp("127.0.0.11", media.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:800904277@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKvm1\r\nFrom: <sip:3339876543@{ca}>;tag=c1\r\n\
         To: <sip:800904277@{engine}>\r\nCall-ID: vm1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    let ok = response(&carrier, 200).await;
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let in_dialog = |method: &str, cseq: u32, extra: &str, body: &str| {
        format!(
            "{method} sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKvm{method}{cseq}\r\nFrom: <sip:3339876543@{ca}>;tag=c1\r\n\
             To: {to}\r\nCall-ID: vm1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    carrier.send_to(in_dialog("ACK", 1, "", "").as_bytes(), engine).await.unwrap();
    // The closed message, the hours, the invitation and the beep: 0.8 s here. Then the
    // caller speaks for about a second (RTP) and presses #.
    let relay_a: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    let mut seq = 0u16;
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    while tokio::time::Instant::now() < until {
        seq += 1;
        let mut rtp = vec![0x80, 8];
        rtp.extend_from_slice(&seq.to_be_bytes());
        rtp.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        rtp.extend_from_slice(&[9, 9, 9, 9]);
        rtp.extend_from_slice(&[0x55; 160]);
        media.send_to(&rtp, relay_a).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let info = in_dialog("INFO", 2, "Content-Type: application/dtmf-relay\r\n", "Signal=#\r\nDuration=160\r\n");
    carrier.send_to(info.as_bytes(), engine).await.unwrap();
    let created = event(&mut cti, "voicemail.created").await;
    assert_eq!(created["channel"].as_str(), Some("verde"));
    assert!(created["seconds"].as_u64().is_some_and(|s| s <= 3), "{created}");
    // "Messaggio registrato", goodbye, and the engine hangs up.
    let bye = loop {
        if let Message::Request(r) = recv(&carrier).await
            && r.method.as_str() == "BYE"
        {
            break r;
        }
    };
    carrier.send_to(support::ok_to(&bye).as_bytes(), via_source(&bye)).await.unwrap();
    event(&mut cti, "call.ended").await;

    // [VM-1, CRM-3, SLA-9] The register row says voicemail and names the ticket, whose
    // attachment is the WAV with its checksum.
    tokio::time::sleep(Duration::from_millis(200)).await;
    writer.flush().await.unwrap();
    let row = store.calls(1, None).await.unwrap().remove(0);
    assert_eq!(row.outcome, Some(sql_store::Outcome::Voicemail), "{row:?}");
    let ticket = store.ticket(row.ticket_id.expect("a ticket for the voicemail")).await.unwrap().unwrap();
    assert!(ticket.ticket.offline, "a voicemail is off-line work");
    assert_eq!(ticket.attachments.len(), 1);
    let wav = &ticket.attachments[0];
    assert_eq!((wav.kind.as_str(), wav.mime.as_str()), ("voicemail", "audio/wav"));
    let bytes = std::fs::read(&wav.path).unwrap();
    assert!(bytes.len() > 44 + 8000, "about a second of audio: {} bytes", bytes.len());
    assert_eq!(wav.size, i64::try_from(bytes.len()).unwrap());
    assert!(ticket.ticket.due_at.is_some(), "[SLA-6] a take-in-charge deadline");
    let _ = std::fs::remove_dir_all(prompts);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn acd_7_max_wait_sends_the_caller_to_voicemail() {
    let prompts = short_prompts("queue-exit", &["benvenuto_numero_verde", "segreteria", "beep", "messaggio_registrato", "arrivederci"]);
    let dir = std::env::temp_dir().join(format!("centralino-queue-exit-{}", std::process::id()));
    let store = sql_store::Store::open(&format!("sqlite://{}/calls.db?mode=rwc", dir.display())).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let mut cfg = config(44200, prompts.clone());
    // Nobody answers within a second: the queue's exit is the voicemail box.
    cfg.acd.queues[0].max_wait = Some((Duration::from_secs(1), acd_engine::ExitAction::Voicemail("verde".into())));
    cfg.voicemail_dir = dir.join("voicemail");
    let rt = Runtime::start_with_register(cfg, Some(writer.clone())).await.unwrap();
    let engine = rt.sip_addr();
    let mut cti = rt.cti().subscribe();

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp("127.0.0.11", media.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:800904277@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKx1\r\nFrom: <sip:3330001234@{ca}>;tag=c1\r\n\
         To: <sip:800904277@{engine}>\r\nCall-ID: exit1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    let ok = response(&carrier, 200).await;
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let in_dialog = |method: &str, cseq: u32, extra: &str, body: &str| {
        format!(
            "{method} sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKx{method}{cseq}\r\nFrom: <sip:3330001234@{ca}>;tag=c1\r\n\
             To: {to}\r\nCall-ID: exit1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    carrier.send_to(in_dialog("ACK", 1, "", "").as_bytes(), engine).await.unwrap();
    event(&mut cti, "call.queued").await;
    // The caller speaks after the beep (about 1.6 s in), then presses #.
    let relay_a: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    let until = tokio::time::Instant::now() + Duration::from_millis(3000);
    let mut seq = 0u16;
    while tokio::time::Instant::now() < until {
        seq += 1;
        let mut rtp = vec![0x80, 8];
        rtp.extend_from_slice(&seq.to_be_bytes());
        rtp.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        rtp.extend_from_slice(&[7, 7, 7, 7]);
        rtp.extend_from_slice(&[0x55; 160]);
        media.send_to(&rtp, relay_a).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let info = in_dialog("INFO", 2, "Content-Type: application/dtmf-relay\r\n", "Signal=#\r\nDuration=160\r\n");
    carrier.send_to(info.as_bytes(), engine).await.unwrap();
    let created = event(&mut cti, "voicemail.created").await;
    assert_eq!(created["queue"].as_str(), Some("verde"));
    let bye = loop {
        if let Message::Request(r) = recv(&carrier).await
            && r.method.as_str() == "BYE"
        {
            break r;
        }
    };
    carrier.send_to(support::ok_to(&bye).as_bytes(), via_source(&bye)).await.unwrap();
    event(&mut cti, "call.ended").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    writer.flush().await.unwrap();
    let row = store.calls(1, None).await.unwrap().remove(0);
    assert_eq!(row.outcome, Some(sql_store::Outcome::Voicemail), "{row:?}");
    let ticket = store.ticket(row.ticket_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.attachments.len(), 1, "the message is attached");
    let _ = std::fs::remove_dir_all(prompts);
    let _ = std::fs::remove_dir_all(dir);
}
