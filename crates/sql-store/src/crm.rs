//! The built-in CRM on the store: tickets opened by calls (one per ACD call, linked both
//! ways) [CRM-1], caller records found by number [CRM-2], attachments with checksums
//! [CRM-3], and every change kept in the ticket's history with who and when [CRM-6, CRM-11].

use cc_model::ticket::{TicketState, TransitionFields};
use serde::Serialize;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::error::{StoreError, classify};
use crate::model::CallId;
use crate::store::{Store, get, on_pool, parse_opt};
use crate::time::UnixMillis;

/// Finds or creates the contact of `$phone` inside a transaction; evaluates to its id.
macro_rules! contact_for_phone {
    ($conn:expr, $phone:expr, $at:expr) => {{
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM contacts WHERE phone = $1")
            .bind($phone)
            .fetch_optional(&mut *$conn)
            .await
            .map_err(classify)?;
        match found {
            Some(id) => id,
            None => sqlx::query_scalar::<_, i64>(
                "INSERT INTO contacts (phone, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
            )
            .bind($phone)
            .bind($at.as_millis())
            .fetch_one(&mut *$conn)
            .await
            .map_err(classify)?,
        }
    }};
}

/// Inserts a ticket row inside a transaction; evaluates to its id.
macro_rules! insert_ticket {
    ($conn:expr, $call:expr, $contact:expr, $new:expr, $at:expr) => {{
        let new: &NewTicket = $new;
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO tickets (call_id, contact_id, channel, caller, state, description, level, agent, \
             offline, created_at, updated_at, due_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $9, $10) RETURNING id",
        )
        .bind($call)
        .bind($contact)
        .bind(new.channel.as_str())
        .bind(new.caller.as_deref())
        .bind(new.description.as_deref())
        .bind(i64::from(new.level.clamp(1, 3)))
        .bind(new.agent.as_deref())
        .bind(i64::from(new.offline))
        .bind($at.as_millis())
        .bind(new.due_at.map(UnixMillis::as_millis))
        .fetch_one(&mut *$conn)
        .await
        .map_err(classify)?
    }};
}

/// Appends a history entry inside a transaction.
macro_rules! add_history {
    ($conn:expr, $ticket:expr, $at:expr, $actor:expr, $action:expr, $detail:expr) => {{
        let detail: serde_json::Value = $detail;
        sqlx::query("INSERT INTO ticket_history (ticket_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind($ticket)
            .bind($at.as_millis())
            .bind($actor)
            .bind($action)
            .bind(detail.to_string())
            .execute(&mut *$conn)
            .await
            .map_err(classify)?;
    }};
}

/// Whether a ticket exists, inside a transaction.
macro_rules! ticket_exists {
    ($conn:expr, $id:expr) => {{
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE id = $1")
            .bind($id)
            .fetch_optional(&mut *$conn)
            .await
            .map_err(classify)?;
        found.is_some()
    }};
}

macro_rules! select_tickets {
    () => {
        "SELECT id, call_id, contact_id, channel, caller, state, category, priority, description, outcome, level, \
         agent, office, reject_reason, suggested_office, answer, offline, created_at, updated_at, taken_at, \
         resolved_at, closed_at, due_at FROM tickets"
    };
}

macro_rules! select_attachments {
    () => {
        "SELECT id, ticket_id, kind, name, path, mime, size, sha256, created_at FROM ticket_attachments"
    };
}

macro_rules! select_contacts {
    () => {
        "SELECT id, phone, name, email, notes, created_at, updated_at FROM contacts"
    };
}

/// A ticket as opened (by a call offered to an agent, a voicemail, an e-mail…).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTicket {
    /// The channel of origin: `verde`, `centralino`, `internal`, `voicemail`, `email`, `fax`, `web`.
    pub channel: String,
    /// The caller's number or address, when known; links the caller record.
    pub caller: Option<String>,
    /// The agent the contact was offered to.
    pub agent: Option<String>,
    /// Support level (1 = level I).
    pub level: u8,
    /// Off-line work (voicemail, e-mail, fax) rather than a live call [CRM-8].
    pub offline: bool,
    /// The take-in-charge deadline of off-line work [SLA-6].
    pub due_at: Option<UnixMillis>,
    /// First description (e.g. "voicemail from …").
    pub description: Option<String>,
}

/// A ticket row (`GET /api/tickets/{id}` without history and attachments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ticket {
    /// The ticket number.
    pub id: i64,
    /// The call it was opened for [CRM-1].
    pub call_id: Option<i64>,
    /// The caller record.
    pub contact_id: Option<i64>,
    /// Channel of origin.
    pub channel: String,
    /// The caller's number or address.
    pub caller: Option<String>,
    /// Annex A state.
    pub state: String,
    /// Category chosen by the operator.
    pub category: Option<String>,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: String,
    /// What the customer asked.
    pub description: Option<String>,
    /// The outcome recorded by the operator [CRM-5].
    pub outcome: Option<String>,
    /// Support level 1–3.
    pub level: u8,
    /// Assigned agent.
    pub agent: Option<String>,
    /// Assigned office.
    pub office: Option<String>,
    /// Why the last assignment was rejected.
    pub reject_reason: Option<String>,
    /// The office suggested by the rejecting party.
    pub suggested_office: Option<String>,
    /// The answer given to the customer (on closing).
    pub answer: Option<String>,
    /// Off-line work item.
    pub offline: bool,
    /// Opened at.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
    /// Taken in charge [SLA-6].
    pub taken_at: Option<UnixMillis>,
    /// Resolved (level I resolution or closure).
    pub resolved_at: Option<UnixMillis>,
    /// Closed.
    pub closed_at: Option<UnixMillis>,
    /// Take-in-charge deadline.
    pub due_at: Option<UnixMillis>,
}

/// One entry of a ticket's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketHistoryEntry {
    /// When.
    pub at: UnixMillis,
    /// Who (user name, agent extension or `system`).
    pub actor: String,
    /// `created`, `state`, `updated`, `attachment`, `linked_call`, …
    pub action: String,
    /// What changed.
    pub detail: serde_json::Value,
}

/// A file attached to a ticket [CRM-3].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Attachment id (download: `GET /api/attachments/{id}`).
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// `voicemail`, `recording`, `email`, `fax`, `document`.
    pub kind: String,
    /// File name shown to the operator.
    pub name: String,
    /// Where the file is on disk (not serialized: downloads go through the API).
    #[serde(skip)]
    pub path: String,
    /// MIME type.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Attached at.
    pub created_at: UnixMillis,
}

/// An attachment as added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    /// `voicemail`, `recording`, `email`, `fax`, `document`.
    pub kind: String,
    /// File name.
    pub name: String,
    /// Path on disk.
    pub path: String,
    /// MIME type.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 hex.
    pub sha256: String,
}

/// A caller record (anagrafica) [CRM-2].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Contact id.
    pub id: i64,
    /// Phone number as received (the lookup key).
    pub phone: String,
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// Created at.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
}

/// A ticket with everything the operator's screen shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: Ticket,
    /// The caller record.
    pub contact: Option<Contact>,
    /// Every change, oldest first.
    pub history: Vec<TicketHistoryEntry>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
}

/// A change to a ticket; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketPatch {
    /// New state (checked against Annex A).
    pub state: Option<TicketState>,
    /// Category.
    pub category: Option<String>,
    /// Priority (`low`, `normal`, `high`, `urgent`).
    pub priority: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Outcome [CRM-5].
    pub outcome: Option<String>,
    /// Level 1–3.
    pub level: Option<u8>,
    /// Assigned agent.
    pub agent: Option<String>,
    /// Assigned office (needed to forward).
    pub office: Option<String>,
    /// Rejection reason (needed to reject).
    pub reject_reason: Option<String>,
    /// Suggested office on rejection.
    pub suggested_office: Option<String>,
    /// The answer given (needed to close).
    pub answer: Option<String>,
}

/// Which tickets to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Only this caller's.
    pub caller: Option<String>,
    /// Only in this state.
    pub state: Option<TicketState>,
    /// Only off-line (or only live) work.
    pub offline: Option<bool>,
    /// At most this many (newest first).
    pub limit: u32,
}

impl Store {
    /// Opens the ticket of a call offered to an agent, once: a second call for the same
    /// call returns the existing ticket [CRM-1]. Links the caller record found by number
    /// (creating an empty one) and writes the ticket number into the call's register row.
    pub async fn open_ticket_for_call(&self, call: CallId, new: &NewTicket, actor: &str, at: UnixMillis) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE call_id = $1")
                .bind(call.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?;
            if let Some(id) = existing {
                tx.commit().await.map_err(classify)?;
                return Ok(id);
            }
            let known: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE id = $1")
                .bind(call.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?;
            if known.is_none() {
                return Err(StoreError::UnknownCall(call));
            }
            let contact = match new.caller.as_deref().filter(|c| is_lookup_number(c)) {
                Some(phone) => Some(contact_for_phone!(&mut *tx, phone, at)),
                None => None,
            };
            let id = insert_ticket!(&mut *tx, Some(call.0), contact, new, at);
            sqlx::query("UPDATE calls SET ticket_id = $2 WHERE id = $1")
                .bind(call.0)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            let detail = serde_json::json!({ "call_id": call.0, "channel": new.channel, "agent": new.agent });
            add_history!(&mut *tx, id, at, actor, "created", detail);
            tx.commit().await.map_err(classify)?;
            Ok(id)
        })
    }

    /// Opens a ticket not tied to a call (voicemail, e-mail, fax, a web request).
    pub async fn create_ticket(&self, new: &NewTicket, actor: &str, at: UnixMillis) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            let contact = match new.caller.as_deref().filter(|c| is_lookup_number(c)) {
                Some(phone) => Some(contact_for_phone!(&mut *tx, phone, at)),
                None => None,
            };
            let id = insert_ticket!(&mut *tx, None::<i64>, contact, new, at);
            let detail = serde_json::json!({ "channel": new.channel, "offline": new.offline });
            add_history!(&mut *tx, id, at, actor, "created", detail);
            tx.commit().await.map_err(classify)?;
            Ok(id)
        })
    }

    /// One ticket with its caller record, history and attachments.
    pub async fn ticket(&self, id: i64) -> Result<Option<TicketDetail>, StoreError> {
        let Some(ticket) = self.ticket_row(id).await? else {
            return Ok(None);
        };
        let contact = match ticket.contact_id {
            Some(c) => self.contact(c).await?,
            None => None,
        };
        let (history, attachments) = on_pool!(self, pool => {
            let rows = sqlx::query("SELECT at, actor, action, detail FROM ticket_history WHERE ticket_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(pool)
                .await
                .map_err(classify)?;
            let history = rows.iter().map(history_from_row).collect::<Result<Vec<_>, _>>()?;
            let rows = sqlx::query(concat!(select_attachments!(), " WHERE ticket_id = $1 ORDER BY id"))
                .bind(id)
                .fetch_all(pool)
                .await
                .map_err(classify)?;
            let attachments = rows.iter().map(attachment_from_row).collect::<Result<Vec<_>, _>>()?;
            (history, attachments)
        });
        Ok(Some(TicketDetail { ticket, contact, history, attachments }))
    }

    /// The ticket opened for a call, if any [CRM-1].
    pub async fn ticket_id_of_call(&self, call: CallId) -> Result<Option<i64>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM tickets WHERE call_id = $1")
                .bind(call.0)
                .fetch_optional(pool)
                .await
                .map_err(classify)
        })
    }

    /// The ticket row alone.
    pub async fn ticket_row(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(concat!(select_tickets!(), " WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(ticket_from_row).transpose()
        })
    }

    /// Tickets matching `filter`, newest first (a caller's earlier tickets for the pop,
    /// the off-line work list).
    pub async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let limit = i64::from(filter.limit.clamp(1, 1000));
        let offline = filter.offline.map(i64::from);
        on_pool!(self, pool => {
            let rows = sqlx::query(concat!(
                select_tickets!(),
                " WHERE ($1 IS NULL OR caller = $1) AND ($2 IS NULL OR state = $2) AND ($3 IS NULL OR offline = $3)",
                " ORDER BY created_at DESC, id DESC LIMIT $4"
            ))
            .bind(filter.caller.as_deref())
            .bind(filter.state.map(TicketState::as_str))
            .bind(offline)
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            rows.iter().map(ticket_from_row).collect()
        })
    }

    /// Applies a change by `actor`: the state change is checked against Annex A (with the
    /// fields it needs), every changed field lands in the history, and the instants
    /// (taken, resolved, closed) follow the state [CRM-6, CRM-11].
    pub async fn update_ticket(&self, id: i64, patch: &TicketPatch, actor: &str, at: UnixMillis) -> Result<Ticket, StoreError> {
        let Some(current) = self.ticket_row(id).await? else {
            return Err(StoreError::UnknownTicket(id));
        };
        let mut next = current.clone();
        let mut changes = serde_json::Map::new();
        let mut set = |name: &str, field: &mut Option<String>, value: &Option<String>| {
            if let Some(v) = value
                && field.as_deref() != Some(v.as_str())
            {
                changes.insert(name.to_owned(), serde_json::json!({ "from": field.clone(), "to": v }));
                *field = Some(v.clone());
            }
        };
        set("category", &mut next.category, &patch.category);
        set("description", &mut next.description, &patch.description);
        set("outcome", &mut next.outcome, &patch.outcome);
        set("agent", &mut next.agent, &patch.agent);
        set("office", &mut next.office, &patch.office);
        set("reject_reason", &mut next.reject_reason, &patch.reject_reason);
        set("suggested_office", &mut next.suggested_office, &patch.suggested_office);
        set("answer", &mut next.answer, &patch.answer);
        if let Some(p) = &patch.priority
            && *p != next.priority
        {
            changes.insert("priority".into(), serde_json::json!({ "from": next.priority, "to": p }));
            next.priority.clone_from(p);
        }
        let mut level = patch.level;
        if let Some(to) = patch.state {
            let from = TicketState::parse(&current.state).ok_or(StoreError::Corrupt { column: "state", value: current.state.clone() })?;
            let fields = TransitionFields {
                reason: next.reject_reason.as_deref().filter(|_| patch.reject_reason.is_some()),
                office: next.office.as_deref(),
                answer: next.answer.as_deref(),
            };
            from.check_transition(to, &fields)?;
            changes.insert("state".into(), serde_json::json!({ "from": from.as_str(), "to": to.as_str() }));
            next.state = to.as_str().to_owned();
            level = level.or(to.implied_level());
            match to {
                TicketState::ResolvedLevel1 => next.resolved_at = next.resolved_at.or(Some(at)),
                TicketState::Closed => {
                    next.resolved_at = next.resolved_at.or(Some(at));
                    next.closed_at = Some(at);
                }
                TicketState::Open if from == TicketState::Closed => next.closed_at = None,
                _ => {}
            }
            if next.taken_at.is_none() && to != TicketState::Open {
                next.taken_at = Some(at);
            }
        }
        if let Some(l) = level
            && l != next.level
        {
            changes.insert("level".into(), serde_json::json!({ "from": next.level, "to": l }));
            next.level = l;
        }
        if changes.is_empty() {
            return Ok(current);
        }
        next.updated_at = at;
        let action = if patch.state.is_some() { "state" } else { "updated" };
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            sqlx::query(
                "UPDATE tickets SET state = $2, category = $3, priority = $4, description = $5, outcome = $6, \
                 level = $7, agent = $8, office = $9, reject_reason = $10, suggested_office = $11, answer = $12, \
                 updated_at = $13, taken_at = $14, resolved_at = $15, closed_at = $16 WHERE id = $1",
            )
            .bind(id)
            .bind(next.state.as_str())
            .bind(next.category.as_deref())
            .bind(next.priority.as_str())
            .bind(next.description.as_deref())
            .bind(next.outcome.as_deref())
            .bind(i64::from(next.level))
            .bind(next.agent.as_deref())
            .bind(next.office.as_deref())
            .bind(next.reject_reason.as_deref())
            .bind(next.suggested_office.as_deref())
            .bind(next.answer.as_deref())
            .bind(at.as_millis())
            .bind(next.taken_at.map(UnixMillis::as_millis))
            .bind(next.resolved_at.map(UnixMillis::as_millis))
            .bind(next.closed_at.map(UnixMillis::as_millis))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            add_history!(&mut *tx, id, at, actor, action, serde_json::Value::Object(changes));
            tx.commit().await.map_err(classify)?;
        });
        Ok(next)
    }

    /// Marks an off-line ticket as taken in charge by `agent` (the claim of a work item).
    pub async fn take_ticket(&self, id: i64, agent: &str, at: UnixMillis) -> Result<Ticket, StoreError> {
        let patch = TicketPatch { agent: Some(agent.to_owned()), ..TicketPatch::default() };
        let mut ticket = self.update_ticket(id, &patch, agent, at).await?;
        if ticket.taken_at.is_none() {
            on_pool!(self, pool => {
                sqlx::query("UPDATE tickets SET taken_at = $2 WHERE id = $1 AND taken_at IS NULL")
                    .bind(id)
                    .bind(at.as_millis())
                    .execute(pool)
                    .await
                    .map_err(classify)?;
            });
            ticket.taken_at = Some(at);
        }
        Ok(ticket)
    }

    /// Adds a history entry without changing fields (a note, a transfer, a callback).
    pub async fn add_ticket_history(&self, id: i64, actor: &str, action: &str, detail: serde_json::Value, at: UnixMillis) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            if !ticket_exists!(&mut *tx, id) {
                return Err(StoreError::UnknownTicket(id));
            }
            add_history!(&mut *tx, id, at, actor, action, detail);
            tx.commit().await.map_err(classify)?;
        });
        Ok(())
    }

    /// Attaches a stored file to a ticket [CRM-3].
    pub async fn add_attachment(&self, ticket: i64, new: &NewAttachment, actor: &str, at: UnixMillis) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            if !ticket_exists!(&mut *tx, ticket) {
                return Err(StoreError::UnknownTicket(ticket));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ticket_attachments (ticket_id, kind, name, path, mime, size, sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(ticket)
            .bind(new.kind.as_str())
            .bind(new.name.as_str())
            .bind(new.path.as_str())
            .bind(new.mime.as_str())
            .bind(new.size)
            .bind(new.sha256.as_str())
            .bind(at.as_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(classify)?;
            let detail = serde_json::json!({ "attachment": id, "kind": new.kind, "name": new.name, "sha256": new.sha256 });
            add_history!(&mut *tx, ticket, at, actor, "attachment", detail);
            tx.commit().await.map_err(classify)?;
            Ok(id)
        })
    }

    /// One attachment (for download).
    pub async fn attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(concat!(select_attachments!(), " WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(attachment_from_row).transpose()
        })
    }

    /// One caller record.
    pub async fn contact(&self, id: i64) -> Result<Option<Contact>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(concat!(select_contacts!(), " WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(contact_from_row).transpose()
        })
    }

    /// The caller record of a number, if any [CRM-2].
    pub async fn contact_by_phone(&self, phone: &str) -> Result<Option<Contact>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(concat!(select_contacts!(), " WHERE phone = $1"))
                .bind(phone)
                .fetch_optional(pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(contact_from_row).transpose()
        })
    }

    /// Updates a caller record's name, e-mail and notes (`None` leaves a field).
    pub async fn update_contact(&self, id: i64, name: Option<&str>, email: Option<&str>, notes: Option<&str>, at: UnixMillis) -> Result<Contact, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE contacts SET name = COALESCE($2, name), email = COALESCE($3, email), \
                 notes = COALESCE($4, notes), updated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(name)
            .bind(email)
            .bind(notes)
            .bind(at.as_millis())
            .execute(pool)
            .await
            .map_err(classify)?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::Rejected(sqlx::Error::RowNotFound));
        }
        self.contact(id).await?.ok_or(StoreError::Rejected(sqlx::Error::RowNotFound))
    }
}

/// Whether a caller id is worth a caller record (not anonymous, not empty).
fn is_lookup_number(caller: &str) -> bool {
    let c = caller.trim();
    !c.is_empty() && !c.eq_ignore_ascii_case("anonymous") && !c.eq_ignore_ascii_case("unknown")
}

fn ticket_from_row<R>(row: &R) -> Result<Ticket, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let at = |column: &'static str| -> Result<Option<UnixMillis>, StoreError> { Ok(get::<Option<i64>, R>(row, column)?.map(UnixMillis::from_millis)) };
    let state = parse_opt(row, "state", TicketState::parse)?.ok_or(StoreError::Corrupt { column: "state", value: String::new() })?;
    let level: i64 = get(row, "level")?;
    Ok(Ticket {
        id: get(row, "id")?,
        call_id: get(row, "call_id")?,
        contact_id: get(row, "contact_id")?,
        channel: get(row, "channel")?,
        caller: get(row, "caller")?,
        state: state.as_str().to_owned(),
        category: get(row, "category")?,
        priority: get(row, "priority")?,
        description: get(row, "description")?,
        outcome: get(row, "outcome")?,
        level: u8::try_from(level).map_err(|_| StoreError::Corrupt { column: "level", value: level.to_string() })?,
        agent: get(row, "agent")?,
        office: get(row, "office")?,
        reject_reason: get(row, "reject_reason")?,
        suggested_office: get(row, "suggested_office")?,
        answer: get(row, "answer")?,
        offline: get::<i64, R>(row, "offline")? != 0,
        created_at: UnixMillis::from_millis(get(row, "created_at")?),
        updated_at: UnixMillis::from_millis(get(row, "updated_at")?),
        taken_at: at("taken_at")?,
        resolved_at: at("resolved_at")?,
        closed_at: at("closed_at")?,
        due_at: at("due_at")?,
    })
}

fn history_from_row<R>(row: &R) -> Result<TicketHistoryEntry, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let detail: String = get(row, "detail")?;
    Ok(TicketHistoryEntry {
        at: UnixMillis::from_millis(get(row, "at")?),
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        detail: serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt { column: "detail", value: detail.clone() })?,
    })
}

fn attachment_from_row<R>(row: &R) -> Result<Attachment, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Attachment {
        id: get(row, "id")?,
        ticket_id: get(row, "ticket_id")?,
        kind: get(row, "kind")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        mime: get(row, "mime")?,
        size: get(row, "size")?,
        sha256: get(row, "sha256")?,
        created_at: UnixMillis::from_millis(get(row, "created_at")?),
    })
}

fn contact_from_row<R>(row: &R) -> Result<Contact, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Contact {
        id: get(row, "id")?,
        phone: get(row, "phone")?,
        name: get(row, "name")?,
        email: get(row, "email")?,
        notes: get(row, "notes")?,
        created_at: UnixMillis::from_millis(get(row, "created_at")?),
        updated_at: UnixMillis::from_millis(get(row, "updated_at")?),
    })
}
