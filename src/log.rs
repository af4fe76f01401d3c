//! Log records for the game's console. Records are produced on any thread (mostly workers) and
//! queued; the game's log callback runs only inside `poll`/`wait`, on the game's thread, like every
//! other callback (a callback on a worker thread would attach it to Mono and hang Unity at exit).
//!
//! Every record also goes to the `log` facade, target `modio_market`, on the thread that made it:
//! a Rust program sees it in its own logger (env_logger, tracing's bridge, ...). A game through
//! the C ABI installs no `log` logger, so for it this is a no-op and its callback stays the only
//! way records reach it, inside poll.
//!
//! Nothing that logs here passes a secret: request lines carry the method and path only (never the
//! query, which holds the API key, nor headers or bodies).

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::doorbell::Doorbell;

/// Severity of a log record, most severe first (`modio_market_log_level`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LogLevel {
    /// The `log` crate's level of the same name.
    pub fn to_facade(self) -> log::Level {
        match self {
            LogLevel::Error => log::Level::Error,
            LogLevel::Warn => log::Level::Warn,
            LogLevel::Info => log::Level::Info,
            LogLevel::Debug => log::Level::Debug,
            LogLevel::Trace => log::Level::Trace,
        }
    }

    pub fn from_u32(v: u32) -> Option<LogLevel> {
        match v {
            1 => Some(LogLevel::Error),
            2 => Some(LogLevel::Warn),
            3 => Some(LogLevel::Info),
            4 => Some(LogLevel::Debug),
            5 => Some(LogLevel::Trace),
            _ => None,
        }
    }
}

/// One queued record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    pub message: String,
}

/// How many records wait for the next poll at most; past that new ones are counted and dropped,
/// so a game that never polls cannot make the library grow without bound.
const LOG_QUEUE_CAPACITY: usize = 1024;

struct LoggerInner {
    /// 0 = off, else the most verbose level let through.
    max_level: AtomicU32,
    tx: Sender<LogRecord>,
    rx: Receiver<LogRecord>,
    dropped: AtomicU64,
    /// Rung for every queued (or dropped) record, so the idle poll sees it.
    doorbell: Doorbell,
}

/// A cheap handle to the client's log queue.
#[derive(Clone)]
pub struct Logger(Arc<LoggerInner>);

impl Default for Logger {
    fn default() -> Logger {
        Logger::new()
    }
}

impl Logger {
    pub fn new() -> Logger {
        let (tx, rx) = crossbeam_channel::bounded(LOG_QUEUE_CAPACITY);
        Logger(Arc::new(LoggerInner { max_level: AtomicU32::new(0), tx, rx, dropped: AtomicU64::new(0), doorbell: Doorbell::default() }))
    }

    /// The bell this logger rings; the client's runtime rings the same one for completions.
    pub(crate) fn doorbell(&self) -> Doorbell {
        self.0.doorbell.clone()
    }

    /// `None` turns logging off.
    pub fn set_max_level(&self, level: Option<LogLevel>) {
        self.0.max_level.store(level.map_or(0, |l| l as u32), Ordering::Relaxed);
    }

    pub fn enabled(&self, level: LogLevel) -> bool {
        (level as u32) <= self.0.max_level.load(Ordering::Relaxed)
    }

    pub fn log(&self, level: LogLevel, message: fmt::Arguments<'_>) {
        let facade = level.to_facade();
        if log::log_enabled!(target: "modio_market", facade) {
            log::log!(target: "modio_market", facade, "{message}");
        }
        if !self.enabled(level) {
            return;
        }
        let record = LogRecord { level, message: message.to_string() };
        if let Err(TrySendError::Full(_)) = self.0.tx.try_send(record) {
            self.0.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.0.doorbell.ring();
    }

    /// Takes the queued records (at most what was queued when called).
    pub fn drain(&self) -> Vec<LogRecord> {
        // The idle case (every poll of a quiet frame): two loads, no allocation.
        if self.0.rx.is_empty() && self.0.dropped.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        let mut out: Vec<LogRecord> = self.0.rx.try_iter().take(LOG_QUEUE_CAPACITY).collect();
        let dropped = self.0.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            out.push(LogRecord { level: LogLevel::Warn, message: format!("{dropped} log records dropped: poll more often") });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_bounds() {
        let l = Logger::new();
        l.log(LogLevel::Error, format_args!("off by default"));
        assert!(l.drain().is_empty());
        l.set_max_level(Some(LogLevel::Info));
        l.log(LogLevel::Debug, format_args!("too verbose"));
        l.log(LogLevel::Warn, format_args!("kept"));
        assert_eq!(l.drain(), vec![LogRecord { level: LogLevel::Warn, message: "kept".into() }]);
        for i in 0..LOG_QUEUE_CAPACITY + 5 {
            l.log(LogLevel::Info, format_args!("{i}"));
        }
        let got = l.drain();
        assert_eq!(got.len(), LOG_QUEUE_CAPACITY + 1);
        assert!(got.last().unwrap().message.contains("5 log records dropped"));
    }
}
