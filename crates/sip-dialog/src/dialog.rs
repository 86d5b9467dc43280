//! SIP dialogs (RFC 3261 §12): creation on the UAS and UAC side, route sets, remote
//! target refresh, CSeq rules, and construction of in-dialog requests and 2xx ACKs.

use sip_message::{CSeq, Contact, HeaderName, Method, NameAddr, Request, Response, StatusCode, Uri};

/// A dialog's identity (RFC 3261 §12): Call-ID plus both tags, from our point of view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

/// Why a dialog could not be created or a request was refused within it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// The peer sent a message without a header the dialog needs.
    #[error("missing or malformed {0} header")]
    BadHeader(&'static str),
    /// A dialog-creating message had no usable Contact (RFC 3261 §12.1.1).
    #[error("no Contact with a SIP URI")]
    MissingContact,
    /// The response has no To tag, so it cannot create a dialog.
    #[error("the response has no To tag")]
    MissingRemoteTag,
    /// An in-dialog request's CSeq is not above the last one (RFC 3261 §12.2.2).
    #[error("CSeq {got} is not above the last remote CSeq {last}")]
    CSeqOutOfOrder { got: u32, last: u32 },
    /// Our local CSeq space is exhausted (2^31 requests).
    #[error("local CSeq space exhausted")]
    CSeqExhausted,
}

impl From<&DialogError> for StatusCode {
    fn from(e: &DialogError) -> StatusCode {
        match e {
            DialogError::BadHeader(_) | DialogError::MissingContact | DialogError::MissingRemoteTag => {
                StatusCode::BAD_REQUEST
            }
            // RFC 3261 §12.2.2: a lower CSeq is answered 500.
            DialogError::CSeqOutOfOrder { .. } | DialogError::CSeqExhausted => StatusCode::SERVER_INTERNAL_ERROR,
        }
    }
}

/// One dialog, from our side (UAS or UAC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub id: DialogId,
    /// Our From (UAC) or To (UAS) header, with our tag.
    pub local: NameAddr,
    /// The peer's address-of-record header, with its tag.
    pub remote: NameAddr,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: Uri,
    /// Route set (RFC 3261 §12.1), in the order requests must carry it.
    pub route_set: Vec<NameAddr>,
    /// Our Contact.
    pub local_contact: Uri,
    local_cseq: u32,
    remote_cseq: Option<u32>,
    confirmed: bool,
}

impl Dialog {
    /// The UAS side of a dialog created by `request` (RFC 3261 §12.1.1). The caller
    /// must put `local_tag` in the To header of its responses.
    pub fn new_uas(request: &Request, local_tag: &str, local_contact: Uri) -> Result<Dialog, DialogError> {
        let h = &request.headers;
        let call_id = h.call_id().map_err(|_| DialogError::BadHeader("Call-ID"))?.to_owned();
        let remote = h.from().map_err(|_| DialogError::BadHeader("From"))?;
        let mut local = h.to().map_err(|_| DialogError::BadHeader("To"))?;
        local.set_tag(local_tag.to_owned());
        let cseq = h.cseq().map_err(|_| DialogError::BadHeader("CSeq"))?;
        let remote_target = first_contact(request.headers.contacts().ok())?;
        let route_set = h.record_routes().map_err(|_| DialogError::BadHeader("Record-Route"))?;
        Ok(Dialog {
            id: DialogId {
                call_id,
                local_tag: local_tag.to_owned(),
                remote_tag: remote.tag().unwrap_or_default().to_owned(),
            },
            local,
            remote,
            remote_target,
            route_set,
            local_contact,
            local_cseq: 0,
            remote_cseq: Some(cseq.seq),
            confirmed: false,
        })
    }

    /// The UAC side of a dialog created by a 1xx-with-tag or 2xx `response` to our
    /// `request` (RFC 3261 §12.1.2). The route set is the Record-Route reversed.
    pub fn new_uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let h = &request.headers;
        let call_id = h.call_id().map_err(|_| DialogError::BadHeader("Call-ID"))?.to_owned();
        let local = h.from().map_err(|_| DialogError::BadHeader("From"))?;
        let remote = response.headers.to().map_err(|_| DialogError::BadHeader("To"))?;
        let remote_tag = remote.tag().ok_or(DialogError::MissingRemoteTag)?.to_owned();
        let cseq = h.cseq().map_err(|_| DialogError::BadHeader("CSeq"))?;
        let remote_target = first_contact(response.headers.contacts().ok())?;
        let mut route_set = response
            .headers
            .record_routes()
            .map_err(|_| DialogError::BadHeader("Record-Route"))?;
        route_set.reverse();
        let local_contact = match h.contacts().ok().and_then(|c| c.into_iter().next()) {
            Some(Contact::Address(a)) => a.uri,
            _ => request.uri.clone(),
        };
        Ok(Dialog {
            id: DialogId { call_id, local_tag: local.tag().unwrap_or_default().to_owned(), remote_tag },
            local,
            remote,
            remote_target,
            route_set,
            local_contact,
            local_cseq: cseq.seq,
            remote_cseq: None,
            confirmed: response.status.is_success(),
        })
    }

    /// The dialog is confirmed (a 2xx was sent or received).
    pub fn is_confirmed(&self) -> bool {
        self.confirmed
    }

    /// Marks the dialog confirmed (the UAS sent its 2xx).
    pub fn confirm(&mut self) {
        self.confirmed = true;
    }

    /// Does `request` belong to this dialog (Call-ID and both tags)?
    pub fn matches_request(&self, request: &Request) -> bool {
        let h = &request.headers;
        h.call_id().is_ok_and(|c| c == self.id.call_id)
            && h.from().is_ok_and(|f| f.tag() == Some(self.id.remote_tag.as_str()))
            && h.to().is_ok_and(|t| t.tag() == Some(self.id.local_tag.as_str()))
    }

    /// Checks and records the CSeq of an in-dialog request from the peer (RFC 3261
    /// §12.2.2). ACK and CANCEL reuse the INVITE's number and are not checked.
    pub fn check_remote_request(&mut self, request: &Request) -> Result<(), DialogError> {
        let cseq = request.headers.cseq().map_err(|_| DialogError::BadHeader("CSeq"))?;
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_cseq {
            if cseq.seq <= last {
                return Err(DialogError::CSeqOutOfOrder { got: cseq.seq, last });
            }
        }
        self.remote_cseq = Some(cseq.seq);
        Ok(())
    }

    /// A target refresh (re-INVITE, UPDATE or their 2xx) may carry a new Contact.
    pub fn refresh_target(&mut self, contacts: Option<Vec<Contact>>) {
        if let Ok(uri) = first_contact(contacts) {
            self.remote_target = uri;
        }
    }

    /// A new in-dialog request (not ACK/CANCEL) with the next local CSeq
    /// (RFC 3261 §12.2.1.1). The transaction layer adds the Via.
    pub fn request(&mut self, method: Method) -> Result<Request, DialogError> {
        let next = self.local_cseq.checked_add(1).filter(|n| *n < 1 << 31).ok_or(DialogError::CSeqExhausted)?;
        self.local_cseq = next;
        Ok(self.build(method, next))
    }

    /// The ACK for a 2xx to our INVITE with CSeq number `invite_cseq` (RFC 3261 §13.2.2.4).
    pub fn ack(&self, invite_cseq: u32) -> Request {
        self.build(Method::Ack, invite_cseq)
    }

    /// The URI of the next hop for in-dialog requests: the first route, or the remote
    /// target when the route set is empty.
    pub fn next_hop(&self) -> &Uri {
        self.route_set.first().map_or(&self.remote_target, |r| &r.uri)
    }

    /// The CSeq number of the last request we sent.
    pub fn local_cseq(&self) -> u32 {
        self.local_cseq
    }

    fn build(&self, method: Method, seq: u32) -> Request {
        // Loose routing (lr) keeps the remote target as Request-URI; a strict router
        // becomes the Request-URI and the remote target goes last in Route.
        let strict = self.route_set.first().is_some_and(|r| !r.uri.params.contains("lr"));
        let (uri, routes): (Uri, Vec<String>) = if strict {
            let mut routes: Vec<String> = self.route_set.iter().skip(1).map(ToString::to_string).collect();
            routes.push(format!("<{}>", self.remote_target));
            (self.route_set[0].uri.clone(), routes)
        } else {
            (self.remote_target.clone(), self.route_set.iter().map(ToString::to_string).collect())
        };
        let mut req = Request::new(method.clone(), uri);
        let h = &mut req.headers;
        for r in routes {
            h.push(HeaderName::Route, r);
        }
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::From, self.local.to_string());
        h.push(HeaderName::To, self.remote.to_string());
        h.push(HeaderName::CallId, self.id.call_id.clone());
        h.push(HeaderName::CSeq, CSeq { seq, method }.to_string());
        h.push(HeaderName::Contact, format!("<{}>", self.local_contact));
        req
    }
}

fn first_contact(contacts: Option<Vec<Contact>>) -> Result<Uri, DialogError> {
    contacts
        .into_iter()
        .flatten()
        .find_map(|c| match c {
            Contact::Address(a) => Some(a.uri),
            Contact::Star => None,
        })
        .ok_or(DialogError::MissingContact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_message::{Limits, Message, parse_datagram};

    fn req(text: &str) -> Request {
        match parse_datagram(text.replace('\n', "\r\n").as_bytes(), &Limits::default()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request"),
        }
    }

    fn resp(text: &str) -> Response {
        match parse_datagram(text.replace('\n', "\r\n").as_bytes(), &Limits::default()).unwrap() {
            Message::Response(r) => r,
            Message::Request(_) => panic!("not a response"),
        }
    }

    const INVITE: &str = "INVITE sip:2001@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.11:5070;branch=z9hG4bK1
Record-Route: <sip:p1.example.com;lr>
Record-Route: <sip:p2.example.com;lr>
From: <sip:+39000@127.0.0.11>;tag=abc
To: <sip:2001@127.0.0.1>
Call-ID: c1@x
CSeq: 10 INVITE
Contact: <sip:caller@127.0.0.11:5070>
Max-Forwards: 70
Content-Length: 0

";

    #[test]
    fn rfc3261_12_1_1_uas_dialog_keeps_record_route_order() {
        let invite = req(INVITE);
        let mut d = Dialog::new_uas(&invite, "ours", "sip:centralino@127.0.0.1:5060".parse().unwrap()).unwrap();
        assert_eq!(d.id.remote_tag, "abc");
        assert_eq!(d.route_set.len(), 2);
        assert_eq!(d.route_set[0].uri.to_string(), "sip:p1.example.com;lr");
        assert_eq!(d.remote_target.to_string(), "sip:caller@127.0.0.11:5070");
        let bye = d.request(Method::Bye).unwrap();
        assert_eq!(bye.uri.to_string(), "sip:caller@127.0.0.11:5070");
        let routes: Vec<&str> = bye.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(routes, vec!["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
        assert_eq!(bye.headers.cseq().unwrap().seq, 1);
        assert_eq!(bye.headers.from().unwrap().tag(), Some("ours"));
        assert_eq!(bye.headers.to().unwrap().tag(), Some("abc"));
    }

    #[test]
    fn rfc3261_12_2_2_lower_cseq_is_refused_with_500() {
        let invite = req(INVITE);
        let mut d = Dialog::new_uas(&invite, "ours", "sip:c@127.0.0.1".parse().unwrap()).unwrap();
        let old = req(&INVITE.replace("INVITE sip", "BYE sip").replace("10 INVITE", "9 BYE"));
        let err = d.check_remote_request(&old).unwrap_err();
        assert_eq!(StatusCode::from(&err), StatusCode::SERVER_INTERNAL_ERROR);
        let newer = req(&INVITE.replace("INVITE sip", "BYE sip").replace("10 INVITE", "11 BYE"));
        assert!(d.check_remote_request(&newer).is_ok());
        assert!(d.check_remote_request(&newer).is_err(), "the same CSeq twice is a replay");
    }

    #[test]
    fn rfc3261_12_1_2_uac_dialog_reverses_route_set_and_acks() {
        let invite = req(&INVITE.replace(";tag=abc", ";tag=uac1").replace("Record-Route: <sip:p1.example.com;lr>\nRecord-Route: <sip:p2.example.com;lr>\n", ""));
        let ok = resp("SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.11:5070;branch=z9hG4bK1
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
From: <sip:+39000@127.0.0.11>;tag=uac1
To: <sip:2001@127.0.0.1>;tag=uas9
Call-ID: c1@x
CSeq: 10 INVITE
Contact: <sip:2001@127.0.0.1:5091>
Content-Length: 0

");
        let mut d = Dialog::new_uac(&invite, &ok).unwrap();
        assert!(d.is_confirmed());
        assert_eq!(d.route_set[0].uri.to_string(), "sip:p2.example.com;lr");
        let ack = d.ack(10);
        assert_eq!(ack.headers.cseq().unwrap(), CSeq { seq: 10, method: Method::Ack });
        assert_eq!(ack.uri.to_string(), "sip:2001@127.0.0.1:5091");
        let bye = d.request(Method::Bye).unwrap();
        assert_eq!(bye.headers.cseq().unwrap().seq, 11);
        assert_eq!(bye.headers.to().unwrap().tag(), Some("uas9"));
    }

    #[test]
    fn strict_router_becomes_request_uri() {
        let invite = req(&INVITE.replace("<sip:p1.example.com;lr>", "<sip:strict.example.com>"));
        let mut d = Dialog::new_uas(&invite, "ours", "sip:c@127.0.0.1".parse().unwrap()).unwrap();
        let bye = d.request(Method::Bye).unwrap();
        assert_eq!(bye.uri.to_string(), "sip:strict.example.com");
        let routes: Vec<&str> = bye.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(routes, vec!["<sip:p2.example.com;lr>", "<sip:caller@127.0.0.11:5070>"]);
    }

    #[test]
    fn missing_contact_is_a_bad_request() {
        let invite = req(&INVITE.replace("Contact: <sip:caller@127.0.0.11:5070>\n", ""));
        let err = Dialog::new_uas(&invite, "t", "sip:c@127.0.0.1".parse().unwrap()).unwrap_err();
        assert_eq!(StatusCode::from(&err), StatusCode::BAD_REQUEST);
    }
}
