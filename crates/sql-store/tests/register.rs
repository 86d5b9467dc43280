//! The per-call register on both backends [SLA-9]: migrations, the call lifecycle written as
//! it progresses, interrupted calls closed at start, the `/api/calls` queries, ticket links
//! [CRM-1] and the retention purge [SEC-3].

mod support;

use serde_json::json;
use sql_store::{
    Backend, CallId, CallUpdate, Channel, HangupSide, LegRole, MIGRATIONS, NewCall, NewEvent,
    NewLeg, Outcome, RetentionPolicy, Store, StoreError, UnixMillis,
};
use support::{TestDb, backends};

fn at(h: u32, m: u32, s: u32) -> UnixMillis {
    UnixMillis::from_utc(2026, 11, 24, h, m, s).unwrap()
}

fn verde_call(started_at: UnixMillis, caller: &str) -> NewCall {
    NewCall {
        channel: Channel::Verde,
        trunk: Some("carrier".into()),
        dialled: "800904277".into(),
        caller: caller.into(),
        started_at,
        sip_call_id: Some(format!("{caller}@127.0.0.11")),
    }
}

async fn schema_value(store: &Store, key: &str) -> String {
    let sql = "SELECT value FROM schema_info WHERE key = $1";
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn sla9_migrations_apply_at_open_and_are_idempotent() {
    for db in backends("migrations").await {
        let TestDb { store, url, .. } = &db;
        assert_eq!(schema_value(store, "version").await, "3", "{}", db.label);
        assert_eq!(
            schema_value(store, "time_encoding").await,
            "unix_epoch_milliseconds_utc"
        );
        store.migrate().await.unwrap();
        let again = Store::open(url).await.unwrap();
        assert_eq!(again.backend(), store.backend());
        again.close().await;
        db.finish().await;
    }
}

#[test]
fn sla9_both_migration_folders_hold_the_embedded_migrations() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    for (folder, column) in [("sqlite", 2), ("postgres", 3)] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{root}/{folder}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{folder}");
        for (path, migration) in files.iter().zip(MIGRATIONS) {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(name, format!("{:04}_{}.sql", migration.0, migration.1));
            let text = std::fs::read_to_string(path).unwrap();
            let embedded = if column == 2 {
                migration.2
            } else {
                migration.3
            };
            assert_eq!(text, embedded, "{folder}/{name}");
        }
    }
}

#[tokio::test]
async fn sla9_answered_call_is_recorded_as_it_progresses() {
    for db in backends("answered").await {
        let store = &db.store;
        let id = store
            .insert_call(&verde_call(at(9, 0, 0), "3331234567"))
            .await
            .unwrap();
        let open = store.call(id).await.unwrap().unwrap();
        assert_eq!((open.ended_at, open.outcome), (None, None));

        store
            .update_call(
                id,
                &CallUpdate::operator_requested(at(9, 0, 40), Some("verde")),
            )
            .await
            .unwrap();
        store
            .update_call(id, &CallUpdate::answered(at(9, 1, 12), "2003"))
            .await
            .unwrap();
        store
            .update_call(
                id,
                &CallUpdate {
                    recording_path: Some("recordings/1.wav".into()),
                    ..CallUpdate::ended(at(9, 5, 0), Outcome::Answered, HangupSide::Caller, "BYE")
                },
            )
            .await
            .unwrap();

        let call = store.call(id).await.unwrap().unwrap();
        assert_eq!(call.id, id);
        assert_eq!(call.channel, Channel::Verde);
        assert_eq!(
            (call.from.as_str(), call.to.as_str()),
            ("3331234567", "800904277")
        );
        assert_eq!(call.trunk.as_deref(), Some("carrier"));
        assert_eq!(call.operator_requested_at, Some(at(9, 0, 40)));
        assert_eq!(call.answered_at, Some(at(9, 1, 12)));
        assert_eq!(call.ended_at, Some(at(9, 5, 0)));
        assert_eq!(call.queue.as_deref(), Some("verde"));
        assert_eq!(call.agent.as_deref(), Some("2003"));
        assert_eq!(
            call.wait_seconds,
            Some(32),
            "{}: answer − operator request",
            db.label
        );
        assert_eq!(call.talk_seconds, Some(228), "{}: end − answer", db.label);
        assert_eq!(call.hangup_side, Some(HangupSide::Caller));
        assert_eq!(call.hangup_cause.as_deref(), Some("BYE"));
        assert_eq!(call.outcome, Some(Outcome::Answered));
        assert_eq!(call.recording_path.as_deref(), Some("recordings/1.wav"));

        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(json["started_at"], "2026-11-24T09:00:00.000Z");
        assert_eq!(json["answered_at"], "2026-11-24T09:01:12.000Z");
        assert_eq!(json["outcome"], "answered");
        assert_eq!(json["ticket_id"], serde_json::Value::Null);
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_abandoned_in_queue_waits_until_the_end() {
    for db in backends("abandoned").await {
        let store = &db.store;
        let id = store
            .insert_call(&verde_call(at(10, 0, 0), "0612345"))
            .await
            .unwrap();
        store
            .update_call(
                id,
                &CallUpdate::operator_requested(at(10, 0, 20), Some("verde")),
            )
            .await
            .unwrap();
        let end = at(10, 2, 5).saturating_add(std::time::Duration::from_millis(900));
        store
            .update_call(
                id,
                &CallUpdate::ended(end, Outcome::AbandonedQueue, HangupSide::Caller, "BYE"),
            )
            .await
            .unwrap();
        let call = store.call(id).await.unwrap().unwrap();
        assert_eq!(
            call.wait_seconds,
            Some(105),
            "{}: truncated to whole seconds",
            db.label
        );
        assert_eq!(call.talk_seconds, None);
        assert_eq!(call.answered_at, None);
        assert_eq!(call.outcome, Some(Outcome::AbandonedQueue));
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_legs_and_queue_events_are_kept_with_the_call() {
    for db in backends("legs_events").await {
        let store = &db.store;
        let id = store
            .insert_call(&verde_call(at(11, 0, 0), "3330000001"))
            .await
            .unwrap();
        let leg = NewLeg {
            role: LegRole::Agent,
            peer: "sip:2004@127.0.0.1:5070".into(),
            agent: Some("2004".into()),
            started_at: at(11, 0, 30),
            answered_at: Some(at(11, 0, 35)),
            ended_at: Some(at(11, 3, 0)),
            hangup_cause: Some("BYE".into()),
            sip_call_id: Some("leg-1".into()),
        };
        let leg_id = store.add_leg(id, &leg).await.unwrap();
        let queued = NewEvent {
            at: at(11, 0, 20),
            kind: "call.queued".into(),
            agent: None,
            queue: Some("verde".into()),
            detail: json!({"position": 1, "note": "àèì \"quoted\""}),
        };
        let offered = NewEvent {
            at: at(11, 0, 30),
            kind: "agent.offered".into(),
            agent: Some("2004".into()),
            queue: Some("verde".into()),
            detail: json!({"waited_seconds": 10}),
        };
        store.add_event(id, &offered).await.unwrap();
        store.add_event(id, &queued).await.unwrap();
        assert_eq!(store.legs(id).await.unwrap(), vec![(leg_id, leg)]);
        assert_eq!(
            store.events(id).await.unwrap(),
            vec![queued, offered],
            "ordered by time"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_writes_for_an_unknown_call_are_refused() {
    for db in backends("unknown").await {
        let store = &db.store;
        let ghost = CallId(987_654);
        let update = store.update_call(ghost, &CallUpdate::ticket(1)).await;
        assert!(
            matches!(update, Err(StoreError::UnknownCall(c)) if c == ghost),
            "{update:?}"
        );
        let event = NewEvent {
            at: at(1, 0, 0),
            kind: "call.ended".into(),
            agent: None,
            queue: None,
            detail: json!({}),
        };
        let added = store.add_event(ghost, &event).await;
        assert!(
            matches!(added, Err(StoreError::UnknownCall(_))),
            "{}: {added:?}",
            db.label
        );
        assert!(!added.unwrap_err().is_transient());
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_calls_left_open_are_closed_as_interrupted_at_start() {
    for db in backends("interrupted").await {
        let store = &db.store;
        let ringing = store
            .insert_call(&verde_call(at(8, 0, 0), "1"))
            .await
            .unwrap();
        let talking = store
            .insert_call(&verde_call(at(8, 1, 0), "2"))
            .await
            .unwrap();
        store
            .update_call(
                talking,
                &CallUpdate::operator_requested(at(8, 1, 10), Some("verde")),
            )
            .await
            .unwrap();
        store
            .update_call(talking, &CallUpdate::answered(at(8, 1, 25), "2001"))
            .await
            .unwrap();
        let done = store
            .insert_call(&verde_call(at(8, 2, 0), "3"))
            .await
            .unwrap();
        store
            .update_call(
                done,
                &CallUpdate::ended(at(8, 2, 30), Outcome::Closed, HangupSide::System, "closed"),
            )
            .await
            .unwrap();

        let restart = at(12, 0, 0);
        assert_eq!(
            store.close_interrupted(restart).await.unwrap(),
            2,
            "{}",
            db.label
        );
        assert_eq!(
            store.close_interrupted(restart).await.unwrap(),
            0,
            "idempotent"
        );

        let r = store.call(ringing).await.unwrap().unwrap();
        assert_eq!(
            (r.outcome, r.ended_at),
            (Some(Outcome::Interrupted), Some(restart))
        );
        assert_eq!(r.hangup_side, Some(HangupSide::System));
        assert_eq!(r.wait_seconds, None);
        let t = store.call(talking).await.unwrap().unwrap();
        assert_eq!(t.outcome, Some(Outcome::Interrupted));
        assert_eq!(
            t.wait_seconds,
            Some(15),
            "answered before the crash: wait is known"
        );
        assert_eq!(t.talk_seconds, None, "talk time unknown after a crash");
        let d = store.call(done).await.unwrap().unwrap();
        assert_eq!(
            (d.outcome, d.ended_at),
            (Some(Outcome::Closed), Some(at(8, 2, 30)))
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_calls_page_newest_first_and_range_is_half_open() {
    for db in backends("paging").await {
        let store = &db.store;
        let mut ids = Vec::new();
        for minute in 0..5 {
            let mut call = verde_call(at(13, minute, 0), &format!("caller{minute}"));
            if minute % 2 == 1 {
                call.channel = Channel::Centralino;
                call.trunk = Some("pbx".into());
                call.dialled = "08744291".into();
            }
            ids.push(store.insert_call(&call).await.unwrap());
        }
        let page = store.calls(3, None).await.unwrap();
        let got: Vec<CallId> = page.iter().map(|c| c.id).collect();
        assert_eq!(got, vec![ids[4], ids[3], ids[2]], "{}", db.label);
        let next = store.calls(3, Some(page[2].started_at)).await.unwrap();
        let got: Vec<CallId> = next.iter().map(|c| c.id).collect();
        assert_eq!(got, vec![ids[1], ids[0]]);
        assert!(store.calls(0, None).await.unwrap().is_empty());

        let range = store
            .calls_between(at(13, 1, 0), at(13, 3, 0))
            .await
            .unwrap();
        let got: Vec<CallId> = range.iter().map(|c| c.id).collect();
        assert_eq!(got, vec![ids[1], ids[2]], "oldest first, end excluded");
        assert_eq!(range[0].channel, Channel::Centralino);
        assert_eq!(range[0].to, "08744291");
        db.finish().await;
    }
}

#[tokio::test]
async fn crm1_ticket_id_links_the_call_to_its_ticket() {
    for db in backends("ticket").await {
        let store = &db.store;
        let id = store
            .insert_call(&verde_call(at(14, 0, 0), "3471112223"))
            .await
            .unwrap();
        store
            .update_call(id, &CallUpdate::ticket(4242))
            .await
            .unwrap();
        store
            .update_call(id, &CallUpdate::answered(at(14, 0, 9), "2002"))
            .await
            .unwrap();
        let call = store.call(id).await.unwrap().unwrap();
        assert_eq!(
            call.ticket_id,
            Some(4242),
            "{}: later updates keep the link",
            db.label
        );
        assert_eq!(serde_json::to_value(&call).unwrap()["ticket_id"], 4242);
        db.finish().await;
    }
}

#[tokio::test]
async fn sec3_purge_refuses_records_younger_than_three_years() {
    for db in backends("purge").await {
        let store = &db.store;
        let now = UnixMillis::from_utc(2029, 11, 24, 12, 0, 0).unwrap();
        let old = store
            .insert_call(&verde_call(
                UnixMillis::from_utc(2026, 1, 10, 9, 0, 0).unwrap(),
                "old",
            ))
            .await
            .unwrap();
        store
            .add_leg(
                old,
                &NewLeg {
                    role: LegRole::Caller,
                    peer: "old".into(),
                    agent: None,
                    started_at: UnixMillis::from_utc(2026, 1, 10, 9, 0, 0).unwrap(),
                    answered_at: None,
                    ended_at: None,
                    hangup_cause: None,
                    sip_call_id: None,
                },
            )
            .await
            .unwrap();
        let event = NewEvent {
            at: UnixMillis::from_utc(2026, 1, 10, 9, 0, 1).unwrap(),
            kind: "call.offered".into(),
            agent: None,
            queue: None,
            detail: json!({}),
        };
        store.add_event(old, &event).await.unwrap();
        let recent = store
            .insert_call(&verde_call(
                UnixMillis::from_utc(2027, 6, 1, 9, 0, 0).unwrap(),
                "recent",
            ))
            .await
            .unwrap();

        let too_recent = UnixMillis::from_utc(2027, 1, 1, 0, 0, 0).unwrap();
        let refused = store
            .purge_older_than(too_recent, now, RetentionPolicy::Enforce)
            .await;
        assert!(
            matches!(refused, Err(StoreError::RetentionFloor { years: 3, .. })),
            "{refused:?}"
        );
        assert!(
            store.call(old).await.unwrap().is_some(),
            "nothing deleted when refused"
        );

        let floor = now.years_before(3);
        assert_eq!(
            store
                .purge_older_than(floor, now, RetentionPolicy::Enforce)
                .await
                .unwrap(),
            1
        );
        assert!(store.call(old).await.unwrap().is_none(), "{}", db.label);
        assert!(store.legs(old).await.unwrap().is_empty());
        assert!(store.events(old).await.unwrap().is_empty());
        assert!(store.call(recent).await.unwrap().is_some());

        let forced = store
            .purge_older_than(now, now, RetentionPolicy::Force)
            .await
            .unwrap();
        assert_eq!(forced, 1, "an explicit force purges younger records");
        db.finish().await;
    }
}

#[tokio::test]
async fn sla9_sqlite_file_and_folder_are_created_in_wal_mode() {
    let (url, dir) = support::sqlite_url("wal");
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(dir.join("data/centralino.db").is_file());
    let Store::Sqlite(pool) = &store else {
        unreachable!("sqlite URL")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sync, 1, "synchronous=NORMAL");
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(timeout > 0);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sqlite_in_memory_url_works_for_tools() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let id = store
        .insert_call(&verde_call(at(1, 2, 3), "x"))
        .await
        .unwrap();
    assert_eq!(store.calls(10, None).await.unwrap()[0].id, id);
}

#[tokio::test]
async fn unsupported_url_scheme_is_refused_without_echoing_secrets() {
    let err = Store::open("mysql://user:secret@127.0.0.1/db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("secret"));
}
