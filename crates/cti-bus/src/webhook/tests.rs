//! Webhook delivery tests against a scripted loopback HTTP server: order, signatures,
//! retries after 5xx, timeouts and refused connections, store outages and restarts
//! [CRM-9, CTI-3].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::schema::{CallEnded, CallOffered, Direction, Payload};

/// Generous bound for anything a test waits for.
const WAIT: Duration = Duration::from_secs(10);

/// What the server does with the n-th request (0-based).
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Never answers (the client times out).
    Hang,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
    status: Option<u16>,
}

impl Seen {
    fn delivery(&self) -> u64 {
        self.headers["x-centralino-delivery"].parse().unwrap()
    }
    fn seq(&self) -> u64 {
        serde_json::from_str::<CtiEvent>(&self.body).unwrap().seq
    }
}

/// A loopback HTTP/1.1 server answering by script, one request per connection.
struct Server {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), script)
    }

    fn on(
        listener: TcpListener,
        script: impl Fn(usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (script, log) = (Arc::clone(&script), Arc::clone(&log));
                tokio::spawn(async move { serve(stream, &*script, &log).await });
            }
        });
        Server { addr, seen, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests answered 2xx, in arrival order.
    fn accepted(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.status.is_some_and(|c| (200..300).contains(&c)))
            .collect()
    }

    /// Waits until `n` requests were answered 2xx.
    async fn wait_accepted(&self, n: usize) -> Vec<Seen> {
        wait_for(|| self.accepted().len() >= n).await;
        self.accepted()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request, records it, answers by script and closes.
async fn serve(
    mut stream: TcpStream,
    script: &(dyn Fn(usize) -> Reply + Send + Sync),
    log: &Mutex<Vec<Seen>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    let index = {
        let mut log = log.lock().unwrap();
        log.push(Seen {
            path,
            headers,
            body,
            status: None,
        });
        log.len() - 1
    };
    match script(index) {
        Reply::Hang => tokio::time::sleep(WAIT).await,
        Reply::Status(code) => {
            let response =
                format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if stream.write_all(response.as_bytes()).await.is_ok() {
                log.lock().unwrap()[index].status = Some(code);
            }
            let _ = stream.shutdown().await;
        }
    }
}

/// Polls `done` every 5 ms until true; fails the test after [`WAIT`].
async fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "condition not reached in {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn config(name: &str, url: String) -> WebhookConfig {
    WebhookConfig {
        timeout: Duration::from_millis(300),
        retry_initial: Duration::from_millis(10),
        retry_max: Duration::from_millis(40),
        ..WebhookConfig::new(name, url, "s3cret")
    }
}

fn offered(n: u64) -> CallOffered {
    CallOffered {
        channel: "verde".into(),
        from: Some(format!("333000{n:04}")),
        to: "800123456".into(),
        direction: Direction::In,
        queue: None,
        waited_seconds: n,
    }
}

/// A port nothing listens on (bound, then released).
async fn free_port() -> std::net::SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Asserts `seen` is `want` seqs in order, each signed with `secret` and labelled.
fn assert_in_order_and_signed(seen: &[Seen], want: &[u64]) {
    let seqs: Vec<u64> = seen.iter().map(Seen::seq).collect();
    assert_eq!(seqs, want, "every event once, in order");
    for s in seen {
        assert!(
            verify(
                b"s3cret",
                s.body.as_bytes(),
                &s.headers["x-centralino-signature"]
            ),
            "signature of {}",
            s.body
        );
        let event: CtiEvent = serde_json::from_str(&s.body).unwrap();
        assert_eq!(s.headers["x-centralino-event"], event.kind);
        assert_eq!(s.headers["content-type"], "application/json");
    }
    let ids: Vec<u64> = seen.iter().map(Seen::delivery).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "delivery ids increase: {ids:?}"
    );
}

/// Delivery ids of every request, including failed ones, never go backwards once a
/// later id was tried: head-of-line, no skipping ahead.
fn assert_no_skip_ahead(seen: &[Seen]) {
    let ids: Vec<u64> = seen.iter().map(Seen::delivery).collect();
    assert!(
        ids.windows(2).all(|w| w[0] <= w[1]),
        "attempts in outbox order: {ids:?}"
    );
}

#[tokio::test]
async fn crm_9_cti_3_events_arrive_in_order_signed_after_5xx_answers() {
    let server = Server::start(|n| {
        if n < 3 {
            Reply::Status(500)
        } else {
            Reply::Status(204)
        }
    })
    .await;
    let bus = CtiBus::new(8);
    let outbox = Arc::new(MemoryOutbox::new());
    let hooks = spawn_webhooks(
        &bus,
        Arc::clone(&outbox),
        vec![config("crm", server.url("/hook"))],
    );
    let seqs: Vec<u64> = (1..=10).map(|n| bus.emit(Some(n), &offered(n))).collect();

    let accepted = server.wait_accepted(10).await;
    assert_in_order_and_signed(&accepted, &seqs);
    assert_no_skip_ahead(&server.seen());
    let first = &server.seen()[0];
    assert_eq!(first.path, "/hook");
    assert_eq!(
        first.delivery(),
        accepted[0].delivery(),
        "a retry reuses the delivery id"
    );
    let event: CtiEvent = serde_json::from_str(&accepted[0].body).unwrap();
    assert_eq!((event.v, event.call), (1, Some(1)));
    assert_eq!(
        (
            event.data["channel"].as_str(),
            event.data["waited_seconds"].as_u64()
        ),
        (Some("verde"), Some(1))
    );

    wait_for(|| hooks.stats().endpoints[0].pending == 0).await;
    let stats = hooks.stats();
    let ep = &stats.endpoints[0];
    assert_eq!(
        (ep.delivered, ep.retries, ep.rejected, ep.lost, ep.failing),
        (10, 3, 0, 0, false)
    );
    assert_eq!((stats.lagged, stats.outbox_errors), (0, 0));
    assert!(outbox.records().iter().all(|r| r.delivered));
    assert_eq!(outbox.records()[0].entry.attempts, 3);
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_an_endpoint_down_then_up_gets_every_event_in_order() {
    let addr = free_port().await;
    let bus = CtiBus::new(8);
    let outbox = Arc::new(MemoryOutbox::new());
    let hooks = spawn_webhooks(
        &bus,
        Arc::clone(&outbox),
        vec![config("crm", format!("http://{addr}/"))],
    );
    let mut seqs: Vec<u64> = (1..=5).map(|n| bus.emit(Some(n), &offered(n))).collect();
    wait_for(|| hooks.stats().endpoints[0].retries >= 3).await;
    let stats = hooks.stats();
    assert_eq!(
        (stats.endpoints[0].delivered, stats.endpoints[0].pending),
        (0, 5)
    );
    assert!(stats.endpoints[0].failing);

    let server = Server::on(TcpListener::bind(addr).await.unwrap(), |_| {
        Reply::Status(200)
    });
    seqs.extend((6..=8).map(|n| bus.emit(Some(n), &offered(n))));
    let accepted = server.wait_accepted(8).await;
    assert_in_order_and_signed(&accepted, &seqs);
    assert_eq!(
        server.seen().len(),
        8,
        "nothing sent twice once the endpoint is up"
    );
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_a_timeout_is_retried_with_the_same_delivery_id_and_nothing_skips_ahead() {
    let server = Server::start(|n| {
        if n == 0 {
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let bus = CtiBus::new(8);
    let outbox = Arc::new(MemoryOutbox::new());
    let hooks = spawn_webhooks(
        &bus,
        Arc::clone(&outbox),
        vec![config("crm", server.url("/"))],
    );
    let seqs: Vec<u64> = (1..=3).map(|n| bus.emit(Some(n), &offered(n))).collect();
    let accepted = server.wait_accepted(3).await;
    assert_in_order_and_signed(&accepted, &seqs);
    let seen = server.seen();
    assert_no_skip_ahead(&seen);
    assert_eq!(
        seen[0].delivery(),
        seen[1].delivery(),
        "the timed-out event is sent again first"
    );
    assert_eq!(seen[0].status, None, "never answered");
    assert_eq!(hooks.stats().endpoints[0].retries, 1);
    assert!(
        outbox.records()[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("timed out"))
    );
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_events_pending_across_a_restart_are_delivered_first_and_in_order() {
    let addr = free_port().await;
    let outbox = Arc::new(MemoryOutbox::new());
    let first_run = CtiBus::new(8);
    let hooks = spawn_webhooks(
        &first_run,
        Arc::clone(&outbox),
        vec![config("crm", format!("http://{addr}/"))],
    );
    let old: Vec<u64> = (1..=4)
        .map(|n| first_run.emit(Some(n), &offered(n)))
        .collect();
    wait_for(|| outbox.records().len() == 4 && outbox.records()[0].entry.attempts >= 1).await;
    hooks.stop().await;
    assert!(outbox.records().iter().all(|r| !r.delivered));

    // The engine restarts: a new bus (sequence numbers start again) over the same store.
    let server = Server::on(TcpListener::bind(addr).await.unwrap(), |_| {
        Reply::Status(200)
    });
    let second_run = CtiBus::new(8);
    let hooks = spawn_webhooks(
        &second_run,
        Arc::clone(&outbox),
        vec![config("crm", format!("http://{addr}/"))],
    );
    let new = second_run.emit(Some(99), &offered(99));
    let accepted = server.wait_accepted(5).await;
    let mut want = old.clone();
    want.push(new);
    assert_in_order_and_signed(&accepted, &want);
    let calls: Vec<Option<u64>> = accepted
        .iter()
        .map(|s| serde_json::from_str::<CtiEvent>(&s.body).unwrap().call)
        .collect();
    assert_eq!(
        calls,
        [Some(1), Some(2), Some(3), Some(4), Some(99)],
        "old run's events first"
    );
    wait_for(|| outbox.records().iter().all(|r| r.delivered)).await;
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_a_store_outage_keeps_events_in_memory_and_stores_them_in_order_later() {
    let server = Server::start(|_| Reply::Status(200)).await;
    let bus = CtiBus::new(8);
    let outbox = Arc::new(MemoryOutbox::new());
    outbox.set_available(false);
    let hooks = spawn_webhooks(
        &bus,
        Arc::clone(&outbox),
        vec![config("crm", server.url("/"))],
    );
    let seqs: Vec<u64> = (1..=3).map(|n| bus.emit(Some(n), &offered(n))).collect();
    wait_for(|| hooks.stats().endpoints[0].in_memory == 3).await;
    assert!(hooks.stats().outbox_errors >= 1);
    assert_eq!(hooks.stats().endpoints[0].pending, 3);
    assert!(
        server.seen().is_empty(),
        "nothing is sent before it is stored"
    );

    outbox.set_available(true);
    let accepted = server.wait_accepted(3).await;
    assert_in_order_and_signed(&accepted, &seqs);
    wait_for(|| {
        hooks.stats().endpoints[0].in_memory == 0 && hooks.stats().endpoints[0].pending == 0
    })
    .await;
    assert_eq!(hooks.stats().endpoints[0].lost, 0);
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_a_4xx_rejection_waits_retry_max_and_never_skips_the_event() {
    let server = Server::start(|n| {
        if n < 2 {
            Reply::Status(400)
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let bus = CtiBus::new(8);
    let hooks = spawn_webhooks(
        &bus,
        Arc::new(MemoryOutbox::new()),
        vec![config("crm", server.url("/"))],
    );
    let seqs: Vec<u64> = (1..=2).map(|n| bus.emit(Some(n), &offered(n))).collect();
    let accepted = server.wait_accepted(2).await;
    assert_in_order_and_signed(&accepted, &seqs);
    let seen = server.seen();
    assert_eq!(
        seen.iter().map(Seen::delivery).collect::<Vec<_>>()[..3],
        [accepted[0].delivery(); 3]
    );
    let ep = &hooks.stats().endpoints[0];
    assert_eq!((ep.retries, ep.rejected), (2, 2));
    hooks.stop().await;
}

#[tokio::test]
async fn crm_9_kind_filters_and_the_zammad_format_per_endpoint() {
    let server = Server::start(|_| Reply::Status(200)).await;
    let bus = CtiBus::new(8);
    let zammad = WebhookConfig {
        format: Format::Zammad,
        ..config("zammad", server.url("/zammad"))
    };
    let only_ended = WebhookConfig {
        kinds: Some(vec!["call.ended".into()]),
        ..config("ended", server.url("/ended"))
    };
    let hooks = spawn_webhooks(
        &bus,
        Arc::new(MemoryOutbox::new()),
        vec![zammad, only_ended],
    );
    bus.emit(Some(7), &offered(7));
    bus.publish(
        "dtmf",
        Some(7),
        serde_json::json!({"digit": "1", "via": "rfc4733"}),
    );
    let ended = CallEnded {
        channel: "verde".into(),
        cause: "caller_hangup".into(),
        outcome: Some("abandoned_queue".into()),
        answered: false,
        agent: None,
        agent_name: None,
        queue: Some("verde".into()),
        from: Some("3330000007".into()),
        to: "800123456".into(),
        direction: Direction::In,
        waited_seconds: 50,
        talk_seconds: 0,
        recording: None,
    };
    let ended_seq = bus.emit(Some(7), &ended);
    let accepted = server.wait_accepted(3).await;
    wait_for(|| hooks.stats().endpoints.iter().all(|e| e.pending == 0)).await;
    assert_eq!(
        server.seen().len(),
        3,
        "dtmf goes nowhere, call.offered not to `ended`"
    );

    let to_zammad: Vec<&Seen> = accepted.iter().filter(|s| s.path == "/zammad").collect();
    assert_eq!(to_zammad.len(), 2);
    assert_eq!(
        to_zammad[0].body,
        "event=newCall&from=3330000007&to=800123456&direction=in&callId=7"
    );
    assert_eq!(
        to_zammad[1].body,
        "event=hangup&from=3330000007&to=800123456&direction=in&callId=7&cause=cancel"
    );
    assert_eq!(
        to_zammad[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(to_zammad[1].headers["x-centralino-event"], CallEnded::KIND);
    assert!(to_zammad.iter().all(|s| verify(
        b"s3cret",
        s.body.as_bytes(),
        &s.headers["x-centralino-signature"]
    )));

    let to_ended: Vec<&Seen> = accepted.iter().filter(|s| s.path == "/ended").collect();
    assert_eq!(to_ended.len(), 1);
    assert_eq!(to_ended[0].seq(), ended_seq);
    hooks.stop().await;
}

#[tokio::test]
async fn publishing_never_waits_for_a_stuck_endpoint() {
    let server = Server::start(|_| Reply::Hang).await;
    let bus = CtiBus::new(8);
    let hooks = spawn_webhooks(
        &bus,
        Arc::new(MemoryOutbox::new()),
        vec![config("crm", server.url("/"))],
    );
    let started = Instant::now();
    for n in 0..1000 {
        bus.emit(Some(n), &offered(n));
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "1000 publishes took {:?}",
        started.elapsed()
    );
    wait_for(|| hooks.stats().endpoints[0].pending == 1000).await;
    assert_eq!(hooks.stats().lagged, 0);
    hooks.stop().await;
}

#[test]
fn backoff_doubles_from_initial_and_is_capped() {
    let c = WebhookConfig {
        retry_initial: Duration::from_secs(1),
        retry_max: Duration::from_secs(60),
        ..WebhookConfig::new("x", "http://127.0.0.1/", "k")
    };
    let waits: Vec<u64> = [1, 2, 3, 4, 6, 7, 8, 40, u32::MAX]
        .iter()
        .map(|a| c.backoff(*a).as_secs())
        .collect();
    assert_eq!(waits, [1, 2, 4, 8, 32, 60, 60, 60, 60]);
    assert_eq!(c.backoff(0).as_secs(), 1);
}

#[test]
fn the_config_debug_output_hides_the_secret() {
    let c = WebhookConfig::new("crm", "http://127.0.0.1/", "very-secret");
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("very-secret") && shown.contains("<redacted>"),
        "{shown}"
    );
    assert!(c.accepts("anything"));
    let filtered = WebhookConfig {
        kinds: Some(vec!["call.ended".into()]),
        ..c
    };
    assert!(filtered.accepts("call.ended") && !filtered.accepts("call.offered"));
}
