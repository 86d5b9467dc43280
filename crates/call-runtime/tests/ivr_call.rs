//! In-process test of the shipped green-number IVR (`config/ivr/verde.toml`) driving a
//! call: the schedule is asked, the welcome menu plays, the caller presses 1 and reaches
//! the queue, the agent answers; the register marks the operator request and the queue
//! [IVR-1, IVR-3, IVR-8, ACD-1, SLA-9].

mod support;

use std::sync::Arc;
use std::time::Duration;

use acd_engine::{AcdConfig, AgentConfig, QueueConfig, Strategy};
use call_control::dial_plan::{DialPlan, Destination, OriginClass, Route};
use call_runtime::{AgentAccount, Runtime, RuntimeConfig};
use sip_message::HeaderName;
use support::{answer, event, phone, request, response, sdp, short_prompts, via_source};
use tokio::net::UdpSocket;

fn config(prompts_dir: std::path::PathBuf) -> RuntimeConfig {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/ivr/verde.toml");
    let text = std::fs::read_to_string(&root).unwrap();
    let script = ivr_script::load(&root, &text, &|_| true, &["verde"]).unwrap();
    let calendar = business_calendar::CalendarConfig { hours: vec!["Mon-Fri 09:00-17:00".into()], ..Default::default() }.build().unwrap();
    RuntimeConfig {
        agents: vec![AgentAccount { extension: "2001".into(), password: "pw2001".into() }],
        dial_plan: DialPlan {
            routes: vec![Route { numbers: "800904277".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Ivr("verde".into()) }],
        },
        acd: AcdConfig::new(vec![QueueConfig::new("verde", Strategy::LongestIdle, &["2001"])], vec![AgentConfig::new("2001", "Anna", 1)]),
        services: vec![call_runtime::ServiceSchedule { name: "verde".into(), calendar }],
        ivr_scripts: [("verde".to_owned(), Arc::new(script))].into_iter().collect(),
        prompts_dir,
        ..support::base_config(44100)
    }
}

#[tokio::test]
async fn ivr_1_the_green_number_script_welcomes_and_key_1_reaches_an_operator() {
    let prompts = short_prompts("ivr-call", &["benvenuto_numero_verde", "premere", "n1", "oppure", "attendere", "scelta_non_valida"]);
    let dir = std::env::temp_dir().join(format!("centralino-ivr-call-{}", std::process::id()));
    let store = sql_store::Store::open(&format!("sqlite://{}/calls.db?mode=rwc", dir.display())).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let rt = Runtime::start_with_register(config(prompts.clone()), Some(writer.clone())).await.unwrap();
    // Open whatever the clock says, so the test runs at any hour [IVR-8].
    rt.set_service_override("verde", business_calendar::Override::ForceOpen).unwrap();
    let engine = rt.sip_addr();
    let mut cti = rt.cti().subscribe();
    let agent = phone(engine, "2001").await;

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let body = sdp("127.0.0.11", 20_100);
    let invite = format!(
        "INVITE sip:800904277@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKi1\r\nFrom: <sip:3335550000@{ca}>;tag=c1\r\n\
         To: <sip:800904277@{engine}>\r\nCall-ID: ivr1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    let ok = response(&carrier, 200).await;
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let in_dialog = |method: &str, cseq: u32, extra: &str, body: &str| {
        format!(
            "{method} sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKi{method}{cseq}\r\nFrom: <sip:3335550000@{ca}>;tag=c1\r\n\
             To: {to}\r\nCall-ID: ivr1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    carrier.send_to(in_dialog("ACK", 1, "", "").as_bytes(), engine).await.unwrap();
    // The caller presses 1 during the welcome menu.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = in_dialog("INFO", 2, "Content-Type: application/dtmf-relay\r\n", "Signal=1\r\nDuration=160\r\n");
    carrier.send_to(info.as_bytes(), engine).await.unwrap();
    let queued = event(&mut cti, "call.queued").await;
    assert_eq!(queued["queue"].as_str(), Some("verde"));

    let inv = request(&agent, Duration::from_secs(5)).await;
    assert_eq!(inv.method.as_str(), "INVITE");
    let a = agent.local_addr().unwrap();
    agent.send_to(answer(&inv, 200, "OK", "a1", a, &sdp("127.0.0.1", 20_102)).as_bytes(), via_source(&inv)).await.unwrap();
    assert_eq!(request(&agent, Duration::from_secs(5)).await.method.as_str(), "ACK");
    let answered = event(&mut cti, "call.answered").await;
    assert_eq!((answered["agent"].as_str(), answered["queue"].as_str()), (Some("2001"), Some("verde")));

    // [SLA-9] The IVR recorded the operator request and the queue.
    writer.flush().await.unwrap();
    let row = store.calls(1, None).await.unwrap().remove(0);
    assert!(row.operator_requested_at.is_some_and(|t| t > row.started_at), "{row:?}");
    assert_eq!((row.queue.as_deref(), row.agent.as_deref()), (Some("verde"), Some("2001")));
    assert!(row.answered_at.is_some());
    let _ = std::fs::remove_dir_all(prompts);
    let _ = std::fs::remove_dir_all(dir);
}
