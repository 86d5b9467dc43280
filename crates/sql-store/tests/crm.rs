//! The built-in CRM, outbox and audit trail on both backends: one ticket per ACD call linked
//! both ways [CRM-1], caller records [CRM-2], attachments [CRM-3], Annex A states with full
//! history [CRM-6, CRM-11], the ordered durable outbox [CRM-9] and the audit log [SEC-2].

mod support;

use cc_model::ticket::{TicketRuleError, TicketState};
use sql_store::{
    CallId, Channel, NewAttachment, NewAuditEntry, NewCall, NewTicket, StoreError, StoreWriter,
    TicketFilter, TicketPatch, UnixMillis, WriterConfig,
};
use support::backends;

fn at(h: u32, m: u32, s: u32) -> UnixMillis {
    UnixMillis::from_utc(2026, 11, 24, h, m, s).unwrap()
}

fn call(caller: &str) -> NewCall {
    NewCall {
        channel: Channel::Verde,
        trunk: Some("carrier".into()),
        dialled: "800904277".into(),
        caller: caller.into(),
        started_at: at(9, 0, 0),
        sip_call_id: None,
    }
}

fn offered(caller: &str, agent: &str) -> NewTicket {
    NewTicket {
        channel: "verde".into(),
        caller: Some(caller.into()),
        agent: Some(agent.into()),
        level: 1,
        ..NewTicket::default()
    }
}

#[tokio::test]
async fn crm_1_exactly_one_ticket_per_call_linked_both_ways_with_the_caller_record() {
    for db in backends("crm-one-ticket").await {
        let s = &db.store;
        let id = s.insert_call(&call("3331112222")).await.unwrap();
        let t = s.open_ticket_for_call(id, &offered("3331112222", "2001"), "system", at(9, 0, 5)).await.unwrap();
        let again = s.open_ticket_for_call(id, &offered("3331112222", "2002"), "system", at(9, 0, 9)).await.unwrap();
        assert_eq!(t, again, "{}: a second offer of the same call keeps its ticket", db.label);
        assert_eq!(s.call(id).await.unwrap().unwrap().ticket_id, Some(t));
        let detail = s.ticket(t).await.unwrap().unwrap();
        assert_eq!(detail.ticket.call_id, Some(id.0));
        assert_eq!(detail.ticket.state, "open");
        assert_eq!(detail.ticket.channel, "verde");
        assert_eq!(detail.ticket.agent.as_deref(), Some("2001"));
        assert_eq!(detail.history.len(), 1);
        assert_eq!(detail.history[0].action, "created");
        // [CRM-2] The caller record is found by number: a second call links the same one.
        let contact = detail.contact.clone().unwrap();
        assert_eq!(contact.phone, "3331112222");
        let id2 = s.insert_call(&call("3331112222")).await.unwrap();
        let t2 = s.open_ticket_for_call(id2, &offered("3331112222", "2003"), "system", at(10, 0, 0)).await.unwrap();
        assert_ne!(t2, t);
        assert_eq!(s.ticket(t2).await.unwrap().unwrap().ticket.contact_id, Some(contact.id));
        let earlier = s.tickets(&TicketFilter { caller: Some("3331112222".into()), limit: 10, ..TicketFilter::default() }).await.unwrap();
        assert_eq!(earlier.iter().map(|t| t.id).collect::<Vec<_>>(), vec![t2, t], "newest first");
        // An anonymous caller gets a ticket without a caller record.
        let id3 = s.insert_call(&call("anonymous")).await.unwrap();
        let t3 = s.open_ticket_for_call(id3, &offered("anonymous", "2001"), "system", at(11, 0, 0)).await.unwrap();
        assert_eq!(s.ticket(t3).await.unwrap().unwrap().contact, None);
        // An unknown call is refused.
        assert!(matches!(
            s.open_ticket_for_call(CallId(999_999), &offered("1", "2001"), "system", at(11, 0, 0)).await,
            Err(StoreError::UnknownCall(_))
        ));
        let updated = s.update_contact(contact.id, Some("Maria Rossi"), None, Some("calls about gas bills"), at(12, 0, 0)).await.unwrap();
        assert_eq!(updated.name.as_deref(), Some("Maria Rossi"));
        db.finish().await;
    }
}

#[tokio::test]
async fn crm_11_annex_a_states_with_required_fields_and_full_history() {
    for db in backends("crm-states").await {
        let s = &db.store;
        let id = s.insert_call(&call("3339990000")).await.unwrap();
        let t = s.open_ticket_for_call(id, &offered("3339990000", "2001"), "system", at(9, 0, 0)).await.unwrap();
        let edit = TicketPatch { category: Some("billing".into()), description: Some("wrong reading".into()), ..TicketPatch::default() };
        s.update_ticket(t, &edit, "2001", at(9, 1, 0)).await.unwrap();
        // [CRM-6] Level I assigns to level II: the level follows.
        let assign = TicketPatch { state: Some(TicketState::AssignedLevel2), ..TicketPatch::default() };
        let after = s.update_ticket(t, &assign, "2001", at(9, 2, 0)).await.unwrap();
        assert_eq!((after.state.as_str(), after.level), ("assigned_level2", 2));
        assert_eq!(after.taken_at, Some(at(9, 2, 0)));
        // A rejection without a reason is refused and changes nothing.
        let reject = TicketPatch { state: Some(TicketState::Rejected), ..TicketPatch::default() };
        assert!(matches!(
            s.update_ticket(t, &reject, "2011", at(9, 3, 0)).await,
            Err(StoreError::TicketRule(TicketRuleError::MissingField { field: "reason", .. }))
        ));
        let reject = TicketPatch {
            state: Some(TicketState::Rejected),
            reject_reason: Some("meter readings are the tax office's".into()),
            suggested_office: Some("3100".into()),
            ..TicketPatch::default()
        };
        let after = s.update_ticket(t, &reject, "2011", at(9, 4, 0)).await.unwrap();
        assert_eq!((after.state.as_str(), after.level), ("rejected", 3));
        // Illegal jump: rejected → resolved at level I is not in Annex A.
        let bad = TicketPatch { state: Some(TicketState::ResolvedLevel1), ..TicketPatch::default() };
        assert!(matches!(s.update_ticket(t, &bad, "2001", at(9, 5, 0)).await, Err(StoreError::TicketRule(TicketRuleError::Transition { .. }))));
        let close = TicketPatch { state: Some(TicketState::Closed), answer: Some("reading corrected".into()), outcome: Some("resolved".into()), ..TicketPatch::default() };
        let after = s.update_ticket(t, &close, "2020", at(9, 6, 0)).await.unwrap();
        assert_eq!(after.state, "closed");
        assert_eq!(after.closed_at, Some(at(9, 6, 0)));
        assert_eq!(after.resolved_at, Some(at(9, 6, 0)));
        let detail = s.ticket(t).await.unwrap().unwrap();
        let actions: Vec<(&str, &str)> = detail.history.iter().map(|h| (h.actor.as_str(), h.action.as_str())).collect();
        assert_eq!(actions, vec![("system", "created"), ("2001", "updated"), ("2001", "state"), ("2011", "state"), ("2020", "state")]);
        assert_eq!(detail.history[3].detail["state"]["to"], "rejected");
        assert_eq!(detail.history[3].detail["reject_reason"]["to"], "meter readings are the tax office's");
        // An empty change writes nothing.
        s.update_ticket(t, &TicketPatch::default(), "2001", at(9, 7, 0)).await.unwrap();
        assert_eq!(s.ticket(t).await.unwrap().unwrap().history.len(), 5);
        assert!(matches!(s.update_ticket(424_242, &edit, "x", at(9, 0, 0)).await, Err(StoreError::UnknownTicket(424_242))));
        db.finish().await;
    }
}

#[tokio::test]
async fn crm_3_attachments_are_listed_with_checksums_and_offline_tickets_are_work_items() {
    for db in backends("crm-attachments").await {
        let s = &db.store;
        let new = NewTicket {
            channel: "voicemail".into(),
            caller: Some("0874000111".into()),
            offline: true,
            due_at: Some(at(13, 0, 0)),
            description: Some("voicemail".into()),
            level: 1,
            ..NewTicket::default()
        };
        let t = s.create_ticket(&new, "system", at(9, 0, 0)).await.unwrap();
        let file = NewAttachment {
            kind: "voicemail".into(),
            name: "vm-1.wav".into(),
            path: "data/voicemail/vm-1.wav".into(),
            mime: "audio/wav".into(),
            size: 16_044,
            sha256: "ab".repeat(32),
        };
        let a = s.add_attachment(t, &file, "system", at(9, 0, 1)).await.unwrap();
        let detail = s.ticket(t).await.unwrap().unwrap();
        assert_eq!(detail.attachments.len(), 1);
        assert_eq!(detail.attachments[0].name, "vm-1.wav");
        assert_eq!(s.attachment(a).await.unwrap().unwrap().path, "data/voicemail/vm-1.wav");
        let json = serde_json::to_value(&detail).unwrap();
        assert!(json["attachments"][0].get("path").is_none(), "paths stay on the server");
        assert_eq!(json["state"], "open");
        let work = s.tickets(&TicketFilter { offline: Some(true), limit: 5, ..TicketFilter::default() }).await.unwrap();
        assert_eq!(work.len(), 1);
        assert_eq!(work[0].due_at, Some(at(13, 0, 0)));
        let taken = s.take_ticket(t, "2005", at(10, 0, 0)).await.unwrap();
        assert_eq!((taken.agent.as_deref(), taken.taken_at), (Some("2005"), Some(at(10, 0, 0))));
        assert!(matches!(s.add_attachment(999, &file, "x", at(9, 0, 0)).await, Err(StoreError::UnknownTicket(999))));
        db.finish().await;
    }
}

#[tokio::test]
async fn crm_1_the_writer_opens_a_call_ticket_behind_the_call_row() {
    for db in backends("crm-writer").await {
        let (writer, task) = StoreWriter::spawn(db.store.clone(), WriterConfig::default());
        let key = writer.insert_call(call("3330001111")).unwrap();
        let ticket = writer.open_ticket(key, offered("3330001111", "2001"), at(9, 0, 2)).unwrap();
        let ticket = ticket.await.unwrap();
        let id = writer.call_id(key).await.unwrap().unwrap();
        assert_eq!(db.store.call(id).await.unwrap().unwrap().ticket_id, Some(ticket));
        drop(writer);
        task.await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn crm_9_outbox_keeps_events_in_order_until_delivered() {
    for db in backends("crm-outbox").await {
        let s = &db.store;
        for seq in 1..=3 {
            s.outbox_push("zammad", seq, "call.offered", &format!("{{\"seq\":{seq}}}"), at(9, 0, 0)).await.unwrap();
        }
        s.outbox_push("other", 1, "call.ended", "{}", at(9, 0, 0)).await.unwrap();
        let pending = s.outbox_pending("zammad", 10).await.unwrap();
        assert_eq!(pending.iter().map(|r| r.event_seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        s.outbox_attempt_failed(pending[0].id, 1, "HTTP 500").await.unwrap();
        assert_eq!(s.outbox_pending("zammad", 1).await.unwrap()[0].attempts, 1);
        s.outbox_delivered(pending[0].id, at(9, 1, 0)).await.unwrap();
        let pending = s.outbox_pending("zammad", 10).await.unwrap();
        assert_eq!(pending.iter().map(|r| r.event_seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(s.outbox_backlog().await.unwrap(), vec![("other".to_owned(), 1), ("zammad".to_owned(), 2)]);
        db.finish().await;
    }
}

#[tokio::test]
async fn sec_2_audit_log_and_tokens_store_hashes_and_expire() {
    for db in backends("crm-audit").await {
        let s = &db.store;
        for (i, result) in ["ok", "denied"].into_iter().enumerate() {
            let entry = NewAuditEntry {
                actor: "auditor".into(),
                role: "auditor".into(),
                action: "POST /api/agents/2001/state".into(),
                target: "agent:2001".into(),
                result,
                detail: None,
            };
            s.audit(&entry, at(9, 0, u32::try_from(i).unwrap())).await.unwrap();
        }
        let log = s.audit_entries(10, None).await.unwrap();
        assert_eq!(log.iter().map(|e| e.result.as_str()).collect::<Vec<_>>(), vec!["denied", "ok"]);
        let older = s.audit_entries(10, Some(log[0].id)).await.unwrap();
        assert_eq!(older.len(), 1);
        let id = s.insert_token("h1", "session", "supervisor", "supervisor", None, at(9, 0, 0), Some(at(10, 0, 0))).await.unwrap();
        assert_eq!(s.token_by_hash("h1", at(9, 30, 0)).await.unwrap().unwrap().id, id);
        assert_eq!(s.token_by_hash("h1", at(10, 0, 0)).await.unwrap(), None, "expired");
        s.insert_token("h2", "api", "crm", "supervisor", Some("zammad"), at(9, 0, 0), None).await.unwrap();
        assert!(s.revoke_token("h2", at(9, 1, 0)).await.unwrap());
        assert_eq!(s.token_by_hash("h2", at(9, 2, 0)).await.unwrap(), None, "revoked");
        assert!(!s.revoke_token("h2", at(9, 3, 0)).await.unwrap());
        db.finish().await;
    }
}
