//! Text that carries outside input (trace lines, testee output, names) on its
//! way into a message or an output file: where an offset lies in a text,
//! how long a quotation may be, and escaping for the medium it goes to. One
//! home for these, so that every output shortens and escapes the same way.

/// The 1-based line and column (in bytes) of byte `offset` in `text`; an
/// offset past the end is read as the end.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    (line, before.len() - line_start + 1)
}

/// `text` cut to at most `max` characters, with `…` after a cut.
pub fn shorten(text: &str, max: usize) -> String {
    // The usual line is ASCII: its first `max` bytes are its first `max`
    // characters, found without walking them one at a time.
    if text.len() <= max {
        return text.to_string();
    }
    if text.as_bytes()[..max].is_ascii() {
        return format!("{}…", &text[..max]);
    }
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// `text` with every control character escaped (`\n`, `\u{1b}`, ...), so that
/// a message quoting it stays on one line and cannot drive a terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` escaped for XML attributes and content. A character XML 1.0
/// cannot carry (a control character other than tab, newline and carriage
/// return; U+FFFE; U+FFFF) becomes U+FFFD, so the document stays well formed.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` safe inside a Markdown table cell or paragraph: the characters
/// Markdown and inline HTML give meaning to are backslash-escaped, `<` and
/// `>` become entities (GitHub renders inline HTML), and line breaks and other
/// control characters are escaped as in [`one_line`], so a cell stays one cell.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span that stays one table cell: control
/// characters escaped as in [`one_line`], `|` escaped (GitHub splits table
/// cells on it even inside code), and a backtick fence longer than any run of
/// backticks inside, so nothing in `text` can end the span early.
pub fn markdown_code(text: &str) -> String {
    let body = one_line(text).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// `text` as the data of a GitHub Actions workflow command (what follows the
/// second `::`): `%`, carriage return and line feed escaped as the runner
/// reads them back (`%25`, `%0D`, `%0A`), so the command stays one line and
/// nothing in `text` can start a second one. Other control characters are
/// escaped as in [`one_line`], so that a log read on a terminal stays inert.
pub fn workflow_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// `text` as the value of a property of a workflow command (`file=…`,
/// `title=…`): escaped as [`workflow_data`], and also `:` (`%3A`) and `,`
/// (`%2C`), which would otherwise end the value or the properties.
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One GitHub Actions workflow command on one line, with its line end:
/// `::KIND file=F,line=N,title=T::MESSAGE`, every value from outside escaped
/// ([`workflow_property`], [`workflow_data`]). `kind` is `error`, `warning`
/// or `notice`; properties that are `None` are left out.
pub fn workflow_command(kind: &str, file: Option<&str>, line: Option<usize>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", workflow_property(file)));
    }
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    properties.push(format!("title={}", workflow_property(title)));
    format!("::{kind} {}::{}\n", properties.join(","), workflow_data(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_bytes_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab\ncd", 99), (2, 3));
    }

    #[test]
    fn shorten_counts_characters_not_bytes() {
        assert_eq!(shorten("ééé", 3), "ééé");
        assert_eq!(shorten("éééé", 3), "ééé…");
        assert_eq!(shorten("", 0), "");
    }

    #[test]
    fn shorten_cuts_ascii_and_mixed_text_where_a_walk_over_its_characters_cuts() {
        let walk = |text: &str, max: usize| match text.char_indices().nth(max) {
            None => text.to_string(),
            Some((end, _)) => format!("{}…", &text[..end]),
        };
        for text in ["", "abc", "abcd", "abcé", "aéé", "éab", "abc日本", "a\u{1F600}bc"] {
            for max in 0..8 {
                assert_eq!(shorten(text, max), walk(text, max), "{text:?} at {max}");
            }
        }
    }

    #[test]
    fn one_line_escapes_control_characters() {
        assert_eq!(one_line("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
    }

    #[test]
    fn xml_escape_escapes_markup_and_replaces_what_xml_cannot_hold() {
        assert_eq!(xml_escape("<a b=\"c\">&'\u{1}"), "&lt;a b=&quot;c&quot;&gt;&amp;&apos;\u{FFFD}");
        assert_eq!(xml_escape("x\u{FFFE}y\u{FFFF}z\u{1b}"), "x\u{FFFD}y\u{FFFD}z\u{FFFD}");
        assert_eq!(xml_escape("a\r\n\tb\u{10000}"), "a&#xD;\n\tb\u{10000}");
    }

    #[test]
    fn markdown_code_cannot_be_closed_from_inside() {
        assert_eq!(markdown_code("indiv certify --case x"), "`indiv certify --case x`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x`"), "`` `x` ``");
        assert_eq!(markdown_code("a|b\nc"), "`a\\|b\\nc`");
    }

    #[test]
    fn markdown_escape_keeps_a_cell_one_cell_and_inert() {
        assert_eq!(markdown_escape("a|b"), "a\\|b");
        assert_eq!(markdown_escape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert\\(1\\)&gt;");
        assert_eq!(markdown_escape("[x](javascript:y)"), "\\[x\\]\\(javascript:y\\)");
        assert_eq!(markdown_escape("**25 pass**\n| fake | row |"), "\\*\\*25 pass\\*\\*\\\\n\\| fake \\| row \\|");
        assert_eq!(markdown_escape("plain text 1.2"), "plain text 1.2");
    }

    #[test]
    fn workflow_commands_escape_what_could_end_a_value_or_start_a_command() {
        assert_eq!(workflow_data("50% a\r\n::error::x\u{1b}"), "50%25 a%0D%0A::error::x\\u{1b}");
        assert_eq!(workflow_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(
            workflow_command("error", Some("t,x:y.jsonl"), Some(3), "R-1", "m\n::warning::z"),
            "::error file=t%2Cx%3Ay.jsonl,line=3,title=R-1::m%0A::warning::z\n"
        );
        assert_eq!(workflow_command("notice", None, None, "t", "m"), "::notice title=t::m\n");
    }
}
