//! Load-time validation of the ACD configuration: unknown agents and queues, duplicates and impossible values are rejected with the reason [ACD-1..7, TEL-6].

use std::time::{Duration, Instant};

use acd_engine::{
    Acd, AcdConfig, AcdConfigError, AgentConfig, AgentId, ExitAction, QueueConfig, QueueName,
    Strategy,
};

fn base() -> AcdConfig {
    AcdConfig::new(
        vec![
            QueueConfig::new("verde", Strategy::LongestIdle, &["2001"]),
            QueueConfig::new("riserva", Strategy::Linear, &["2001"]),
        ],
        vec![AgentConfig::new("2001", "Anna", 1)],
    )
}

/// A change applied to the base configuration.
type Tune = Box<dyn Fn(&mut AcdConfig)>;

fn load(config: AcdConfig) -> Result<(), AcdConfigError> {
    Acd::new(config, Instant::now()).map(|_| ())
}

#[test]
fn valid_configuration_loads() {
    assert_eq!(load(base()), Ok(()));
}

#[test]
fn unknown_agent_in_a_queue_is_rejected() {
    let mut c = base();
    c.queues[0] = QueueConfig::new("verde", Strategy::LongestIdle, &["2001", "2999"]);
    assert_eq!(
        load(c),
        Err(AcdConfigError::UnknownAgent {
            queue: QueueName::new("verde"),
            agent: AgentId::new("2999")
        })
    );
}

#[test]
fn duplicates_are_rejected() {
    let mut c = base();
    c.agents.push(AgentConfig::new("2001", "Bis", 1));
    assert_eq!(
        load(c),
        Err(AcdConfigError::DuplicateAgent(AgentId::new("2001")))
    );
    let mut c = base();
    c.queues
        .push(QueueConfig::new("verde", Strategy::Linear, &[]));
    assert_eq!(
        load(c),
        Err(AcdConfigError::DuplicateQueue(QueueName::new("verde")))
    );
    let mut c = base();
    c.queues[0] = QueueConfig::new("verde", Strategy::Linear, &["2001", "2001"]);
    assert!(matches!(
        load(c),
        Err(AcdConfigError::DuplicateMember { .. })
    ));
}

#[test]
fn overflow_to_unknown_or_same_queue_is_rejected() {
    let mut c = base();
    c.queues[0].max_wait = Some((
        Duration::from_secs(60),
        ExitAction::Queue(QueueName::new("nowhere")),
    ));
    assert!(matches!(
        load(c),
        Err(AcdConfigError::UnknownTargetQueue { .. })
    ));
    let mut c = base();
    c.queues[0].when_no_agents = Some(ExitAction::Queue(QueueName::new("verde")));
    assert_eq!(
        load(c),
        Err(AcdConfigError::SelfOverflow(QueueName::new("verde")))
    );
}

#[test]
fn impossible_values_are_rejected() {
    let cases: Vec<(&str, Tune)> = vec![
        (
            "ring_timeout",
            Box::new(|c| c.queues[0].ring_timeout = Duration::ZERO),
        ),
        (
            "announce_every",
            Box::new(|c| c.queues[0].announce_every = Some(Duration::ZERO)),
        ),
        ("weight", Box::new(|c| c.queues[0].weight = 0)),
        (
            "required_level",
            Box::new(|c| c.queues[0].required_level = Some(0)),
        ),
        (
            "widen_after",
            Box::new(|c| c.queues[0].widen_after = Some(Duration::from_secs(5))),
        ),
        (
            "max_length",
            Box::new(|c| c.queues[0].max_length = Some((0, ExitAction::Voicemail("1".into())))),
        ),
        (
            "max_wait",
            Box::new(|c| {
                c.queues[0].max_wait = Some((Duration::ZERO, ExitAction::Voicemail("1".into())))
            }),
        ),
        (
            "exit_key",
            Box::new(|c| c.queues[0].exit_key = Some(('x', ExitAction::Voicemail("1".into())))),
        ),
        (
            "initial_handle_time",
            Box::new(|c| c.queues[0].initial_handle_time = Duration::ZERO),
        ),
    ];
    for (field, tune) in cases {
        let mut c = base();
        tune(&mut c);
        match load(c) {
            Err(AcdConfigError::InvalidValue { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let mut c = base();
    c.queues[0].when_no_agents = Some(ExitAction::Callback);
    assert!(matches!(
        load(c),
        Err(AcdConfigError::InvalidValue {
            field: "callback",
            ..
        })
    ));
    let mut c = base();
    c.agents[0].level = 0;
    assert!(matches!(
        load(c),
        Err(AcdConfigError::InvalidAgentLevel { .. })
    ));
    let mut c = base();
    c.external_share_cap_percent = 101;
    assert_eq!(load(c), Err(AcdConfigError::InvalidExternalShare(101)));
}

#[test]
fn errors_name_the_offending_item() {
    let mut c = base();
    c.queues[0].ring_timeout = Duration::ZERO;
    let message = load(c).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "queue verde: ring_timeout must be longer than zero"
    );
}
