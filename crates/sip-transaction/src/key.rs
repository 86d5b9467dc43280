//! Transaction keys: RFC 3261 §17.1.3 (responses to client transactions), §17.2.3 (requests to
//! server transactions, including the RFC 2543 fallback for branches without the magic cookie)
//! and the §13.3.1.4 / RFC 6026 match of a 2xx ACK to the INVITE server transaction.

use sip_message::{Method, Request, Response, Via};

/// The RFC 3261 §8.1.1.7 magic cookie that starts every RFC 3261 branch.
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// A client transaction key: the top Via branch plus the CSeq method (§17.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub(crate) branch: String,
    pub(crate) method: String,
}

impl ClientKey {
    pub(crate) fn new(branch: &str, method: &Method) -> ClientKey {
        ClientKey {
            branch: branch.to_owned(),
            method: method.as_str().to_owned(),
        }
    }

    /// The key of the client transaction a response belongs to, if it has a usable top Via and
    /// CSeq.
    pub(crate) fn of_response(resp: &Response) -> Option<ClientKey> {
        let via = resp.headers.top_via().ok()?;
        let branch = via.branch()?;
        let cseq = resp.headers.cseq().ok()?;
        Some(ClientKey::new(branch, &cseq.method))
    }
}

/// A server transaction key (§17.2.3): either the RFC 3261 key (branch, sent-by, method with
/// ACK folded into INVITE) or the RFC 2543 fallback key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    Rfc3261 {
        branch: String,
        sent_by: SentBy,
        method: String,
    },
    Rfc2543(LegacyKey),
}

/// The sent-by of a Via (host lower-cased, port as written).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SentBy {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

/// The RFC 2543 fallback key (§17.2.3): Request-URI, From tag, Call-ID, CSeq number and top Via.
/// The To tag is compared separately because it differs between INVITE and ACK.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LegacyKey {
    pub(crate) uri: String,
    pub(crate) from_tag: Option<String>,
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) top_via: String,
    pub(crate) method: String,
}

/// The key of a 2xx ACK: Call-ID, CSeq number and the To tag of the 2xx (RFC 3261 §13.3.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AckKey {
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) to_tag: String,
}

impl ServerKey {
    /// The key under which `req` is looked up. ACK and CANCEL use `as_method` (INVITE) to find
    /// the transaction they refer to; other requests pass their own method.
    /// `raw_top_via` is the top Via value as received (before `received`/`rport` are added).
    pub(crate) fn of_request(
        req: &Request,
        via: &Via,
        raw_top_via: &str,
        as_method: &Method,
    ) -> Option<ServerKey> {
        match via.branch() {
            Some(branch) if branch.starts_with(MAGIC_COOKIE) => Some(ServerKey::Rfc3261 {
                branch: branch.to_owned(),
                sent_by: SentBy {
                    host: via.host.to_string().to_ascii_lowercase(),
                    port: via.port,
                },
                method: as_method.as_str().to_owned(),
            }),
            _ => {
                let from = req.headers.from().ok()?;
                let call_id = req.headers.call_id().ok()?;
                let cseq = req.headers.cseq().ok()?;
                Some(ServerKey::Rfc2543(LegacyKey {
                    uri: req.uri.to_string(),
                    from_tag: from.tag().map(str::to_owned),
                    call_id: call_id.to_owned(),
                    cseq: cseq.seq,
                    top_via: raw_top_via.trim().to_owned(),
                    method: as_method.as_str().to_owned(),
                }))
            }
        }
    }
}

impl AckKey {
    /// The key of an ACK request, if it carries a To tag.
    pub(crate) fn of_ack(req: &Request) -> Option<AckKey> {
        let to = req.headers.to().ok()?;
        let to_tag = to.tag()?.to_owned();
        Some(AckKey {
            call_id: req.headers.call_id().ok()?.to_owned(),
            cseq: req.headers.cseq().ok()?.seq,
            to_tag,
        })
    }

    /// The key the ACK of this 2xx response will carry.
    pub(crate) fn of_response(resp: &Response) -> Option<AckKey> {
        let to = resp.headers.to().ok()?;
        let to_tag = to.tag()?.to_owned();
        Some(AckKey {
            call_id: resp.headers.call_id().ok()?.to_owned(),
            cseq: resp.headers.cseq().ok()?.seq,
            to_tag,
        })
    }
}
