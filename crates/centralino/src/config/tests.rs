//! Tests of the config loader: the demo file, each section's checks, and file:line reasons.
use super::*;
use call_control::dial_plan::Origin;

const DEMO: &str = include_str!("../../../../config/centralino.toml");

#[test]
fn crm_4_recording_section_is_read_and_checked_with_lines() {
    let text = DEMO.replace("mode = \"off\"", "mode = \"all\"");
    let cfg = parse(Path::new("c.toml"), &text).unwrap();
    assert_eq!(cfg.recording.policy, RecordingPolicy::All);
    assert_eq!(cfg.recording.dir, PathBuf::from("data/recordings"));
    assert_eq!(cfg.recording.file, "{date}/{call}-{time}.wav");
    for (from, to, reason) in [
        ("mode = \"off\"", "mode = \"some\"", "recording.mode"),
        ("file = \"{date}/{call}-{time}.wav\"", "file = \"{date}/{caller}.wav\"", "unknown placeholder {caller}"),
        ("file = \"{date}/{call}-{time}.wav\"", "file = \"../{call}.wav\"", "relative path"),
        ("consent_prompt = \"it/consenso_registrazione\"", "consent_prompt = \"consenso\"", "recording.consent_prompt"),
    ] {
        let text = DEMO.replace(from, to);
        let err = parse(Path::new("c.toml"), &text).unwrap_err().to_string();
        let line = text.lines().position(|l| l.contains(to)).unwrap() + 1;
        assert!(err.contains(&format!("c.toml:{line}:")) && err.contains(reason), "{err}");
    }
    let text = DEMO.replace("[recording]\n", "[recording]\nformat = \"mp3\"\n");
    assert!(parse(Path::new("c.toml"), &text).is_err(), "unknown keys are refused");
}

#[test]
fn demo_config_is_valid() {
    let cfg = parse(Path::new("centralino.toml"), DEMO).unwrap();
    assert_eq!(cfg.sip_listen, "127.0.0.1:5060".parse().unwrap());
    assert_eq!(cfg.agents.len(), 20);
    assert_eq!(cfg.agents[0].extension, "2001");
    assert_eq!(cfg.agents[0].password, "pw2001");
    assert_eq!(cfg.trunks.len(), 2);
    assert_eq!(cfg.trunks[0].outbound.len(), 2);
    assert_eq!(cfg.dial_plan.routes.len(), 6);
    // [ACD-1] The green number and the switchboard queue for operators.
    assert_eq!(cfg.dial_plan.route("800904277", Origin::Trunk(0)), Some(&Destination::Ivr("verde".into())));
    assert_eq!(cfg.dial_plan.route("08744291", Origin::Trunk(1)), Some(&Destination::Ivr("centralino".into())));
    let queues: Vec<&str> = cfg.acd.queues.iter().map(|q| q.name.0.as_str()).collect();
    assert_eq!(queues, ["verde", "centralino", "livello2"]);
    assert_eq!(cfg.acd.queues[2].required_level, Some(2));
    // [ACD-6] Level II = 2011-2020.
    let level = |ext: &str| cfg.acd.agents.iter().find(|a| a.id.0 == ext).map(|a| a.level);
    assert_eq!((level("2010"), level("2011"), level("2020")), (Some(1), Some(2), Some(2)));
    assert_eq!(cfg.dial_plan.route("9000", Origin::Agent), Some(&Destination::Service("prompt-recorder".into())));
    assert_eq!(cfg.dial_plan.route("9000", Origin::Trunk(0)), None, "only agents record prompts");
    assert_eq!(cfg.recording.policy, RecordingPolicy::Off, "the demo records nothing");
    assert_eq!(cfg.recording.consent_prompt.as_deref(), Some("it/consenso_registrazione"));
    assert_eq!(cfg.dial_plan.route("9001", Origin::Trunk(0)), Some(&Destination::Service("dtmf-test".into())));
    assert_eq!(cfg.dial_plan.route("9001", Origin::Agent), None);
    assert_eq!(cfg.prompts_dir, PathBuf::from("prompts"));
    assert_eq!(cfg.media.port_min, 30000);
    assert!(cfg.trunk_registrations.is_empty());
}

#[test]
fn tel_1_trunk_registration_is_read() {
    let text = DEMO.replace(
        "options_interval_s = 5\n\n[[trunk]]",
        "options_interval_s = 5\n\n[trunk.register]\nregistrar = \"127.0.0.11:5060\"\nuser = \"800904277\"\nusername = \"u\"\npassword = \"p\"\n\n[[trunk]]",
    );
    let cfg = parse(Path::new("c.toml"), &text).unwrap();
    assert_eq!(cfg.trunk_registrations.len(), 1);
    assert_eq!(cfg.trunk_registrations[0].0, 0);
    assert_eq!(cfg.trunk_registrations[0].1.expires, Duration::from_secs(600));
    let bad = text.replace("registrar = \"127.0.0.11:5060\"", "registrar = \"carrier\"");
    let err = parse(Path::new("c.toml"), &bad).unwrap_err();
    assert!(err.to_string().contains("trunk.register.registrar"), "{err}");
}

#[test]
fn ivr_1_unknown_services_are_errors_with_their_line() {
    let text = DEMO.replace("to = \"service:dtmf-test\"", "to = \"service:karaoke\"");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    let line = text.lines().position(|l| l.contains("service:karaoke")).unwrap() + 1;
    assert_eq!(err.issues.len(), 1, "{err}");
    assert!(err.to_string().starts_with(&format!("c.toml:{line}: route.to: unknown service \"karaoke\"")), "{err}");
}

#[test]
fn prompts_dir_is_read_and_must_not_be_empty() {
    let text = DEMO.replace("prompts_dir = \"prompts\"", "prompts_dir = \"/srv/prompts\"");
    assert_eq!(parse(Path::new("c.toml"), &text).unwrap().prompts_dir, PathBuf::from("/srv/prompts"));
    let text = DEMO.replace("prompts_dir = \"prompts\"\n", "");
    assert_eq!(parse(Path::new("c.toml"), &text).unwrap().prompts_dir, PathBuf::from("prompts"), "the default");
    let text = DEMO.replace("prompts_dir = \"prompts\"", "prompts_dir = \" \"");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    assert!(err.to_string().contains("media.prompts_dir"), "{err}");
}

#[test]
fn sec_2_web_users_are_read_and_checked() {
    let cfg = parse(Path::new("c.toml"), DEMO).unwrap();
    let names: Vec<&str> = cfg.web_users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["admin", "supervisor", "auditor"]);
    assert_eq!(cfg.trunk_channels, vec![Some(Channel::Verde), Some(Channel::Centralino)]);
    assert_eq!(cfg.store_url.as_deref(), Some("sqlite://data/centralino.db?mode=rwc"));
    let text = DEMO.replace("channel = \"verde\"", "channel = \"green\"");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    assert!(err.to_string().contains("trunk.channel"), "{err}");
    let text = DEMO.replace("role = \"auditor\"", "role = \"boss\"");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    let line = text.lines().position(|l| l.contains("\"boss\"")).unwrap() + 1;
    assert!(err.to_string().contains(&format!("c.toml:{line}: web_user.role")), "{err}");
}

#[test]
fn syntax_error_reports_file_and_line() {
    let text = "[sip]\nlisten = \"127.0.0.1:5060\"\nrealm = \n";
    let err = parse(Path::new("x.toml"), text).unwrap_err();
    assert_eq!(err.issues[0].line, 3, "{err}");
    assert!(err.to_string().starts_with("x.toml:3: "), "{err}");
}

#[test]
fn semantic_errors_name_the_line_and_reason() {
    let text = DEMO.replace("listen = \"127.0.0.1:5060\"", "listen = \"nowhere\"").replace("to = \"trunk:pbx\"", "to = \"trunk:nope\"");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    let msg = err.to_string();
    let line_listen = DEMO.lines().position(|l| l.starts_with("listen = \"127.0.0.1:5060\"")).unwrap() + 1;
    assert!(msg.contains(&format!("c.toml:{line_listen}: sip.listen")), "{msg}");
    assert!(msg.contains("trunk:nope"), "{msg}");
    assert_eq!(err.issues.len(), 2, "{msg}");
}

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    let text = DEMO.replace("[media]\n", "[media]\ncolour = \"blue\"\n");
    let err = parse(Path::new("c.toml"), &text).unwrap_err();
    let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    assert_eq!(err.issues[0].line, line, "{err}");
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn acd_queue_errors_name_file_and_line() {
    let bad = format!("{DEMO}\n[[queue]]\nname = \"x\"\nstrategy = \"random\"\nmembers = [\"2001-2003\", \"9999\"]\nmax_wait_s = 60\n");
    let err = parse(Path::new("c.toml"), &bad).unwrap_err().to_string();
    let base = DEMO.lines().count() + 1;
    assert!(err.contains(&format!("c.toml:{}: queue.strategy", base + 3)), "{err}");
    assert!(err.contains("member 9999 is not an agent extension"), "{err}");
    assert!(err.contains("queue.on_max_wait is required"), "{err}");
    let bad_route = DEMO.replace("to = \"ivr:verde\"", "to = \"queue:nowhere\"");
    let err = parse(Path::new("c.toml"), &bad_route).unwrap_err().to_string();
    assert!(err.contains("unknown queue \"nowhere\""), "{err}");
    let bad_ivr = DEMO.replace("to = \"ivr:verde\"", "to = \"ivr:nowhere\"");
    let err = parse(Path::new("c.toml"), &bad_ivr).unwrap_err().to_string();
    assert!(err.contains("unknown IVR \"nowhere\""), "{err}");
}
