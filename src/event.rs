//! What the client observed, in order, for the caller's metrics and logs: every command with
//! its reply code and how long the reply took, every connection attempt with its outcome and
//! duration, and every certificate verification failure that did not stop a session.
//!
//! The session records commands and ignored verification failures, a delivery attempt its
//! dials; both keep at most [`MAX_EVENTS`], dropping the oldest.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::dns::IpDomain;
use crate::smtp::command::CommandKind;

/// The most events kept; older ones are dropped first.
pub const MAX_EVENTS: usize = 10_000;

/// One observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A command and the reply that ended it.
    Command {
        /// The command (the greeting counts as one).
        command: CommandKind,
        /// The reply code; `None` when no reply came (timeout, connection lost).
        code: Option<u16>,
        /// From queueing the command (the `now` of the call that sent it; for pipelined
        /// commands, the group) to its reply, or to the failure.
        duration: Duration,
    },
    /// One connection attempt, or an address not dialed.
    Dial {
        /// The host dialed.
        host: IpDomain,
        /// Its address.
        address: IpAddr,
        /// The port.
        port: u16,
        /// How it ended.
        outcome: DialOutcome,
        /// How long it took.
        duration: Duration,
    },
    /// A certificate verification failure that did not stop the session ("TLS-Required:
    /// No", RFC 8689 §5, or opportunistic TLS, RFC 7435 §1.3).
    VerificationIgnored {
        /// The server name checked; empty for an IP address.
        host: String,
        /// What failed, lowercase, e.g. "pkix: certificate expired".
        reason: String,
    },
}

/// How a connection attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialOutcome {
    /// Connected.
    Connected,
    /// The platform could not connect; its error.
    Failed(String),
    /// Not dialed: the client's own rules forbid the address.
    Refused(String),
}

/// Events in order, at most [`MAX_EVENTS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLog {
    events: VecDeque<Event>,
}

impl EventLog {
    /// Adds `event`, dropping the oldest when full.
    pub fn push(&mut self, event: Event) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Adds every event of `events`, in order.
    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.push(event);
        }
    }

    /// The events so far, oldest first; the log is empty afterwards.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events).into()
    }

    /// The events so far, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }
}

/// When each command awaiting its reply was sent, mirroring the session's queue of awaited
/// replies: entries are stamped with the `now` of the call that queued them, and leave in
/// order when their reply arrives.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommandClock {
    sent: VecDeque<Instant>,
    /// The latest `now` seen, for commands that end without a reply.
    latest: Option<Instant>,
}

impl CommandClock {
    /// Stamps the entries queued since the last call (the queue now holds `queued`) with
    /// `now`.
    pub(crate) fn stamp(&mut self, queued: usize, now: Instant) {
        self.latest = Some(now);
        while self.sent.len() < queued {
            self.sent.push_back(now);
        }
    }

    /// Notes the time of an input that may end the waits without replies.
    pub(crate) fn saw(&mut self, now: Instant) {
        self.latest = Some(now);
    }

    /// The oldest entry left its queue at `now`; how long it waited.
    pub(crate) fn done(&mut self, now: Instant) -> Duration {
        self.latest = Some(now);
        self.sent
            .pop_front()
            .map_or(Duration::ZERO, |sent| now.saturating_duration_since(sent))
    }

    /// Every entry left without a reply; how long each waited, oldest first.
    pub(crate) fn abandon(&mut self) -> Vec<Duration> {
        let latest = self.latest;
        self.sent
            .drain(..)
            .map(|sent| latest.map_or(Duration::ZERO, |l| l.saturating_duration_since(sent)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest() {
        let mut log = EventLog::default();
        let event = |n: u64| Event::Command {
            command: CommandKind::RcptTo,
            code: Some(250),
            duration: Duration::from_millis(n),
        };
        log.extend((0..MAX_EVENTS as u64 + 2).map(event));
        let events = log.take();
        assert_eq!(events.len(), MAX_EVENTS);
        assert_eq!(events[0], event(2));
        assert!(log.take().is_empty());
    }

    #[test]
    fn commands_are_timed_from_their_queueing() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut clock = CommandClock::default();
        clock.stamp(1, at(0));
        clock.stamp(3, at(10));
        assert_eq!(clock.done(at(30)), Duration::from_millis(30));
        assert_eq!(clock.done(at(40)), Duration::from_millis(30));
        clock.saw(at(100));
        assert_eq!(clock.abandon(), [Duration::from_millis(90)]);
        assert_eq!(clock.done(at(200)), Duration::ZERO);
    }
}
