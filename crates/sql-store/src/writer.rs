//! `StoreWriter`: a bounded write-behind queue in front of the `Store`, so calls keep flowing
//! when the database is unavailable (issue 4, "Bad input"): records wait in memory (bounded),
//! are retried with exponential back-off, and are flushed in order when it returns [SLA-9].
//!
//! One task owns the store connection and the map from caller-side `CallKey`s to register
//! ids; call tasks hand it closed commands over a bounded channel and never wait for the
//! database.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::StoreError;
use crate::crm::{NewAttachment, NewTicket, TicketPatch};
use crate::model::{CallId, CallUpdate, NewCall, NewEvent, NewLeg};
use crate::time::UnixMillis;
use crate::store::Store;

/// Knobs of the write-behind queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    /// Records held in memory at most; beyond that new records are dropped (and counted).
    pub capacity: usize,
    /// First retry delay after the database failed.
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// How many ended calls keep their key → id mapping (for late legs and events).
    pub remember_ended: usize,
}

impl Default for WriterConfig {
    fn default() -> WriterConfig {
        WriterConfig {
            capacity: 10_000,
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            remember_ended: 1024,
        }
    }
}

/// A call as the writer knows it before (and after) the database assigns its `CallId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallKey(u64);

/// Counters of the write-behind queue (for `/metrics` and the health check).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Records accepted and not yet written (nor failed).
    pub queued: u64,
    /// Records written to the database.
    pub flushed: u64,
    /// Records the database rejected (constraint errors, unknown call).
    pub failed: u64,
    /// Records refused because the queue was full.
    pub dropped: u64,
    /// Failed attempts that were retried.
    pub retries: u64,
    /// Whether the last attempt found the database unavailable.
    pub unavailable: bool,
}

/// Why the writer refused a record.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// The queue holds `capacity` records already; the record was dropped and counted.
    #[error("write-behind queue full ({capacity} records): record dropped")]
    QueueFull {
        /// The configured capacity.
        capacity: usize,
    },
    /// The writer task has stopped.
    #[error("store writer stopped")]
    Stopped,
}

/// The sending side of the write-behind queue; clones share the queue.
#[derive(Clone, Debug)]
pub struct StoreWriter {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    capacity: usize,
}

impl StoreWriter {
    /// Starts the writer task on the current tokio runtime. The task ends when every
    /// `StoreWriter` clone is dropped and the queue is drained.
    pub fn spawn(store: Store, config: WriterConfig) -> (StoreWriter, JoinHandle<()>) {
        let capacity = config.capacity.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(run(store, rx, Arc::clone(&shared), config));
        let writer = StoreWriter {
            tx,
            shared,
            capacity,
        };
        (writer, task)
    }

    /// Queues a new call and returns its key for later updates.
    pub fn insert_call(&self, call: NewCall) -> Result<CallKey, WriterError> {
        let key = CallKey(self.shared.next_key.fetch_add(1, Ordering::Relaxed));
        self.enqueue(Write::InsertCall(key, call))?;
        Ok(key)
    }

    /// Queues a partial update of a call.
    pub fn update_call(&self, key: CallKey, update: CallUpdate) -> Result<(), WriterError> {
        self.enqueue(Write::UpdateCall(key, update))
    }

    /// Queues a leg of a call.
    pub fn add_leg(&self, key: CallKey, leg: NewLeg) -> Result<(), WriterError> {
        self.enqueue(Write::AddLeg(key, leg))
    }

    /// Queues an entry of a call's event log.
    pub fn add_event(&self, key: CallKey, event: NewEvent) -> Result<(), WriterError> {
        self.enqueue(Write::AddEvent(key, event))
    }

    /// Queues the opening of a call's ticket (at most one per call [CRM-1]); the ticket
    /// number arrives on the returned receiver once written (it never arrives when the
    /// write failed for good).
    pub fn open_ticket(
        &self,
        key: CallKey,
        ticket: NewTicket,
        at: UnixMillis,
    ) -> Result<oneshot::Receiver<i64>, WriterError> {
        self.open_ticket_with(key, ticket, None, at)
    }

    /// `open_ticket` with a file attached to the ticket in the same write (a voicemail's
    /// recording) [CRM-3, VM-1].
    pub fn open_ticket_with(
        &self,
        key: CallKey,
        ticket: NewTicket,
        attachment: Option<NewAttachment>,
        at: UnixMillis,
    ) -> Result<oneshot::Receiver<i64>, WriterError> {
        let (reply, wait) = oneshot::channel();
        self.enqueue(Write::OpenTicket(key, Box::new((ticket, attachment)), at, Some(reply)))?;
        Ok(wait)
    }

    /// Queues a change to the call's ticket by `actor` (a transfer to level II moves it
    /// with the call [CRM-6]); nothing happens when the call has no ticket.
    pub fn patch_call_ticket(&self, key: CallKey, patch: TicketPatch, actor: &str, at: UnixMillis) -> Result<(), WriterError> {
        self.enqueue(Write::PatchTicket(key, Box::new((patch, actor.to_owned())), at))
    }

    /// Waits until every record queued before this call has been written or has failed.
    pub async fn flush(&self) -> Result<(), WriterError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Command::Flush(done))
            .await
            .map_err(|_| WriterError::Stopped)?;
        wait.await.map_err(|_| WriterError::Stopped)
    }

    /// The register id of a call once its insert has been written (waits behind the queue).
    pub async fn call_id(&self, key: CallKey) -> Result<Option<CallId>, WriterError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send(Command::Resolve(key, reply))
            .await
            .map_err(|_| WriterError::Stopped)?;
        wait.await.map_err(|_| WriterError::Stopped)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> WriterStats {
        let s = &self.shared;
        WriterStats {
            queued: s.queued.load(Ordering::Relaxed),
            flushed: s.flushed.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            unavailable: s.unavailable.load(Ordering::Relaxed),
        }
    }

    /// Hands a record to the task without waiting; a full queue drops it.
    fn enqueue(&self, write: Write) -> Result<(), WriterError> {
        self.shared.queued.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(Command::Write(write)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    capacity = self.capacity,
                    "call register queue full: record dropped"
                );
                Err(WriterError::QueueFull {
                    capacity: self.capacity,
                })
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                Err(WriterError::Stopped)
            }
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    next_key: AtomicU64,
    queued: AtomicU64,
    flushed: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
    unavailable: AtomicBool,
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // writes are the common case; boxing them costs an allocation each
enum Command {
    Write(Write),
    Flush(oneshot::Sender<()>),
    Resolve(CallKey, oneshot::Sender<Option<CallId>>),
}

#[derive(Debug)]
enum Write {
    InsertCall(CallKey, NewCall),
    UpdateCall(CallKey, CallUpdate),
    AddLeg(CallKey, NewLeg),
    AddEvent(CallKey, NewEvent),
    OpenTicket(CallKey, Box<(NewTicket, Option<NewAttachment>)>, UnixMillis, Option<oneshot::Sender<i64>>),
    PatchTicket(CallKey, Box<(TicketPatch, String)>, UnixMillis),
}

/// Why one write could not be applied.
#[derive(Debug)]
enum ApplyError {
    Store(StoreError),
    UnknownKey(CallKey),
}

/// The writer task: applies writes in order, retrying while the database is unavailable.
async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Command>,
    shared: Arc<Shared>,
    config: WriterConfig,
) {
    let mut ids: HashMap<CallKey, CallId> = HashMap::new();
    let mut ended: VecDeque<CallKey> = VecDeque::new();
    while let Some(command) = rx.recv().await {
        let mut write = match command {
            Command::Write(write) => write,
            Command::Flush(done) => {
                let _ = done.send(());
                continue;
            }
            Command::Resolve(key, reply) => {
                let _ = reply.send(ids.get(&key).copied());
                continue;
            }
        };
        let mut delay = config.retry_initial;
        loop {
            match apply(&store, &mut ids, &write).await {
                Ok(ticket) => {
                    if let (Some(id), Write::OpenTicket(_, _, _, reply)) = (ticket, &mut write)
                        && let Some(reply) = reply.take()
                    {
                        let _ = reply.send(id);
                    }
                    shared.flushed.fetch_add(1, Ordering::Relaxed);
                    if shared.unavailable.swap(false, Ordering::Relaxed) {
                        tracing::info!(
                            queued = shared.queued.load(Ordering::Relaxed),
                            "call register store available again: flushing queued records"
                        );
                    }
                    break;
                }
                Err(ApplyError::Store(error)) if error.is_transient() => {
                    shared.retries.fetch_add(1, Ordering::Relaxed);
                    if !shared.unavailable.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            %error,
                            queued = shared.queued.load(Ordering::Relaxed),
                            "call register store unavailable: holding records in memory"
                        );
                    }
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2).min(config.retry_max);
                }
                Err(ApplyError::Store(error)) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(%error, "call register record rejected by the store");
                    break;
                }
                Err(ApplyError::UnknownKey(key)) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(key = key.0, "call register record for an unknown call");
                    break;
                }
            }
        }
        shared.queued.fetch_sub(1, Ordering::Relaxed);
        if let Write::UpdateCall(key, update) = &write
            && update.ended_at.is_some()
            && !ended.contains(key)
        {
            ended.push_back(*key);
            while ended.len() > config.remember_ended {
                if let Some(old) = ended.pop_front() {
                    ids.remove(&old);
                }
            }
        }
    }
}

async fn apply(
    store: &Store,
    ids: &mut HashMap<CallKey, CallId>,
    write: &Write,
) -> Result<Option<i64>, ApplyError> {
    let id_of = |key: &CallKey| ids.get(key).copied().ok_or(ApplyError::UnknownKey(*key));
    match write {
        Write::InsertCall(key, call) => {
            let id = store.insert_call(call).await.map_err(ApplyError::Store)?;
            ids.insert(*key, id);
        }
        Write::UpdateCall(key, update) => {
            let id = id_of(key)?;
            store
                .update_call(id, update)
                .await
                .map_err(ApplyError::Store)?;
        }
        Write::AddLeg(key, leg) => {
            let id = id_of(key)?;
            store.add_leg(id, leg).await.map_err(ApplyError::Store)?;
        }
        Write::AddEvent(key, event) => {
            let id = id_of(key)?;
            store
                .add_event(id, event)
                .await
                .map_err(ApplyError::Store)?;
        }
        Write::OpenTicket(key, new, at, _) => {
            let id = id_of(key)?;
            let (ticket, attachment) = new.as_ref();
            let ticket = store
                .open_ticket_for_call(id, ticket, "system", *at)
                .await
                .map_err(ApplyError::Store)?;
            // A retry after a failed attachment finds the ticket again (one per call) and
            // attaches once: the file name is unique per call.
            if let Some(file) = attachment {
                let listed = store.ticket(ticket).await.map_err(ApplyError::Store)?;
                let present = listed.is_some_and(|t| t.attachments.iter().any(|a| a.path == file.path));
                if !present {
                    store.add_attachment(ticket, file, "system", *at).await.map_err(ApplyError::Store)?;
                }
            }
            return Ok(Some(ticket));
        }
        Write::PatchTicket(key, change, at) => {
            let id = id_of(key)?;
            let (patch, actor) = change.as_ref();
            if let Some(ticket) = store.ticket_id_of_call(id).await.map_err(ApplyError::Store)? {
                store.update_ticket(ticket, patch, actor, *at).await.map_err(ApplyError::Store)?;
            }
        }
    }
    Ok(None)
}
