//! Trunks to the green-number carrier and the PBX gateway: who is a trusted peer, and
//! which outbound address is alive, probed by OPTIONS keepalives [TEL-1, TEL-2].
//!
//! Sans-IO: the shell sends the OPTIONS this module asks for and reports each answer.
//! A destination whose previous probe is still unanswered when the next one is due is
//! marked down, so outbound calls move to the backup within one probe interval of the
//! primary going silent [TEL-2].

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// One trunk as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkConfig {
    pub name: String,
    /// Source addresses trusted without digest.
    pub allow: Vec<IpAddr>,
    /// Outbound destinations, primary first.
    pub outbound: Vec<SocketAddr>,
    /// OPTIONS keepalive period; `None` disables probing.
    pub options_interval: Option<Duration>,
}

/// Index of a trunk in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrunkId(pub usize);

/// A keepalive the shell must send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub trunk: TrunkId,
    pub destination: SocketAddr,
}

/// What the monitor believes about one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not probed yet (treated as usable).
    Unknown,
    Up,
    Down,
}

/// A change of health, for logs, metrics and CTI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthChange {
    pub trunk: TrunkId,
    pub destination: SocketAddr,
    pub health: Health,
}

#[derive(Debug)]
struct DestinationState {
    address: SocketAddr,
    health: Health,
    next_probe: Option<Instant>,
    outstanding: bool,
}

#[derive(Debug)]
struct TrunkState {
    config: TrunkConfig,
    destinations: Vec<DestinationState>,
}

/// The trunk table and the health of every outbound destination.
#[derive(Debug)]
pub struct Trunks {
    trunks: Vec<TrunkState>,
    changes: Vec<HealthChange>,
}

impl Trunks {
    /// A table whose first probes are due at `now`.
    pub fn new(configs: Vec<TrunkConfig>, now: Instant) -> Self {
        let trunks = configs
            .into_iter()
            .map(|config| TrunkState {
                destinations: config
                    .outbound
                    .iter()
                    .map(|&address| DestinationState {
                        address,
                        health: Health::Unknown,
                        next_probe: config.options_interval.map(|_| now),
                        outstanding: false,
                    })
                    .collect(),
                config,
            })
            .collect();
        Trunks { trunks, changes: Vec::new() }
    }

    /// The trunk a request from `source` belongs to (its IP is on an allow list).
    pub fn classify(&self, source: IpAddr) -> Option<TrunkId> {
        self.trunks.iter().position(|t| t.config.allow.contains(&source)).map(TrunkId)
    }

    /// A trunk's index by name.
    pub fn by_name(&self, name: &str) -> Option<TrunkId> {
        self.trunks.iter().position(|t| t.config.name == name).map(TrunkId)
    }

    pub fn config(&self, id: TrunkId) -> Option<&TrunkConfig> {
        self.trunks.get(id.0).map(|t| &t.config)
    }

    pub fn len(&self) -> usize {
        self.trunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.trunks.is_empty()
    }

    /// Outbound destinations in the order a new call should try them: those not known
    /// to be down first (primary before backup), then the down ones as a last resort.
    pub fn destinations(&self, id: TrunkId) -> Vec<SocketAddr> {
        let Some(t) = self.trunks.get(id.0) else { return Vec::new() };
        let alive = t.destinations.iter().filter(|d| d.health != Health::Down);
        let down = t.destinations.iter().filter(|d| d.health == Health::Down);
        alive.chain(down).map(|d| d.address).collect()
    }

    pub fn health(&self, id: TrunkId, destination: SocketAddr) -> Option<Health> {
        self.trunks.get(id.0)?.destinations.iter().find(|d| d.address == destination).map(|d| d.health)
    }

    /// Probes due at `now`; marks down the destinations whose last probe went unanswered.
    pub fn poll_probe(&mut self, now: Instant) -> Option<Probe> {
        for (ti, t) in self.trunks.iter_mut().enumerate() {
            let Some(interval) = t.config.options_interval else { continue };
            for d in &mut t.destinations {
                if d.next_probe.is_some_and(|at| at <= now) {
                    if d.outstanding && d.health != Health::Down {
                        d.health = Health::Down;
                        self.changes.push(HealthChange {
                            trunk: TrunkId(ti),
                            destination: d.address,
                            health: Health::Down,
                        });
                    }
                    d.outstanding = true;
                    d.next_probe = Some(now + interval);
                    return Some(Probe { trunk: TrunkId(ti), destination: d.address });
                }
            }
        }
        None
    }

    /// Any answer to a probe (even 404 or 405) proves the peer is alive.
    pub fn handle_probe_answer(&mut self, probe: Probe) {
        self.set_health(probe.trunk, probe.destination, Health::Up);
    }

    /// Traffic other than probes also proves (or disproves) a destination: a call's
    /// INVITE answered, or timed out / failed at the transport.
    pub fn handle_call_result(&mut self, trunk: TrunkId, destination: SocketAddr, answered: bool) {
        self.set_health(trunk, destination, if answered { Health::Up } else { Health::Down });
    }

    /// When `poll_probe` next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.trunks.iter().flat_map(|t| t.destinations.iter()).filter_map(|d| d.next_probe).min()
    }

    /// Health changes since the last call, oldest first.
    pub fn poll_change(&mut self) -> Option<HealthChange> {
        if self.changes.is_empty() { None } else { Some(self.changes.remove(0)) }
    }

    fn set_health(&mut self, trunk: TrunkId, destination: SocketAddr, health: Health) {
        let Some(t) = self.trunks.get_mut(trunk.0) else { return };
        let Some(d) = t.destinations.iter_mut().find(|d| d.address == destination) else { return };
        if health == Health::Up {
            d.outstanding = false;
        }
        if d.health != health {
            d.health = health;
            self.changes.push(HealthChange { trunk, destination, health });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrier() -> TrunkConfig {
        TrunkConfig {
            name: "carrier".into(),
            allow: vec!["127.0.0.11".parse().unwrap(), "127.0.0.12".parse().unwrap()],
            outbound: vec!["127.0.0.11:5060".parse().unwrap(), "127.0.0.12:5060".parse().unwrap()],
            options_interval: Some(Duration::from_secs(5)),
        }
    }

    fn drain(t: &mut Trunks, now: Instant) -> Vec<Probe> {
        std::iter::from_fn(|| t.poll_probe(now)).collect()
    }

    #[test]
    fn classify_by_source_address() {
        let t = Trunks::new(vec![carrier()], Instant::now());
        assert_eq!(t.classify("127.0.0.12".parse().unwrap()), Some(TrunkId(0)));
        assert_eq!(t.classify("127.0.0.99".parse().unwrap()), None);
        assert_eq!(t.by_name("carrier"), Some(TrunkId(0)));
    }

    #[test]
    fn tel_2_primary_silent_fails_over_within_one_interval() {
        let t0 = Instant::now();
        let mut t = Trunks::new(vec![carrier()], t0);
        let primary: SocketAddr = "127.0.0.11:5060".parse().unwrap();
        let backup: SocketAddr = "127.0.0.12:5060".parse().unwrap();
        // First round: both probed, both answer.
        let probes = drain(&mut t, t0);
        assert_eq!(probes.len(), 2);
        for p in probes {
            t.handle_probe_answer(p);
        }
        assert_eq!(t.destinations(TrunkId(0)), vec![primary, backup]);
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(5)));
        // Second round: the primary goes silent, the backup answers.
        let t1 = t0 + Duration::from_secs(5);
        for p in drain(&mut t, t1) {
            if p.destination == backup {
                t.handle_probe_answer(p);
            }
        }
        assert_eq!(t.destinations(TrunkId(0)), vec![primary, backup], "one lost probe is not yet a failure");
        // Third round, one interval later: the primary's probe is still unanswered.
        let t2 = t1 + Duration::from_secs(5);
        let probes = drain(&mut t, t2);
        assert_eq!(t.health(TrunkId(0), primary), Some(Health::Down));
        assert_eq!(t.destinations(TrunkId(0)), vec![backup, primary]);
        assert!(t.poll_change().is_some_and(|c| c.health == Health::Up));
        // The primary comes back.
        for p in probes {
            t.handle_probe_answer(p);
        }
        assert_eq!(t.destinations(TrunkId(0)), vec![primary, backup]);
    }

    #[test]
    fn tel_2_failed_call_marks_destination_down() {
        let t0 = Instant::now();
        let mut t = Trunks::new(vec![carrier()], t0);
        let primary: SocketAddr = "127.0.0.11:5060".parse().unwrap();
        t.handle_call_result(TrunkId(0), primary, false);
        assert_eq!(t.destinations(TrunkId(0))[0], "127.0.0.12:5060".parse::<SocketAddr>().unwrap());
    }

    #[test]
    fn no_probing_without_interval() {
        let mut cfg = carrier();
        cfg.options_interval = None;
        let mut t = Trunks::new(vec![cfg], Instant::now());
        assert_eq!(t.poll_timeout(), None);
        assert_eq!(t.poll_probe(Instant::now()), None);
    }
}
