//! System smoke test: the release binary starts on the demo config, answers OPTIONS
//! from a trunk and refuses a stranger, and serves /healthz and Prometheus /metrics
//! (issue "Walking skeleton" items 2, 7, 12).

use centralino_tests::{Engine, http_get, options_status};

#[test]
fn demo_engine_starts_answers_trunks_and_serves_metrics() -> anyhow::Result<()> {
    let engine = Engine::start("smoke", |c| c)?;
    assert_eq!(options_status(engine.sip, "127.0.0.11"), Some(200), "carrier OPTIONS [TEL-2]");
    assert_eq!(options_status(engine.sip, "127.0.0.21"), Some(200), "PBX OPTIONS [TEL-1]");
    assert_eq!(options_status(engine.sip, "127.0.0.99"), Some(403), "a stranger is refused");
    assert_eq!(http_get(engine.http, "/healthz")?.trim(), "ok");
    let metrics = http_get(engine.http, "/metrics")?;
    assert!(metrics.contains("centralino_sip_requests_total{method=\"OPTIONS\"}"), "{metrics}");
    assert!(metrics.contains("centralino_sip_responses_total{code=\"403\"}"), "{metrics}");
    drop(engine);
    Ok(())
}
