//! CPU time from /proc, shared by the benches: what a run cost whatever else the machine ran.

/// CPU seconds (user and system) of this process (`self`) or of the calling thread
/// (`thread-self`), from /proc: what the first sync costs whatever else the machine runs.
/// The server answers from this process too, so `self` includes its share.
pub fn cpu_seconds(which: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{which}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses: utime and stime
    // are the 14th and 15th of the line, in clock ticks of 1/100 s on Linux.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
