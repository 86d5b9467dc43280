//! Renders CTI events in Zammad's "Generic CTI" push format (newCall, answer,
//! hangup; form-urlencoded), so Centralino plugs into that CRM unchanged [CRM-9,
//! CTI-1]. Mapping and hangup causes are documented in `docs/events.md`.

use crate::CtiEvent;

/// The Zammad body (`application/x-www-form-urlencoded`) for `event`, or `None` for
/// kinds Zammad is not told about.
pub fn render(event: &CtiEvent) -> Option<String> {
    fields(event).map(|f| form_urlencode(&f))
}

/// The Zammad form fields for `event`, in order; `None` for kinds not sent.
pub fn fields(event: &CtiEvent) -> Option<Vec<(&'static str, String)>> {
    let zammad_event = match event.kind.as_str() {
        "call.offered" => "newCall",
        "call.answered" => "answer",
        "call.ended" => "hangup",
        _ => return None,
    };
    let data = &event.data;
    let text = |name: &str| data.get(name).and_then(serde_json::Value::as_str);
    let mut out = vec![
        ("event", zammad_event.to_owned()),
        ("from", text("from").unwrap_or("anonymous").to_owned()),
        ("to", text("to").unwrap_or_default().to_owned()),
        (
            "direction",
            if text("direction") == Some("out") {
                "out"
            } else {
                "in"
            }
            .to_owned(),
        ),
        (
            "callId",
            event
                .call
                .map(|c| c.to_string())
                .unwrap_or_else(|| format!("seq-{}", event.seq)),
        ),
    ];
    if zammad_event == "newCall" {
        if let Some(queue) = text("queue") {
            out.push(("queue", queue.to_owned()));
        }
    } else {
        if let Some(name) = text("agent_name").or(text("agent")) {
            out.push(("user[]", name.to_owned()));
        }
        if let Some(agent) = text("agent") {
            out.push(("answeringNumber", agent.to_owned()));
        }
    }
    if zammad_event == "hangup" {
        let answered = data
            .get("answered")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let cause = hangup_cause(text("cause").unwrap_or_default(), text("outcome"), answered);
        out.push(("cause", cause.to_owned()));
    }
    Some(out)
}

/// Zammad's hangup cause for our hangup label, register outcome and answer flag.
pub fn hangup_cause(cause: &str, outcome: Option<&str>, answered: bool) -> &'static str {
    if outcome == Some("transferred") {
        return "forwarded";
    }
    if answered {
        return "normalClearing";
    }
    match cause {
        "caller_hangup" | "cancelled" => "cancel",
        "busy" => "busy",
        "no_answer" | "rejected" => "noAnswer",
        "refused" => "notFound",
        "media_timeout" | "session_expired" | "ack_timeout" => "congestion",
        _ => "normalClearing",
    }
}

/// `application/x-www-form-urlencoded` serialization (WHATWG URL standard):
/// alphanumerics and `*-._` as is, space as `+`, every other byte as `%XX`.
pub fn form_urlencode(fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

/// Appends the form encoding of `s` to `out`.
fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AgentOffered, CallAnswered, CallEnded, CallOffered, Direction, Payload};

    fn event<P: Payload>(call: u64, p: &P) -> CtiEvent {
        CtiEvent {
            v: 1,
            seq: 3,
            at: String::new(),
            kind: P::KIND.into(),
            call: Some(call),
            data: p.to_data(),
        }
    }

    fn ended(cause: &str, outcome: Option<&str>, answered: bool) -> CallEnded {
        CallEnded {
            channel: "verde".into(),
            cause: cause.into(),
            outcome: outcome.map(str::to_owned),
            answered,
            agent: answered.then(|| "2001".to_owned()),
            agent_name: answered.then(|| "Anna Rossi".to_owned()),
            queue: Some("verde".into()),
            from: Some("3331234567".into()),
            to: "800123456".into(),
            direction: Direction::In,
            waited_seconds: 10,
            talk_seconds: if answered { 60 } else { 0 },
            recording: None,
        }
    }

    #[test]
    fn crm_9_call_offered_renders_as_new_call() {
        let offered = CallOffered {
            channel: "verde".into(),
            from: Some("+39 333 1234567".into()),
            to: "800123456".into(),
            direction: Direction::In,
            queue: Some("verde".into()),
            waited_seconds: 0,
        };
        assert_eq!(
            render(&event(4711, &offered)).unwrap(),
            "event=newCall&from=%2B39+333+1234567&to=800123456&direction=in&callId=4711&queue=verde"
        );
        let anonymous = CallOffered {
            from: None,
            queue: None,
            direction: Direction::Out,
            ..offered
        };
        assert_eq!(
            render(&event(4712, &anonymous)).unwrap(),
            "event=newCall&from=anonymous&to=800123456&direction=out&callId=4712"
        );
    }

    #[test]
    fn crm_9_call_answered_renders_as_answer_with_the_agent() {
        let answered = CallAnswered {
            channel: "verde".into(),
            agent: Some("2001".into()),
            agent_name: Some("Anna Rossi".into()),
            queue: Some("verde".into()),
            from: Some("3331234567".into()),
            to: "800123456".into(),
            direction: Direction::In,
            waited_seconds: 39,
        };
        assert_eq!(
            render(&event(4711, &answered)).unwrap(),
            "event=answer&from=3331234567&to=800123456&direction=in&callId=4711\
             &user%5B%5D=Anna+Rossi&answeringNumber=2001"
        );
    }

    #[test]
    fn crm_9_call_ended_renders_as_hangup_with_a_mapped_cause() {
        assert_eq!(
            render(&event(
                4711,
                &ended("caller_hangup", Some("answered"), true)
            ))
            .unwrap(),
            "event=hangup&from=3331234567&to=800123456&direction=in&callId=4711\
             &user%5B%5D=Anna+Rossi&answeringNumber=2001&cause=normalClearing"
        );
        assert_eq!(
            render(&event(
                4711,
                &ended("caller_hangup", Some("abandoned_queue"), false)
            ))
            .unwrap(),
            "event=hangup&from=3331234567&to=800123456&direction=in&callId=4711&cause=cancel"
        );
    }

    #[test]
    fn hangup_causes_map_as_documented() {
        let cases = [
            ("caller_hangup", None, true, "normalClearing"),
            ("media_timeout", None, true, "normalClearing"),
            ("callee_hangup", Some("transferred"), true, "forwarded"),
            ("caller_hangup", None, false, "cancel"),
            ("cancelled", None, false, "cancel"),
            ("busy", Some("busy"), false, "busy"),
            ("no_answer", None, false, "noAnswer"),
            ("rejected", None, false, "noAnswer"),
            ("refused", None, false, "notFound"),
            ("media_timeout", None, false, "congestion"),
            ("session_expired", None, false, "congestion"),
            ("ack_timeout", None, false, "congestion"),
            ("hangup", Some("closed"), false, "normalClearing"),
            ("something_new", None, false, "normalClearing"),
        ];
        for (cause, outcome, answered, want) in cases {
            assert_eq!(
                hangup_cause(cause, outcome, answered),
                want,
                "{cause} {outcome:?} {answered}"
            );
        }
    }

    #[test]
    fn other_kinds_are_not_sent_to_zammad() {
        let offered = AgentOffered {
            channel: "verde".into(),
            agent: "2001".into(),
            agent_name: None,
            queue: None,
            from: None,
            to: "800".into(),
            ticket: None,
            waited_seconds: 3,
        };
        assert_eq!(
            render(&event(1, &offered)),
            None,
            "Zammad refuses a second newCall per callId"
        );
        let dtmf = CtiEvent {
            v: 1,
            seq: 1,
            at: String::new(),
            kind: "dtmf".into(),
            call: Some(1),
            data: serde_json::json!({}),
        };
        assert_eq!(fields(&dtmf), None);
    }

    #[test]
    fn form_encoding_escapes_reserved_and_non_ascii_bytes() {
        let f = [("a b", "x&y=z".to_owned()), ("n", "Niccolò~".to_owned())];
        assert_eq!(form_urlencode(&f), "a+b=x%26y%3Dz&n=Niccol%C3%B2%7E");
        assert_eq!(form_urlencode(&[]), "");
    }
}
