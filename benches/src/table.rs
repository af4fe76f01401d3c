//! The one table every run prints (Markdown, pasted as is into BENCHMARKS.md).

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// Reported, no target.
    Info,
}

pub struct Row {
    pub area: &'static str,
    pub what: String,
    pub value: String,
    pub reference: String,
    pub ratio: String,
    pub target: String,
    pub verdict: Verdict,
}

impl Row {
    pub fn new(area: &'static str, what: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            area,
            what: what.into(),
            value: value.into(),
            reference: String::new(),
            ratio: String::new(),
            target: String::new(),
            verdict: Verdict::Info,
        }
    }
    pub fn reference(mut self, reference: impl Into<String>) -> Row {
        self.reference = reference.into();
        self
    }
    pub fn ratio(mut self, ratio: f64) -> Row {
        self.ratio = format!("{ratio:.2}");
        self
    }
    /// The median ratio over rounds, with the middle half of the rounds: "1.02 (0.97–1.05)".
    pub fn ratio_spread(mut self, ratios: &[f64]) -> Row {
        let mut v: Vec<f64> = ratios.iter().copied().filter(|r| r.is_finite()).collect();
        if v.is_empty() {
            return self;
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        self.ratio = if v.len() >= 4 { format!("{:.2} ({:.2}–{:.2})", at(0.5), at(0.25), at(0.75)) } else { format!("{:.2}", at(0.5)) };
        self
    }
    pub fn target(mut self, target: impl Into<String>, met: bool) -> Row {
        self.target = target.into();
        self.verdict = if met { Verdict::Met } else { Verdict::Missed };
        self
    }
}

pub fn print(rows: &[Row]) {
    println!("| area | measurement | modio-market | reference | ratio | target | |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in rows {
        let mark = match r.verdict {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::Info => "",
        };
        println!("| {} | {} | {} | {} | {} | {} | {} |", r.area, r.what, r.value, r.reference, r.ratio, r.target, mark);
    }
    let met = rows.iter().filter(|r| r.verdict == Verdict::Met).count();
    let missed = rows.iter().filter(|r| r.verdict == Verdict::Missed).count();
    println!();
    println!("targets: {met} met, {missed} missed");
}

/// "12.3 ns", "4.56 µs", "7.89 ms" from nanoseconds.
pub fn ns(v: f64) -> String {
    if v < 1_000.0 {
        format!("{v:.1} ns")
    } else if v < 1_000_000.0 {
        format!("{:.2} µs", v / 1e3)
    } else if v < 1_000_000_000.0 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.2} s", v / 1e9)
    }
}

/// "1.23 MB (1,234,567 B)"
pub fn bytes(v: u64) -> String {
    format!("{:.2} MB ({} B)", v as f64 / 1e6, thousands(v))
}

pub fn kib(v: u64) -> String {
    format!("{} KiB", thousands(v))
}

pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
