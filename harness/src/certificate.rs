//! The certificate of a certification run: `certificate.json` and
//! `badge.svg`, written into the report directory after the reports, and
//! `indiv report verify`, which checks that a certificate still matches its
//! report and traces.
//!
//! `certificate.json` (format `indiv-certificate/1`) states what was
//! certified, all of it read back from `report.json` (one reading, by
//! [`crate::report_file`]): the spec's version and hash, the tool's version,
//! the engine (the testee's hello: implementation and capabilities; the
//! program run), the run's mode (`strict`, `incomplete`,
//! `stopped_at_protocol_mismatch`), every play (name, round, verdict), the
//! generated cases' seeds (`generated`: the first seed and how many, given
//! by the run), the verdict counts, the flaky cases, the rule coverage
//! matrix and the boundary coverage. `files` lists `report.json` and every trace file `report.json`
//! names, each with the SHA-256 of its content; `digest` is the SHA-256 of
//! the lines `HEX  PATH\n` of `files` in their order (what `sha256sum`
//! prints for them), which binds the names to the contents.
//!
//! The certificate is a checksum, not a signature: it shows that a report
//! and its traces were not changed since, or that a copy is whole, not who
//! wrote them.
//!
//! Files are never read through a link: a path of `files` that is not a
//! regular file does not match. Paths are `report.json` or
//! `traces/NAME` with a name as the report writer makes them; any other is a
//! malformed certificate.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::expect::EntryState;
use crate::report::write_file;
use crate::report_file::{self, ReportFile};
use crate::run::Counts;

/// The certificate's file name in the report directory.
pub const CERTIFICATE: &str = "certificate.json";
/// The badge's file name in the report directory.
pub const BADGE: &str = "badge.svg";
/// The certificate format.
pub const FORMAT: &str = "indiv-certificate/1";
/// The largest certificate read, in bytes.
const MAX_CERTIFICATE_BYTES: u64 = 256 << 20;

/// The generated cases of a run: seeds `seed` to `seed + count - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The first seed (`--seed`).
    pub seed: u64,
    /// How many (`--random`).
    pub count: u32,
    /// How many against a hostile service (`--chaos`, from the same seed).
    pub chaos: u32,
}

/// Whether a certificate matches its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// It does: `report.json` and this many trace files.
    Matches {
        /// How many trace files were checked.
        traces: usize,
    },
    /// It does not, first at `file`.
    Mismatch {
        /// The first file that does not match (the certificate itself when
        /// what it states differs from its report).
        file: PathBuf,
        /// How.
        reason: String,
    },
}

/// What a path of `files` holds now.
enum FileState {
    Missing,
    NotRegular,
    Sha256(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The SHA-256 of the regular file at `path` (read in pieces), or why there is none.
fn hash_file(path: &Path) -> Result<FileState, Error> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => {}
        Ok(_) => return Ok(FileState::NotRegular),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(io(e)),
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(FileState::Sha256(hex(&hasher.finalize())))
}

/// Whether `path` is one a certificate may name: `report.json`, or
/// `traces/NAME` with NAME of `[A-Za-z0-9_.-]`, not starting with a dot.
fn allowed_path(path: &str) -> bool {
    path == "report.json"
        || path.strip_prefix("traces/").is_some_and(|name| {
            !name.is_empty()
                && name.len() <= 255
                && !name.starts_with('.')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
}

/// `report.json` and the trace files the report names, in its order, each once.
fn named_files(report: &ReportFile, report_path: &Path) -> Result<Vec<String>, Error> {
    let mut files = vec!["report.json".to_string()];
    for play in &report.cases {
        let Some(trace) = &play.trace_file else { continue };
        if !allowed_path(trace) || trace == "report.json" {
            return Err(Error::Malformed {
                path: report_path.to_path_buf(),
                message: format!(
                    "trace file `{}` is not in traces/",
                    indiv_spec::text::one_line(&indiv_spec::text::shorten(trace, 80))
                ),
            });
        }
        if !files.contains(trace) {
            files.push(trace.clone());
        }
    }
    Ok(files)
}

/// The digest of a list of files: SHA-256 of `HEX  PATH\n` for each.
fn digest(files: &[(String, String)]) -> String {
    let manifest: String = files.iter().map(|(path, sha)| format!("{sha}  {path}\n")).collect();
    hex(&Sha256::digest(manifest.as_bytes()))
}

/// The verdict counts of a report's plays.
fn counts(report: &ReportFile) -> Counts {
    let mut c = Counts::default();
    for play in &report.cases {
        *match play.verdict {
            crate::Verdict::Pass => &mut c.pass,
            crate::Verdict::Nonstrict => &mut c.nonstrict,
            crate::Verdict::Inconclusive => &mut c.inconclusive,
            crate::Verdict::Fail => &mut c.fail,
            crate::Verdict::Error => &mut c.error,
            crate::Verdict::Skip => &mut c.skip,
            crate::Verdict::Xfail => &mut c.xfail,
        } += 1;
    }
    c
}

/// What a certificate states of `report`, every field but `files`,
/// `digest` and `generated`, in the order [`verify`] compares them.
fn claims(report: &ReportFile) -> Vec<(&'static str, Value)> {
    let c = counts(report);
    vec![
        ("format", json!(FORMAT)),
        ("tool", report.tool.clone().unwrap_or(Value::Null)),
        ("spec", report.spec.as_ref().map_or(Value::Null, |s| json!({"version": s.version, "hash": s.hash}))),
        ("engine", json!({"testee": report.testee, "program": report.program})),
        (
            "run",
            json!({
                "strict": report.strict,
                "incomplete": report.incomplete,
                "stopped_at_protocol_mismatch": report.stopped_at_protocol_mismatch,
            }),
        ),
        (
            "cases",
            report
                .cases
                .iter()
                .map(|p| json!({"name": p.name, "round": p.round, "verdict": p.verdict.as_str()}))
                .collect(),
        ),
        (
            "counts",
            json!({"pass": c.pass, "nonstrict": c.nonstrict, "inconclusive": c.inconclusive, "fail": c.fail, "error": c.error, "skip": c.skip, "xfail": c.xfail}),
        ),
        ("flaky", report.flaky.iter().map(|f| json!(f.name)).collect()),
        (
            "expectations",
            report.expectations.as_ref().map_or(Value::Null, |x| {
                Value::Object(x.tally().into_iter().map(|(state, n)| (state_name(state), json!(n))).collect())
            }),
        ),
        ("coverage", report.coverage.clone().unwrap_or(Value::Null)),
        ("boundary_coverage", report.boundary_coverage.clone().unwrap_or(Value::Null)),
    ]
}

/// Writes `certificate.json` and `badge.svg` into `dir`, from the
/// `report.json` and traces there (written just before by
/// [`crate::report::write`]).
pub fn write(dir: &Path, generated: Option<Generated>) -> Result<(), Error> {
    let report_path = dir.join("report.json");
    let report = ReportFile::read(&report_path)?;
    let mut files = Vec::new();
    for path in named_files(&report, &report_path)? {
        let full = dir.join(&path);
        match hash_file(&full)? {
            FileState::Sha256(sha) => files.push((path, sha)),
            FileState::Missing | FileState::NotRegular => {
                return Err(Error::Malformed {
                    path: full,
                    message: "named by report.json but not a regular file".into(),
                });
            }
        }
    }
    let mut fields = claims(&report);
    let generated = generated.map_or(Value::Null, |g| match g.chaos {
        0 => json!({"seed": g.seed, "count": g.count}),
        chaos => json!({"seed": g.seed, "count": g.count, "chaos": chaos}),
    });
    fields.push(("generated", generated));
    fields.push(("files", files.iter().map(|(path, sha)| json!({"path": path, "sha256": sha})).collect()));
    fields.push(("digest", json!(digest(&files))));
    let text = ordered_object(&fields)?;
    write_file(dir, CERTIFICATE, text.as_bytes())?;
    let version = report.spec.as_ref().map_or("?", |s| s.version.as_str());
    write_file(
        dir,
        BADGE,
        badge(version, &counts(&report), report.strict, report.expectations.as_ref().is_some_and(|x| x.fail_run()))
            .as_bytes(),
    )
}

/// An expectation state's name in `report.json`.
fn state_name(state: EntryState) -> String {
    match json!(state) {
        Value::String(name) => name,
        // A unit variant serializes to a string; this arm is not reached.
        other => other.to_string(),
    }
}

/// `fields` as one pretty-printed JSON object, in their order (a
/// `serde_json` map would sort them).
fn ordered_object(fields: &[(&str, Value)]) -> Result<String, Error> {
    let mut text = String::from("{\n");
    for (i, (key, value)) in fields.iter().enumerate() {
        let value = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        let comma = if i + 1 < fields.len() { "," } else { "" };
        let _ = writeln!(text, "  {}: {}{comma}", json!(key), value.replace('\n', "\n  "));
    }
    text.push_str("}\n");
    Ok(text)
}

/// The `files` and `digest` of a certificate, as read (shape errors are
/// [`Error::Malformed`]).
fn listed_files(path: &Path, certificate: &Value) -> Result<(Vec<(String, String)>, String), Error> {
    let malformed = |message: &str| Error::Malformed {
        path: path.to_path_buf(),
        message: format!("not an indiv certificate: {message}"),
    };
    if certificate.get("format") != Some(&json!(FORMAT)) {
        return Err(malformed(&format!("`format` is not `{FORMAT}`")));
    }
    let entries = certificate.get("files").and_then(Value::as_array).ok_or_else(|| malformed("no `files` list"))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.get("path").and_then(Value::as_str);
        let sha = entry.get("sha256").and_then(Value::as_str);
        let (Some(file), Some(sha)) = (file, sha) else {
            return Err(malformed("an entry of `files` lacks `path` or `sha256`"));
        };
        if !allowed_path(file) {
            return Err(malformed(&format!(
                "`files` names `{}`, which is neither report.json nor in traces/",
                indiv_spec::text::one_line(&indiv_spec::text::shorten(file, 80))
            )));
        }
        files.push((file.to_string(), sha.to_string()));
    }
    if files.first().map(|(p, _)| p.as_str()) != Some("report.json") {
        return Err(malformed("`files` does not begin with report.json"));
    }
    let digest = certificate.get("digest").and_then(Value::as_str).ok_or_else(|| malformed("no `digest`"))?;
    Ok((files, digest.to_string()))
}

/// Checks the certificate at `path` against the files next to it: each
/// file's content, the digest, then that what it states is what
/// `report.json` says. Unreadable or malformed input is an error.
pub fn verify(path: &Path) -> Result<Verification, Error> {
    let bytes = report_file::read_bounded(path, MAX_CERTIFICATE_BYTES)?;
    let certificate: Value = report_file::parse(path, &bytes, "an indiv certificate")?;
    let (files, stated_digest) = listed_files(path, &certificate)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mismatch = |file: PathBuf, reason: &str| Ok(Verification::Mismatch { file, reason: reason.to_string() });
    for (file, sha) in &files {
        let full = dir.join(file);
        match hash_file(&full)? {
            FileState::Missing => return mismatch(full, "missing"),
            FileState::NotRegular => return mismatch(full, "not a regular file"),
            FileState::Sha256(actual) if actual != *sha => {
                return mismatch(full, "content differs from the certificate");
            }
            FileState::Sha256(_) => {}
        }
    }
    if digest(&files) != stated_digest {
        return mismatch(path.to_path_buf(), "digest does not match its list of files");
    }
    let report_path = dir.join("report.json");
    let report = ReportFile::read(&report_path)?;
    for (key, value) in claims(&report) {
        if certificate.get(key) != Some(&value) {
            return mismatch(path.to_path_buf(), &format!("`{key}` does not match report.json"));
        }
    }
    let named = named_files(&report, &report_path)?;
    for file in &named {
        if !files.iter().any(|(f, _)| f == file) {
            return mismatch(dir.join(file), "named by report.json but not in the certificate");
        }
    }
    if let Some((file, _)) = files.iter().find(|(f, _)| !named.contains(f)) {
        return mismatch(dir.join(file), "in the certificate but not named by report.json");
    }
    match certificate.get("generated") {
        Some(Value::Null) => {}
        Some(g)
            if g.get("seed").is_some_and(Value::is_u64)
                && g.get("count").is_some_and(Value::is_u64)
                && g.get("chaos").is_none_or(Value::is_u64) => {}
        _ => {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                message: "not an indiv certificate: `generated` is neither null nor {seed, count[, chaos]}".into(),
            });
        }
    }
    Ok(Verification::Matches { traces: files.len() - 1 })
}

/// Approximate width in pixels of `text` in 11 px Verdana (the badge font):
/// per character class, as shields.io's tables have them within a pixel.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '|' | '\'' | '.' | ',' | ':' | ';' | '!' => 3.5,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '/' | '-' => 4.8,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 10.5,
            'A'..='Z' | '0'..='9' | '#' | '?' => 7.2,
            _ => 6.6,
        })
        .sum()
}

/// The badge's colour: green when every play passed, red when the run
/// failed (a FAIL or ERROR; with `strict`, also NONSTRICT or
/// INCONCLUSIVE; or an expectations entry no longer failing or expired:
/// `expectations_failed`), yellow otherwise (only NONSTRICT, INCONCLUSIVE,
/// SKIP or XFAIL beside PASS), grey when nothing was played.
fn colour(c: &Counts, strict: bool, expectations_failed: bool) -> &'static str {
    if c.total() == 0 {
        "#9f9f9f"
    } else if c.fail > 0 || c.error > 0 || expectations_failed || (strict && (c.nonstrict > 0 || c.inconclusive > 0)) {
        "#e05d44"
    } else if c.pass == c.total() {
        "#4c1"
    } else {
        "#dfb317"
    }
}

/// The badge (shields.io "flat" style, self-contained SVG): `indiv spec
/// VERSION | PASS/ALL`, counting plays; coloured by the run: green, red, yellow or grey as README.md, "The certificate", says.
pub fn badge(spec_version: &str, counts: &Counts, strict: bool, expectations_failed: bool) -> String {
    let label = format!("indiv spec {spec_version}");
    let message = format!("{}/{}", counts.pass, counts.total());
    let (lw, mw) = ((text_width(&label) + 10.0).ceil(), (text_width(&message) + 10.0).ceil());
    let width = lw + mw;
    let (label, message) = (indiv_spec::text::xml_escape(&label), indiv_spec::text::xml_escape(&message));
    let colour = colour(counts, strict, expectations_failed);
    let (lx, mx) = (lw / 2.0, lw + mw / 2.0);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{colour}"/><rect width="{width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11"><text x="{lx}" y="15" fill="#010101" fill-opacity=".3">{label}</text><text x="{lx}" y="14">{label}</text><text x="{mx}" y="15" fill="#010101" fill-opacity=".3">{message}</text><text x="{mx}" y="14">{message}</text></g></svg>
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_green_only_when_every_play_passed_and_red_when_the_run_failed() {
        let all = Counts { pass: 3, ..Counts::default() };
        assert_eq!(colour(&all, false, false), "#4c1");
        let soft = Counts { pass: 2, nonstrict: 1, ..Counts::default() };
        assert_eq!(colour(&soft, false, false), "#dfb317");
        assert_eq!(colour(&soft, true, false), "#e05d44");
        assert_eq!(colour(&Counts { pass: 2, error: 1, ..Counts::default() }, false, false), "#e05d44");
        assert_eq!(colour(&Counts::default(), false, false), "#9f9f9f");
        // An XPASS or expired entry fails the run even when every play passed.
        assert_eq!(colour(&all, false, true), "#e05d44");
        let xfail = Counts { pass: 2, xfail: 1, ..Counts::default() };
        assert_eq!(colour(&xfail, false, false), "#dfb317");
        assert_eq!(colour(&xfail, false, true), "#e05d44");
    }

    #[test]
    fn a_badge_escapes_the_spec_version() {
        let svg = badge("2.0.0\"<x>&", &Counts { pass: 1, ..Counts::default() }, false, false);
        assert!(svg.contains("indiv spec 2.0.0&quot;&lt;x&gt;&amp;: 1/1"), "{svg}");
        assert!(!svg.contains("<x>"));
    }

    #[test]
    fn only_report_json_and_plain_trace_names_may_be_listed() {
        for ok in ["report.json", "traces/busy.jsonl", "traces/a_b-2.jsonl"] {
            assert!(allowed_path(ok), "{ok}");
        }
        for bad in ["../x", "/etc/passwd", "traces/", "traces/../report.json", "traces/.hidden", "traces/a/b", "x.json"]
        {
            assert!(!allowed_path(bad), "{bad}");
        }
    }

    #[test]
    fn the_digest_is_sha256_of_the_sha256sum_lines() {
        let files = [("report.json".to_string(), "ab".to_string())];
        assert_eq!(digest(&files), hex(&Sha256::digest(b"ab  report.json\n")));
    }
}
