//! Dial plan: which destination a dialled number reaches, by the caller's origin
//! (a trunk or a registered agent) [TEL-4, TEL-1].

use std::fmt;
use std::str::FromStr;

/// Where a call comes from, as far as routing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A trusted trunk peer (carrier or PBX), by index in the trunk table.
    Trunk(usize),
    /// An authenticated, registered agent.
    Agent,
}

/// The class of origin a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginClass {
    /// Any trunk.
    AnyTrunk,
    /// One named trunk, by index.
    Trunk(usize),
    /// Registered agents.
    Agent,
}

impl OriginClass {
    /// Does a call from `origin` belong to this class?
    pub fn admits(self, origin: Origin) -> bool {
        match (self, origin) {
            (OriginClass::AnyTrunk, Origin::Trunk(_)) => true,
            (OriginClass::Trunk(a), Origin::Trunk(b)) => a == b,
            (OriginClass::Agent, Origin::Agent) => true,
            _ => false,
        }
    }
}

/// What a matching route does with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Ring every registered contact of the agent whose extension was dialled.
    Agent,
    /// Send the call out through a trunk (by index), keeping the dialled number.
    Trunk(usize),
    /// Answered by the engine itself and handled by the named service (config
    /// `to = "service:NAME"`; the runtime knows which names exist) [IVR-1].
    Service(String),
    /// Answered by the engine and queued in the named ACD queue (config
    /// `to = "queue:NAME"`) [ACD-1, ACD-7].
    Queue(String),
    /// Answered by the engine and handed to the named IVR script (config
    /// `to = "ivr:NAME"`) [IVR-1].
    Ivr(String),
}

/// A set of dialled numbers: a decimal range of fixed width, or one exact number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberPattern {
    /// `lo`–`hi` inclusive; matches digit strings of exactly `width` digits.
    Range { lo: u64, hi: u64, width: usize },
    /// Exactly this string.
    Exact(String),
}

/// Why a number pattern could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty number pattern")]
    Empty,
    #[error("range bounds must be digit strings of the same length: {0:?}")]
    BadRange(String),
    #[error("range start is above its end: {0:?}")]
    Reversed(String),
    #[error("a number may contain only digits, '+', '*' and '#': {0:?}")]
    BadNumber(String),
}

impl FromStr for NumberPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PatternError::Empty);
        }
        if let Some((lo, hi)) = s.split_once('-') {
            let (lo, hi) = (lo.trim(), hi.trim());
            let digits = |x: &str| !x.is_empty() && x.len() <= 18 && x.bytes().all(|b| b.is_ascii_digit());
            if !digits(lo) || !digits(hi) || lo.len() != hi.len() {
                return Err(PatternError::BadRange(s.to_owned()));
            }
            let (l, h) = (lo.parse::<u64>(), hi.parse::<u64>());
            let (Ok(l), Ok(h)) = (l, h) else { return Err(PatternError::BadRange(s.to_owned())) };
            if l > h {
                return Err(PatternError::Reversed(s.to_owned()));
            }
            return Ok(NumberPattern::Range { lo: l, hi: h, width: lo.len() });
        }
        if s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'*' | b'#')) {
            Ok(NumberPattern::Exact(s.to_owned()))
        } else {
            Err(PatternError::BadNumber(s.to_owned()))
        }
    }
}

impl fmt::Display for NumberPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberPattern::Range { lo, hi, width } => write!(f, "{lo:0width$}-{hi:0width$}"),
            NumberPattern::Exact(s) => f.write_str(s),
        }
    }
}

impl NumberPattern {
    /// Does the dialled `number` fall in this pattern?
    pub fn matches(&self, number: &str) -> bool {
        match self {
            NumberPattern::Range { lo, hi, width } => {
                number.len() == *width
                    && number.bytes().all(|b| b.is_ascii_digit())
                    && number.parse::<u64>().is_ok_and(|n| n >= *lo && n <= *hi)
            }
            NumberPattern::Exact(s) => s == number,
        }
    }
}

/// One dial-plan rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub numbers: NumberPattern,
    pub from: Vec<OriginClass>,
    pub to: Destination,
}

/// The ordered rules; the first that matches decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialPlan {
    pub routes: Vec<Route>,
}

impl DialPlan {
    /// The destination for `number` dialled from `origin`, if any rule admits it.
    pub fn route(&self, number: &str, origin: Origin) -> Option<&Destination> {
        self.routes
            .iter()
            .find(|r| r.numbers.matches(number) && r.from.iter().any(|c| c.admits(origin)))
            .map(|r| &r.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> DialPlan {
        DialPlan {
            routes: vec![
                Route {
                    numbers: "2001-2020".parse().unwrap(),
                    from: vec![OriginClass::AnyTrunk, OriginClass::Agent],
                    to: Destination::Agent,
                },
                Route {
                    numbers: "3000-3999".parse().unwrap(),
                    from: vec![OriginClass::AnyTrunk, OriginClass::Agent],
                    to: Destination::Trunk(1),
                },
            ],
        }
    }

    #[test]
    fn agent_extensions_route_to_agents() {
        let plan = demo();
        assert_eq!(plan.route("2001", Origin::Trunk(0)), Some(&Destination::Agent));
        assert_eq!(plan.route("2020", Origin::Agent), Some(&Destination::Agent));
        assert_eq!(plan.route("2021", Origin::Trunk(0)), None);
        assert_eq!(plan.route("02001", Origin::Trunk(0)), None);
    }

    #[test]
    fn internal_offices_go_out_to_the_pbx_tel_4() {
        let plan = demo();
        assert_eq!(plan.route("3456", Origin::Trunk(0)), Some(&Destination::Trunk(1)));
        assert_eq!(plan.route("3456", Origin::Agent), Some(&Destination::Trunk(1)));
        assert_eq!(plan.route("4000", Origin::Agent), None);
    }

    #[test]
    fn origin_classes_are_respected() {
        let plan = DialPlan {
            routes: vec![Route {
                numbers: "800904277".parse().unwrap(),
                from: vec![OriginClass::Trunk(0)],
                to: Destination::Agent,
            }],
        };
        assert!(plan.route("800904277", Origin::Trunk(0)).is_some());
        assert!(plan.route("800904277", Origin::Trunk(1)).is_none());
        assert!(plan.route("800904277", Origin::Agent).is_none());
    }

    #[test]
    fn services_are_destinations_too_ivr_1() {
        let plan = DialPlan {
            routes: vec![Route {
                numbers: "9001".parse().unwrap(),
                from: vec![OriginClass::AnyTrunk],
                to: Destination::Service("dtmf-test".into()),
            }],
        };
        assert_eq!(plan.route("9001", Origin::Trunk(1)), Some(&Destination::Service("dtmf-test".into())));
        assert_eq!(plan.route("9001", Origin::Agent), None);
    }

    #[test]
    fn patterns_parse_and_reject_nonsense() {
        assert_eq!("2001-2020".parse::<NumberPattern>().unwrap().to_string(), "2001-2020");
        assert_eq!("0001-0009".parse::<NumberPattern>().unwrap().to_string(), "0001-0009");
        assert!(matches!("20-2020".parse::<NumberPattern>(), Err(PatternError::BadRange(_))));
        assert!(matches!("2020-2001".parse::<NumberPattern>(), Err(PatternError::Reversed(_))));
        assert!(matches!("abc".parse::<NumberPattern>(), Err(PatternError::BadNumber(_))));
        assert!(matches!(" ".parse::<NumberPattern>(), Err(PatternError::Empty)));
        assert!("0001-0009".parse::<NumberPattern>().unwrap().matches("0005"));
        assert!(!"0001-0009".parse::<NumberPattern>().unwrap().matches("5"));
    }
}
