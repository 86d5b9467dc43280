//! Sans-IO RFC 3261 §17 transaction layer (with RFC 6026 Accepted states and RFC 3581 rport):
//! an [`Endpoint`] owns every client and server transaction, matches messages to them
//! (§17.1.3, §17.2.3 and the RFC 2543 fallback), runs Timers A–M and emits [`Transmit`]s and
//! [`TuEvent`]s for the transaction user.

mod client_invite;
mod client_non_invite;
mod endpoint;
mod key;
mod message;
mod server_invite;
mod server_non_invite;
mod timer;

use std::net::SocketAddr;
use std::time::Duration;

use sip_message::{Request, Response};

pub use endpoint::Endpoint;

/// The transport a message travelled on; it decides which timers run (RFC 3261 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Unreliable datagrams: Timers A, E and G retransmit, D/I/J/K absorb retransmissions.
    Udp,
    /// A reliable stream: no retransmissions, D/I/J/K are zero.
    Tcp,
}

impl Transport {
    /// Whether the transport is reliable (RFC 3261 §17: "reliable transport").
    pub fn reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }

    /// The transport token used in a Via header field (RFC 3261 §20.42).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// A remote address together with the transport used to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The remote socket address.
    pub addr: SocketAddr,
    /// The transport used towards `addr`.
    pub transport: Transport,
}

/// Timer values and limits of an [`Endpoint`] (RFC 3261 Table 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The RTT estimate T1 (500 ms by default).
    pub t1: Duration,
    /// The maximum retransmit interval T2 for non-INVITE requests and INVITE responses (4 s).
    pub t2: Duration,
    /// The maximum duration a message stays in the network, T4 (5 s).
    pub t4: Duration,
    /// Our sent-by address, written into the Via of every request we originate.
    pub local_addr: SocketAddr,
    /// A User-Agent value added to requests that carry none (and a Server value on 100 Trying).
    pub user_agent: Option<String>,
    /// The maximum number of live transactions; new requests beyond it are answered 503.
    pub max_transactions: usize,
}

impl Config {
    /// A configuration with the RFC 3261 default timer values for the given sent-by address.
    pub fn new(local_addr: SocketAddr) -> Config {
        Config {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            local_addr,
            user_agent: None,
            max_transactions: 100_000,
        }
    }
}

/// Bytes to write to a peer, drained with [`Endpoint::poll_transmit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send the bytes.
    pub to: Peer,
    /// One complete serialized SIP message.
    pub bytes: Vec<u8>,
}

/// The identity of a client transaction (an opaque counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(u64);

/// The identity of a server transaction (an opaque counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(u64);

/// What the transaction layer reports to the transaction user (RFC 3261 §17 "TU").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TuEvent {
    /// A new request (never ACK or CANCEL); retransmissions are absorbed by the server
    /// transaction, which re-sends its last response.
    Request {
        /// The server transaction to answer on.
        tx: ServerTxId,
        /// The request, with `received`/`rport` filled into its top Via (RFC 3581).
        request: Request,
        /// Where the request came from.
        source: Peer,
    },
    /// A CANCEL matched the INVITE server transaction `invite_tx` while it was in Proceeding;
    /// the endpoint already answered the CANCEL with 200 and the TU must now send 487 (or
    /// another final response) on `invite_tx` (RFC 3261 §9.2).
    Cancelled {
        /// The cancelled INVITE server transaction.
        invite_tx: ServerTxId,
        /// The CANCEL request.
        cancel: Request,
    },
    /// An ACK for a 2xx response, which is not part of any transaction (RFC 3261 §17.2.3,
    /// RFC 6026 §8.7); it belongs to the dialog layer.
    Ack {
        /// The ACK request.
        request: Request,
        /// Where it came from.
        source: Peer,
    },
    /// A provisional or final response to a client transaction.
    Response {
        /// The client transaction.
        tx: ClientTxId,
        /// The response.
        response: Response,
        /// True for a repeated 2xx (same To tag) received in the RFC 6026 Accepted state: the TU
        /// must ACK it again.
        retransmission: bool,
    },
    /// A response that matched no transaction (for example a late 2xx after the transaction
    /// ended); the TU may ACK and BYE it.
    StrayResponse {
        /// The response.
        response: Response,
        /// Where it came from.
        source: Peer,
    },
    /// Timer B or Timer F fired (or no final arrived 64*T1 after a CANCEL): treat as 408.
    Timeout {
        /// The client transaction that timed out.
        tx: ClientTxId,
    },
    /// A 2xx sent on the INVITE server transaction was not ACKed within 64*T1
    /// (RFC 3261 §13.3.1.4): the TU should send BYE.
    AckTimeout {
        /// The INVITE server transaction.
        tx: ServerTxId,
    },
    /// The transport reported a failure for this client transaction (RFC 3261 §17.1.4).
    TransportError {
        /// The client transaction.
        tx: ClientTxId,
    },
}

/// Errors of the transaction layer; all of them are misuse by the TU (no network input
/// produces one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// The server transaction does not exist (it ended or never existed).
    #[error("unknown server transaction {0:?}")]
    UnknownServerTransaction(ServerTxId),
    /// The client transaction does not exist (it ended or never existed).
    #[error("unknown client transaction {0:?}")]
    UnknownClientTransaction(ClientTxId),
    /// A final response was already sent; only further 2xx may follow a 2xx on INVITE.
    #[error("a final response was already sent on {0:?}")]
    FinalResponseAlreadySent(ServerTxId),
    /// The response's status code is outside 100..=699.
    #[error("status code {0} is not a valid response code")]
    InvalidStatus(u16),
    /// Only INVITE client transactions can be cancelled (RFC 3261 §9.1).
    #[error("{0:?} is not an INVITE client transaction")]
    NotAnInvite(ClientTxId),
    /// The INVITE already received a final response, so CANCEL would have no effect.
    #[error("{0:?} already received a final response")]
    FinalResponseAlreadyReceived(ClientTxId),
    /// CANCEL was already requested for this transaction.
    #[error("{0:?} was already cancelled")]
    AlreadyCancelled(ClientTxId),
}
