//! Shell: bounded fan-out of CTI events (call offered/answered/ended, DTMF, agent
//! state…) to every subscriber — WebSocket clients now, the CRM webhook outbox later
//! [CTI-1, CTI-3].
//!
//! Publishing never blocks: the channel is bounded and a subscriber that falls behind
//! loses the oldest events and is told how many (`Lagged`), so a slow browser can
//! never stall a call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::broadcast;

/// One CTI event as subscribers receive it (serialized as JSON on the WebSocket).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CtiEvent {
    /// Increasing per engine run, so a client can tell it missed events.
    pub seq: u64,
    /// When it was published, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// `call.offered`, `call.answered`, `call.ended`, `dtmf`, …
    pub kind: String,
    /// The engine's number for the call, when the event is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<u64>,
    /// Event-specific fields.
    pub data: serde_json::Value,
}

/// The bus; cheap to clone.
#[derive(Debug, Clone)]
pub struct CtiBus {
    tx: broadcast::Sender<Arc<CtiEvent>>,
    seq: Arc<AtomicU64>,
}

impl CtiBus {
    /// A bus keeping up to `capacity` events for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        CtiBus { tx, seq: Arc::new(AtomicU64::new(0)) }
    }

    /// Publishes an event now; returns its sequence number. Never blocks; events
    /// published with no subscriber are dropped.
    pub fn publish(&self, kind: &str, call: Option<u64>, data: serde_json::Value) -> u64 {
        self.publish_at(SystemTime::now(), kind, call, data)
    }

    /// Publishes an event stamped `at` (tests, replays).
    pub fn publish_at(&self, at: SystemTime, kind: &str, call: Option<u64>, data: serde_json::Value) -> u64 {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let event = CtiEvent { seq, at: rfc3339_millis(at), kind: kind.to_owned(), call, data };
        // An error only means nobody listens right now.
        let _ = self.tx.send(Arc::new(event));
        seq
    }

    /// A new subscriber: it sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CtiEvent>> {
        self.tx.subscribe()
    }

    /// Current subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a system time (UTC).
pub fn rfc3339_millis(t: SystemTime) -> String {
    cc_model::wall_clock::UtcDateTime::from_system_time(t).rfc3339_millis()
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_formatting_matches_known_instants() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_560_227_211);
        assert_eq!(rfc3339_millis(t), "2026-11-24T22:43:47.211Z");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_millis(t), "2000-02-29T00:00:00.000Z");
    }

    #[tokio::test]
    async fn cti_3_subscribers_get_every_event_in_order_with_sequence_numbers() {
        let bus = CtiBus::new(16);
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        assert_eq!(bus.subscriber_count(), 2);
        bus.publish("call.offered", Some(7), serde_json::json!({"channel": "verde"}));
        bus.publish("dtmf", Some(7), serde_json::json!({"digit": "1"}));
        for rx in [&mut a, &mut b] {
            let e1 = rx.recv().await.unwrap();
            let e2 = rx.recv().await.unwrap();
            assert_eq!((e1.seq, e1.kind.as_str(), e1.call), (1, "call.offered", Some(7)));
            assert_eq!((e2.seq, e2.data["digit"].as_str()), (2, Some("1")));
        }
        let plain = CtiEvent { seq: 3, at: String::new(), kind: "agent.state".into(), call: None, data: serde_json::Value::Null };
        let json = serde_json::to_value(&plain).unwrap();
        assert!(json.get("call").is_none(), "no call field when not about a call");
    }

    #[tokio::test]
    async fn a_slow_subscriber_lags_instead_of_blocking_the_publisher() {
        let bus = CtiBus::new(4);
        let mut slow = bus.subscribe();
        for i in 0..10 {
            bus.publish("tick", None, serde_json::json!(i));
        }
        match slow.recv().await {
            Err(broadcast::error::RecvError::Lagged(n)) => assert_eq!(n, 6),
            other => panic!("expected a lag report, got {other:?}"),
        }
        assert_eq!(slow.recv().await.unwrap().seq, 7);
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        let bus = CtiBus::new(4);
        assert_eq!(bus.publish("x", None, serde_json::Value::Null), 1);
        assert_eq!(bus.publish("x", None, serde_json::Value::Null), 2);
    }
}
