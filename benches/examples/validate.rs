//! `validate FILE`: the `reader` group's baseline as a program, to time
//! beside `indiv check` with `/usr/bin/time` (BENCHMARKS.md, "`check
//! --jobs`"). It reads FILE as `indiv check` does, 64 KiB at a time through
//! a `BufReader`, and validates each line's JSON with serde_json into
//! `IgnoredAny` (syntax, and UTF-8 inside strings), decoding nothing; it
//! prints the lines read and how many are valid JSON.

use std::io::BufRead;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: validate FILE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("validate: {}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let mut input = std::io::BufReader::with_capacity(64 << 10, file);
    let (mut lines, mut valid) = (0u64, 0u64);
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                lines += 1;
                // The last line may have no line end; each line is validated.
                let json = line.strip_suffix(b"\n").unwrap_or(&line);
                valid += u64::from(serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok());
            }
            Err(e) => {
                eprintln!("validate: {}: {e}", path.to_string_lossy());
                return ExitCode::from(2);
            }
        }
    }
    println!("{lines} lines, {valid} valid JSON");
    ExitCode::SUCCESS
}
