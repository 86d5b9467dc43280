//! The `say-position-test` service: answers, says "sei il numero N in coda" with the
//! phrase builder and hangs up when the phrase is over; the system test compares the
//! audio the caller receives with the library's prompts [IVR-5; issue "Media engine"
//! item 7].

use std::time::{Duration, Instant};

use call_control::io::CallInput;
use prompt_phrases::{Language, queue_position};

/// Says one queue position, then hangs up.
#[derive(Debug)]
pub(crate) struct SayPositionService {
    position: u32,
    hangup_at: Option<Instant>,
    done: bool,
}

impl SayPositionService {
    pub(crate) const NAME: &'static str = "say-position-test";
    /// A safety net: the line is hung up this long after the answer whatever happens.
    pub(crate) const MAX_TIME: Duration = Duration::from_secs(30);

    pub(crate) fn new(position: u32) -> Self {
        SayPositionService { position, hangup_at: None, done: false }
    }

    /// The prompts of the phrase, as library paths (`it/sei_il_numero`…).
    pub(crate) fn phrase(&self) -> Vec<String> {
        queue_position(Language::It, self.position).iter().map(|p| p.path()).collect()
    }

    pub(crate) fn on_answered(&mut self, now: Instant) -> Vec<CallInput> {
        self.hangup_at = Some(now + Self::MAX_TIME);
        vec![CallInput::Play { prompts: self.phrase(), barge_in: false }]
    }

    /// The phrase is over (or could not play): hang up.
    pub(crate) fn on_playback_done(&mut self, _completed: bool) -> Vec<CallInput> {
        self.hangup()
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<CallInput> {
        match self.hangup_at {
            Some(at) if now >= at => self.hangup(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.hangup_at.filter(|_| !self.done)
    }

    fn hangup(&mut self) -> Vec<CallInput> {
        if std::mem::replace(&mut self.done, true) {
            return Vec::new();
        }
        self.hangup_at = None;
        vec![CallInput::Hangup]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ivr_5_says_sei_il_numero_3_in_coda_then_hangs_up_once() {
        let t0 = Instant::now();
        let mut s = SayPositionService::new(3);
        let prompts = vec!["it/sei_il_numero".to_owned(), "it/n3".into(), "it/in_coda".into()];
        assert_eq!(s.on_answered(t0), vec![CallInput::Play { prompts, barge_in: false }]);
        assert_eq!(s.poll_timeout(), Some(t0 + SayPositionService::MAX_TIME));
        assert_eq!(s.on_playback_done(true), vec![CallInput::Hangup]);
        assert_eq!(s.poll_timeout(), None);
        assert!(s.on_playback_done(false).is_empty());
        assert!(s.on_timeout(t0 + Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn a_stuck_playback_is_hung_up_after_30_s() {
        let t0 = Instant::now();
        let mut s = SayPositionService::new(3);
        s.on_answered(t0);
        assert!(s.on_timeout(t0 + Duration::from_secs(29)).is_empty());
        assert_eq!(s.on_timeout(t0 + Duration::from_secs(30)), vec![CallInput::Hangup]);
    }
}
