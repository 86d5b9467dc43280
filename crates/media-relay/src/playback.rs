//! Playback of prompt playlists and music-on-hold loops inside the relay task (IVR-4, IVR-5):
//! one `rtp_media::player::Player` per side, handed the output stream position of the relay
//! direction it replaces and handing it back when it ends (RFC 3550 §5.1 continuity).

use std::sync::Arc;
use std::time::Instant;

use rtp_media::player::{Player, PlayerEvent};
use rtp_media::rewrite::StreamPosition;

use crate::prompts::AudioCodec;
use crate::task::{Io, RTP, RelayState};
use crate::{PlayOptions, RelayEvent, Side};

/// A playback command from the session handle.
#[derive(Debug)]
pub(crate) enum Command {
    /// Play pre-encoded prompts once each.
    Play {
        side: Side,
        items: Vec<Arc<[u8]>>,
        options: PlayOptions,
    },
    /// Loop pre-encoded music, joined at the point wall time since `epoch` designates.
    Music {
        side: Side,
        audio: Arc<[u8]>,
        epoch: tokio::time::Instant,
        codec: AudioCodec,
    },
    /// Stop whatever plays to `side`.
    Stop { side: Side },
}

/// What plays to one side.
#[derive(Debug)]
pub(crate) struct Playback {
    pub(crate) player: Player,
    pub(crate) barge_in: bool,
    pub(crate) kind: PlaybackKind,
}

/// Whether a playback is a playlist (which completes) or a loop (which only stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaybackKind {
    Prompts,
    Music,
}

impl RelayState {
    /// Applies a playback command at `now`. A new playback replaces the current one, which
    /// ends with `completed: false`.
    pub(crate) fn command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Play {
                side,
                items,
                options,
            } => {
                let from = self.take_position(side, now);
                let codec = options.codec;
                let player =
                    Player::playlist(from, codec.payload_type(), codec.silence(), items, now);
                self.start(side, player, options.barge_in, PlaybackKind::Prompts);
            }
            Command::Music {
                side,
                audio,
                epoch,
                codec,
            } => {
                let from = self.take_position(side, now);
                let since = tokio::time::Instant::from_std(now).saturating_duration_since(epoch);
                let player = Player::looping(from, codec.payload_type(), audio, since, now);
                self.start(side, player, false, PlaybackKind::Music);
            }
            Command::Stop { side } => {
                if self.sides[side.index()].playback.is_some() {
                    self.end_playback(side, false);
                }
            }
        }
    }

    /// The earliest packet deadline of the playbacks.
    pub(crate) fn next_playback_deadline(&self) -> Option<Instant> {
        self.sides
            .iter()
            .filter_map(|s| s.playback.as_ref()?.player.poll_timeout())
            .min()
    }

    /// Sends every packet due at `now` and ends finished playlists.
    pub(crate) fn pump_playback(&mut self, io: &Io, now: Instant) {
        for side in [Side::A, Side::B] {
            let i = side.index();
            let s = &mut self.sides[i];
            let target = s.rtp_latch.target();
            let Some(playback) = s.playback.as_mut() else {
                continue;
            };
            while let Some(packet) = playback.player.poll_packet(now) {
                if let Some(dest) = target {
                    // A full socket buffer loses the packet, like the network would.
                    let _ = io.sockets[i][RTP].try_send_to(packet, dest);
                }
            }
            let mut finished = false;
            while let Some(event) = playback.player.poll_event() {
                finished |= event == PlayerEvent::Finished;
            }
            if finished {
                self.end_playback(side, true);
            }
        }
    }

    /// Ends the playback to `side`, reports it, and hands the stream back to the relay.
    pub(crate) fn end_playback(&mut self, side: Side, completed: bool) {
        let Some(playback) = self.sides[side.index()].playback.take() else {
            return;
        };
        self.rewriters[side.other().index()].resume_from(playback.player.position());
        self.emit(RelayEvent::PlaybackDone { side, completed });
    }

    /// Where the stream towards `side` stands: the current playback's position (that
    /// playback is ended), else the relayed stream's, else a fresh random stream.
    fn take_position(&mut self, side: Side, now: Instant) -> StreamPosition {
        if let Some(playback) = self.sides[side.index()].playback.take() {
            self.emit(RelayEvent::PlaybackDone {
                side,
                completed: false,
            });
            return playback.player.position();
        }
        self.rewriters[side.other().index()]
            .position()
            .unwrap_or_else(|| StreamPosition {
                ssrc: self.rng.u32(..),
                last_seq: self.rng.u16(..),
                last_ts: self.rng.u32(..),
                at: now,
            })
    }

    /// Installs `player` for `side`; the task's timer sends its first packet at once. An
    /// empty playlist completes immediately.
    fn start(&mut self, side: Side, player: Player, barge_in: bool, kind: PlaybackKind) {
        let finished = player.is_finished();
        self.sides[side.index()].playback = Some(Playback {
            player,
            barge_in,
            kind,
        });
        if finished {
            self.end_playback(side, true);
        }
    }
}
