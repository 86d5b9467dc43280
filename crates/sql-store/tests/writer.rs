//! The write-behind queue on both backends [SLA-9] (issue 4 "Bad input": database
//! unavailable at runtime → calls keep flowing, records are held in memory, bounded, and
//! flushed in order when it returns, with counters and a log line).

mod support;

use std::time::Duration;

use serde_json::json;
use sql_store::{
    CallUpdate, Channel, HangupSide, LegRole, NewCall, NewEvent, NewLeg, Outcome, StoreOptions,
    StoreWriter, UnixMillis, WriterConfig, WriterError,
};
use support::{backends, backends_with, eventually};

const LIMIT: Duration = Duration::from_secs(30);

fn at(m: u32, s: u32) -> UnixMillis {
    UnixMillis::from_utc(2026, 11, 24, 15, m, s).unwrap()
}

fn call(caller: &str) -> NewCall {
    NewCall {
        channel: Channel::Centralino,
        trunk: Some("pbx".into()),
        dialled: "08744291".into(),
        caller: caller.into(),
        started_at: at(0, 0),
        sip_call_id: None,
    }
}

fn quick() -> WriterConfig {
    WriterConfig {
        capacity: 64,
        retry_initial: Duration::from_millis(10),
        retry_max: Duration::from_millis(100),
        remember_ended: 4,
    }
}

fn impatient() -> StoreOptions {
    StoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_millis(500),
        busy_timeout: Duration::from_millis(50),
    }
}

/// Queues a whole call: insert, operator request, answer, leg, event, end (6 records).
fn queue_call(writer: &StoreWriter, caller: &str) -> sql_store::CallKey {
    let key = writer.insert_call(call(caller)).unwrap();
    writer
        .update_call(
            key,
            CallUpdate::operator_requested(at(0, 10), Some("centralino")),
        )
        .unwrap();
    writer
        .update_call(key, CallUpdate::answered(at(0, 25), "2005"))
        .unwrap();
    let leg = NewLeg {
        role: LegRole::Agent,
        peer: "2005".into(),
        agent: Some("2005".into()),
        started_at: at(0, 20),
        answered_at: Some(at(0, 25)),
        ended_at: Some(at(2, 0)),
        hangup_cause: None,
        sip_call_id: None,
    };
    writer.add_leg(key, leg).unwrap();
    let event = NewEvent {
        at: at(0, 20),
        kind: "agent.offered".into(),
        agent: Some("2005".into()),
        queue: Some("centralino".into()),
        detail: json!({"waited_seconds": 10}),
    };
    writer.add_event(key, event).unwrap();
    writer
        .update_call(
            key,
            CallUpdate::ended(at(2, 0), Outcome::Answered, HangupSide::Callee, "BYE"),
        )
        .unwrap();
    key
}

#[tokio::test]
async fn sla9_writer_writes_records_in_order() {
    for db in backends("writer_order").await {
        let (writer, task) = StoreWriter::spawn(db.store.clone(), quick());
        let key = queue_call(&writer, "0612340000");
        tokio::time::timeout(LIMIT, writer.flush())
            .await
            .unwrap()
            .unwrap();
        let stats = writer.stats();
        assert_eq!(
            (stats.flushed, stats.queued, stats.failed),
            (6, 0, 0),
            "{}",
            db.label
        );
        let id = writer.call_id(key).await.unwrap().unwrap();
        let record = db.store.call(id).await.unwrap().unwrap();
        assert_eq!(record.outcome, Some(Outcome::Answered));
        assert_eq!(
            (record.wait_seconds, record.talk_seconds),
            (Some(15), Some(95))
        );
        assert_eq!(db.store.legs(id).await.unwrap().len(), 1);
        assert_eq!(db.store.events(id).await.unwrap().len(), 1);
        drop(writer);
        tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_records_are_held_while_the_database_is_down_and_flushed_when_it_returns() {
    for mut db in backends_with("writer_outage", &impatient()).await {
        let (writer, task) = StoreWriter::spawn(db.store.clone(), quick());
        db.outage().await;

        // Calls keep flowing: nothing here waits for the database.
        let first = queue_call(&writer, "0611111111");
        let second = queue_call(&writer, "0622222222");
        eventually(LIMIT, "the writer to notice the outage", || {
            let s = writer.stats();
            s.unavailable && s.retries >= 2
        })
        .await;
        let stats = writer.stats();
        assert_eq!(
            stats.queued, 12,
            "{}: every record held in memory",
            db.label
        );
        assert_eq!(stats.flushed, 0);

        db.restore().await;
        tokio::time::timeout(LIMIT, writer.flush())
            .await
            .unwrap()
            .unwrap();
        let stats = writer.stats();
        assert_eq!(
            (stats.flushed, stats.queued, stats.failed, stats.dropped),
            (12, 0, 0, 0)
        );
        assert!(!stats.unavailable);
        for key in [first, second] {
            let id = writer.call_id(key).await.unwrap().unwrap();
            let record = db.store.call(id).await.unwrap().unwrap();
            assert_eq!(record.outcome, Some(Outcome::Answered), "{}", db.label);
            assert_eq!(record.agent.as_deref(), Some("2005"));
        }
        let page = db.store.calls(10, None).await.unwrap();
        assert_eq!(page.len(), 2);
        drop(writer);
        tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_a_full_queue_drops_and_counts_instead_of_blocking_calls() {
    for mut db in backends_with("writer_full", &impatient()).await {
        let config = WriterConfig {
            capacity: 3,
            ..quick()
        };
        let (writer, task) = StoreWriter::spawn(db.store.clone(), config);
        db.outage().await;
        let mut accepted = 0u64;
        let mut refused = 0u64;
        for n in 0..10 {
            match writer.insert_call(call(&format!("06{n}"))) {
                Ok(_) => accepted += 1,
                Err(WriterError::QueueFull { capacity }) => {
                    assert_eq!(capacity, 3);
                    refused += 1;
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
            if n == 0 {
                eventually(LIMIT, "the first record in flight", || {
                    writer.stats().retries > 0
                })
                .await;
            }
        }
        assert_eq!(accepted, 4, "{}: one in flight plus the capacity", db.label);
        assert_eq!(writer.stats().dropped, refused);
        db.restore().await;
        tokio::time::timeout(LIMIT, writer.flush())
            .await
            .unwrap()
            .unwrap();
        let stats = writer.stats();
        assert_eq!(
            (stats.flushed, stats.dropped, stats.queued),
            (accepted, refused, 0)
        );
        assert_eq!(
            db.store.calls(100, None).await.unwrap().len() as u64,
            accepted
        );
        drop(writer);
        tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_updates_of_a_dropped_call_fail_without_stalling_the_queue() {
    for db in backends("writer_unknown").await {
        let config = WriterConfig {
            remember_ended: 1,
            ..quick()
        };
        let (writer, task) = StoreWriter::spawn(db.store.clone(), config);
        let old = queue_call(&writer, "0600000001");
        let newer = queue_call(&writer, "0600000002");
        // Two ended calls with `remember_ended = 1`: the first key is forgotten.
        writer.update_call(old, CallUpdate::ticket(7)).unwrap();
        writer.update_call(newer, CallUpdate::ticket(8)).unwrap();
        tokio::time::timeout(LIMIT, writer.flush())
            .await
            .unwrap()
            .unwrap();
        let stats = writer.stats();
        assert_eq!((stats.flushed, stats.failed), (13, 1), "{}", db.label);
        assert_eq!(writer.call_id(old).await.unwrap(), None);
        let id = writer.call_id(newer).await.unwrap().unwrap();
        assert_eq!(db.store.call(id).await.unwrap().unwrap().ticket_id, Some(8));
        drop(writer);
        tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
        db.finish().await;
    }
}
