//! Level I → level II in one step [ACD-6, CRM-6]: a green-number caller talking to a level I
//! agent is moved, with its ticket, into the level II queue; the level I agent's phone is
//! released, the caller hears music, the level II agent's phone rings and is bridged, and the
//! ticket is at level II ("assigned_level2") with the transfer in its history.

mod support;

use std::time::Duration;

use acd_engine::{AcdConfig, AgentConfig, QueueConfig, Strategy};
use call_control::dial_plan::{DialPlan, Destination, OriginClass, Route};
use call_runtime::{AgentAccount, CallCommand, Runtime, RuntimeConfig};
use sip_message::{HeaderName, Message};
use support::{answer, event, event_of, phone, recv, request, response, sdp, short_prompts, via_source};
use tokio::net::UdpSocket;

fn config(prompts_dir: std::path::PathBuf) -> RuntimeConfig {
    let verde = QueueConfig::new("verde", Strategy::LongestIdle, &["2001"]);
    let mut livello2 = QueueConfig::new("livello2", Strategy::Linear, &["2011"]);
    livello2.required_level = Some(2);
    RuntimeConfig {
        agents: ["2001", "2011"].iter().map(|e| AgentAccount { extension: (*e).into(), password: format!("pw{e}") }).collect(),
        dial_plan: DialPlan {
            routes: vec![Route { numbers: "800904277".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Queue("verde".into()) }],
        },
        acd: AcdConfig::new(vec![verde, livello2], vec![AgentConfig::new("2001", "Anna", 1), AgentConfig::new("2011", "Carla", 2)]),
        prompts_dir,
        ..support::base_config(44000)
    }
}

#[tokio::test]
async fn acd_6_crm_6_the_caller_and_its_ticket_move_to_level_two() {
    let prompts = short_prompts("transfer", &["benvenuto_numero_verde", "sei_il_numero", "sei_il_primo", "in_coda"]);
    let dir = std::env::temp_dir().join(format!("centralino-transfer-{}", std::process::id()));
    let store = sql_store::Store::open(&format!("sqlite://{}/calls.db?mode=rwc", dir.display())).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let rt = Runtime::start_with_register(config(prompts.clone()), Some(writer.clone())).await.unwrap();
    let engine = rt.sip_addr();
    let mut cti = rt.cti().subscribe();
    let level1 = phone(engine, "2001").await;
    let level2 = phone(engine, "2011").await;

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp("127.0.0.11", media.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:800904277@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKt1\r\nFrom: <sip:3331112222@{ca}>;tag=c1\r\n\
         To: <sip:800904277@{engine}>\r\nCall-ID: transfer1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    let ok = response(&carrier, 200).await;
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let ack = format!(
        "ACK sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKt1ack\r\nFrom: <sip:3331112222@{ca}>;tag=c1\r\n\
         To: {to}\r\nCall-ID: transfer1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    carrier.send_to(ack.as_bytes(), engine).await.unwrap();

    // Level I answers.
    let inv1 = request(&level1, Duration::from_secs(5)).await;
    let l1 = level1.local_addr().unwrap();
    let l1_sdp = sdp("127.0.0.1", 20_000);
    level1.send_to(answer(&inv1, 200, "OK", "l1", l1, &l1_sdp).as_bytes(), via_source(&inv1)).await.unwrap();
    assert_eq!(request(&level1, Duration::from_secs(5)).await.method.as_str(), "ACK");
    let answered = event_of(&mut cti, "call.answered").await;
    let call = answered.call.expect("the call's number");
    let ticket = event(&mut cti, "ticket.created").await["ticket"].as_i64().unwrap();

    // The level I agent transfers the caller to level II.
    rt.call_command(call, CallCommand::TransferToQueue { queue: "livello2".into(), by: "2001".into() }).await.unwrap();
    let bye = request(&level1, Duration::from_secs(5)).await;
    assert_eq!(bye.method.as_str(), "BYE", "the level I phone is released");
    level1.send_to(support::ok_to(&bye).as_bytes(), via_source(&bye)).await.unwrap();
    let moved = event(&mut cti, "call.transferred").await;
    assert_eq!((moved["agent"].as_str(), moved["target_queue"].as_str()), (Some("2001"), Some("livello2")));
    // A second transfer while nobody talks to the caller is refused.
    assert!(rt.call_command(call, CallCommand::TransferToQueue { queue: "livello2".into(), by: "2001".into() }).await.is_err());

    // Level II rings with the pop and answers.
    let inv2 = request(&level2, Duration::from_secs(5)).await;
    assert_eq!(inv2.method.as_str(), "INVITE");
    let offered = event(&mut cti, "agent.offered").await;
    assert_eq!((offered["agent"].as_str(), offered["queue"].as_str()), (Some("2011"), Some("livello2")));
    let l2 = level2.local_addr().unwrap();
    level2.send_to(answer(&inv2, 200, "OK", "l2", l2, &sdp("127.0.0.1", 20_002)).as_bytes(), via_source(&inv2)).await.unwrap();
    assert_eq!(request(&level2, Duration::from_secs(5)).await.method.as_str(), "ACK");
    let answered = event(&mut cti, "call.answered").await;
    assert_eq!(answered["agent"].as_str(), Some("2011"));

    // [CRM-6] One ticket, now at level II, with the transfer in its history.
    writer.flush().await.unwrap();
    let detail = store.ticket(ticket).await.unwrap().unwrap();
    assert_eq!((detail.ticket.state.as_str(), detail.ticket.level), ("assigned_level2", 2));
    assert!(detail.history.iter().any(|h| h.actor == "2001" && h.action == "state"), "{:?}", detail.history);
    let row = store.calls(1, None).await.unwrap().remove(0);
    assert_eq!(row.ticket_id, Some(ticket));
    let events = store.events(row.id).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "transferred" && e.queue.as_deref() == Some("livello2")));

    // The caller hangs up: level II gets the BYE.
    let caller_bye = format!(
        "BYE sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKt1bye\r\nFrom: <sip:3331112222@{ca}>;tag=c1\r\n\
         To: {to}\r\nCall-ID: transfer1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    carrier.send_to(caller_bye.as_bytes(), engine).await.unwrap();
    response(&carrier, 200).await;
    let bye2 = loop {
        if let Message::Request(r) = recv(&level2).await
            && r.method.as_str() == "BYE"
        {
            break r;
        }
    };
    level2.send_to(support::ok_to(&bye2).as_bytes(), via_source(&bye2)).await.unwrap();
    let _ = std::fs::remove_dir_all(prompts);
    let _ = std::fs::remove_dir_all(dir);
}
