//! Shell: bounded fan-out of CTI events (call offered/answered/ended, DTMF, agent
//! state…) to every subscriber — WebSocket clients ([`filter`]) and CRM webhooks with
//! a durable outbox ([`webhook`], [`zammad`]) [CTI-1, CTI-3, CRM-9]. The event schema
//! (version [`schema::SCHEMA_VERSION`]) is in [`schema`] and `docs/events.md`.
//!
//! Publishing never blocks: the channel is bounded and a subscriber that falls behind
//! loses the oldest events and is told how many (`Lagged`), so a slow browser can
//! never stall a call. A [`Tap`] is a private bounded queue for one consumer that must
//! see every event (the webhook worker): when it is full the event is counted as lost
//! for that tap instead of blocking the publisher.

pub mod filter;
pub mod schema;
pub mod webhook;
pub mod zammad;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

pub use filter::{Audience, Subscription, visible_to};
pub use schema::{Payload, SCHEMA_VERSION};
pub use webhook::{
    EndpointStats, Format, MemoryOutbox, Outbox, OutboxEntry, OutboxError, WebhookConfig,
    WebhookHandle, WebhookStats, spawn_webhooks,
};

/// One CTI event as subscribers receive it (serialized as JSON on the WebSocket and
/// as the body of native webhooks; see `docs/events.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CtiEvent {
    /// Schema version of the envelope and of `data` ([`SCHEMA_VERSION`]).
    pub v: u32,
    /// Increasing per engine run, so a client can tell it missed events.
    pub seq: u64,
    /// When it was published, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// `call.offered`, `call.answered`, `call.ended`, `dtmf`, …
    pub kind: String,
    /// The engine's number for the call, when the event is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<u64>,
    /// Event-specific fields.
    pub data: serde_json::Value,
}

/// The bus; cheap to clone.
#[derive(Debug, Clone)]
pub struct CtiBus {
    tx: broadcast::Sender<Arc<CtiEvent>>,
    seq: Arc<AtomicU64>,
    taps: Arc<Mutex<Vec<TapSender>>>,
}

/// A private bounded queue of every event published after its creation, for one
/// consumer that must not share the broadcast ring (the webhook worker). The
/// publisher never waits: when the queue is full the event is counted in
/// [`Tap::lost`] instead.
#[derive(Debug)]
pub struct Tap {
    rx: mpsc::Receiver<Arc<CtiEvent>>,
    lost: Arc<AtomicU64>,
}

impl Tap {
    /// The next event, or `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Arc<CtiEvent>> {
        self.rx.recv().await
    }

    /// Events this tap missed because its queue was full.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }
}

impl CtiBus {
    /// A bus keeping up to `capacity` events for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        CtiBus {
            tx,
            seq: Arc::new(AtomicU64::new(0)),
            taps: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Publishes a typed payload ([`schema`]) now; returns its sequence number.
    pub fn emit<P: Payload>(&self, call: Option<u64>, payload: &P) -> u64 {
        self.publish(P::KIND, call, payload.to_data())
    }

    /// Publishes an event now; returns its sequence number. Never blocks; events
    /// published with no subscriber are dropped.
    pub fn publish(&self, kind: &str, call: Option<u64>, data: serde_json::Value) -> u64 {
        self.publish_at(SystemTime::now(), kind, call, data)
    }

    /// Publishes an event stamped `at` (tests, replays).
    pub fn publish_at(
        &self,
        at: SystemTime,
        kind: &str,
        call: Option<u64>,
        data: serde_json::Value,
    ) -> u64 {
        let at = rfc3339_millis(at);
        let kind = kind.to_owned();
        // One publisher at a time, so every subscriber and tap sees sequence order.
        let mut taps = match self.taps.lock() {
            Ok(taps) => taps,
            Err(poisoned) => poisoned.into_inner(),
        };
        let seq = self.seq.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let event = Arc::new(CtiEvent {
            v: SCHEMA_VERSION,
            seq,
            at,
            kind,
            call,
            data,
        });
        feed_taps(&mut taps, &event);
        // An error only means nobody listens right now.
        let _ = self.tx.send(event);
        seq
    }

    /// A new [`Tap`] holding up to `capacity` unread events.
    pub fn tap(&self, capacity: usize) -> Tap {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let lost = Arc::new(AtomicU64::new(0));
        let sender = TapSender {
            tx,
            lost: Arc::clone(&lost),
        };
        match self.taps.lock() {
            Ok(mut taps) => taps.push(sender),
            Err(poisoned) => poisoned.into_inner().push(sender),
        }
        Tap { rx, lost }
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

/// The sending half of a [`Tap`].
#[derive(Debug)]
struct TapSender {
    tx: mpsc::Sender<Arc<CtiEvent>>,
    lost: Arc<AtomicU64>,
}

/// Offers the event to every tap without waiting; forgets taps whose receiver is gone.
fn feed_taps(taps: &mut Vec<TapSender>, event: &Arc<CtiEvent>) {
    taps.retain(|tap| match tap.tx.try_send(Arc::clone(event)) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tap.lost.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
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
        bus.publish(
            "call.offered",
            Some(7),
            serde_json::json!({"channel": "verde"}),
        );
        bus.publish("dtmf", Some(7), serde_json::json!({"digit": "1"}));
        for rx in [&mut a, &mut b] {
            let e1 = rx.recv().await.unwrap();
            let e2 = rx.recv().await.unwrap();
            assert_eq!(
                (e1.seq, e1.kind.as_str(), e1.call),
                (1, "call.offered", Some(7))
            );
            assert_eq!((e2.seq, e2.data["digit"].as_str()), (2, Some("1")));
        }
        assert_eq!(
            serde_json::to_value(&*e1_of(&bus)).unwrap()["v"],
            1,
            "schema version on the wire"
        );
        let plain = CtiEvent {
            v: 1,
            seq: 3,
            at: String::new(),
            kind: "agent.state".into(),
            call: None,
            data: serde_json::Value::Null,
        };
        let json = serde_json::to_value(&plain).unwrap();
        assert!(
            json.get("call").is_none(),
            "no call field when not about a call"
        );
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

    /// The event a fresh subscriber sees after one more publish.
    fn e1_of(bus: &CtiBus) -> Arc<CtiEvent> {
        let mut rx = bus.subscribe();
        bus.publish(
            "dtmf",
            None,
            serde_json::json!({"digit": "2", "via": "rfc4733"}),
        );
        rx.try_recv().unwrap()
    }

    #[tokio::test]
    async fn a_full_tap_counts_losses_and_never_blocks_the_publisher() {
        let bus = CtiBus::new(4);
        let mut tap = bus.tap(3);
        for i in 0..5 {
            bus.publish("tick", None, serde_json::json!(i));
        }
        assert_eq!(tap.lost(), 2);
        for want in 1..=3 {
            assert_eq!(tap.recv().await.unwrap().seq, want);
        }
        drop(tap);
        bus.publish("tick", None, serde_json::Value::Null);
        assert!(
            bus.taps.lock().unwrap().is_empty(),
            "a dropped tap is forgotten"
        );
    }

    #[tokio::test]
    async fn emit_publishes_a_typed_payload_under_its_kind() {
        let bus = CtiBus::new(4);
        let mut rx = bus.subscribe();
        let seq = bus.emit(
            Some(9),
            &schema::PromptSaved {
                prompt: "welcome".into(),
            },
        );
        let e = rx.recv().await.unwrap();
        assert_eq!(
            (e.seq, e.v, e.kind.as_str(), e.call),
            (seq, SCHEMA_VERSION, "prompt.saved", Some(9))
        );
        assert_eq!(e.data, serde_json::json!({"prompt": "welcome"}));
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        let bus = CtiBus::new(4);
        assert_eq!(bus.publish("x", None, serde_json::Value::Null), 1);
        assert_eq!(bus.publish("x", None, serde_json::Value::Null), 2);
    }
}
