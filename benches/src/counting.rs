//! A global allocator that counts: every `alloc`, `alloc_zeroed` and `realloc` in the process
//! (the game thread, the library's workers and reqwest's I/O thread alike) is one allocation.
//! The fake server runs in a separate process, so its allocations never show up here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// (allocations, bytes requested) so far.
pub fn snapshot() -> (u64, u64) {
    (ALLOCS.load(Relaxed), BYTES.load(Relaxed))
}

/// Resident set size of this process in KiB (`VmRSS` of /proc/self/status).
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// The peak resident size since the last [`reset_peak_rss`] (or the start), in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// Starts a new peak-resident-size measurement (Linux: writing 5 to clear_refs resets VmHWM to
/// the current size). Returns false where the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// CPU time used so far by every live thread of this process, in seconds (the first field of
/// /proc/self/task/*/schedstat, in nanoseconds). The threads that matter (the caller, the
/// library's workers, reqwest's I/O thread) all live through a measurement.
pub fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum();
    ns as f64 / 1e9
}

/// CPU time of the calling thread in nanoseconds (/proc/thread-self/schedstat): unlike wall time,
/// it does not grow while other processes on this shared machine have the core.
pub fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// How many times the scheduler has taken the core from the calling thread
/// (`getrusage(RUSAGE_THREAD)`'s `ru_nivcsw`); -1 where unavailable.
#[cfg(target_os = "linux")]
pub fn involuntary_switches() -> i64 {
    #[repr(C)]
    struct Rusage {
        utime: [i64; 2],
        stime: [i64; 2],
        /// maxrss .. nivcsw: 14 longs; nivcsw is the last.
        counters: [i64; 14],
    }
    extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    const RUSAGE_THREAD: i32 = 1;
    let mut usage = Rusage { utime: [0; 2], stime: [0; 2], counters: [0; 14] };
    // SAFETY: `usage` has the layout of Linux's struct rusage on 64-bit targets.
    if unsafe { getrusage(RUSAGE_THREAD, &mut usage) } == 0 {
        usage.counters[13]
    } else {
        -1
    }
}

#[cfg(not(target_os = "linux"))]
pub fn involuntary_switches() -> i64 {
    -1
}
