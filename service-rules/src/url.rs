//! When two response URLs are the same URL (SERVICE-URL-MATCHES): equal once
//! both are normalized as RFC 3986 (sections 6.2.2 and 6.2.3) and RFC 9110
//! (section 4.2.3) allow for an `http` or `https` URL. The normalizations
//! are exactly the rule's reading, no more: an empty query stays a query.

/// Whether `a` and `b` are the same URL (see the module's doc); strings that
/// are not absolute `http` or `https` URLs are the same only byte for byte.
pub fn same_url(a: &str, b: &str) -> bool {
    a == b || matches!((normalized(a), normalized(b)), (Some(x), Some(y)) if x == y)
}

/// `url` normalized, or `None` when it is no absolute `http` or `https` URL.
fn normalized(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (before_fragment, None),
    };
    let (authority, path) = before_query.find('/').map_or((before_query, ""), |at| before_query.split_at(at));
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    // A port is what follows the last ':' when it is all digits and outside
    // an IPv6 literal's brackets.
    let (host, port) = match host_port.rfind(':') {
        Some(at) if !host_port[at..].contains(']') && host_port[at + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            (&host_port[..at], &host_port[at + 1..])
        }
        _ => (host_port, ""),
    };
    let mut out = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        out.push_str(&percent_normalized(userinfo));
        out.push('@');
    }
    out.push_str(&percent_normalized(host).to_ascii_lowercase());
    if !port.is_empty() && port != default_port {
        out.push(':');
        out.push_str(port);
    }
    let path = percent_normalized(path);
    out.push_str(&without_dot_segments(if path.is_empty() { "/" } else { &path }));
    if let Some(query) = query {
        out.push('?');
        out.push_str(&percent_normalized(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&percent_normalized(fragment));
    }
    Some(out)
}

/// `text` with every percent-encoding's hex digits in upper case and every
/// percent-encoded unreserved character decoded (RFC 3986, 6.2.2.1 and
/// 6.2.2.2).
fn percent_normalized(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make a byte below 256.
                let byte = (high * 16 + low) as u8;
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(byte));
                } else {
                    out.push_str(&format!("%{byte:02X}"));
                }
                i += 3;
            }
            _ => {
                // Copy the whole character starting here (the text is UTF-8).
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

/// `path` without `.` and `..` segments (RFC 3986, 5.2.4).
fn without_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let mut input = path;
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../").or_else(|| input.strip_prefix("./")) {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            output.pop();
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |at| at + start);
            output.push(&input[..end]);
            input = &input[end..];
        }
    }
    output.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: &str, same: bool) {
        assert_eq!(same_url(a, b), same, "{a} against {b}");
        assert_eq!(same_url(b, a), same, "{b} against {a}");
    }

    #[test]
    fn spellings_of_one_url_are_the_same_url() {
        let base = "http://127.0.0.1:9/c/1/response";
        for other in [
            "HTTP://127.0.0.1:9/c/1/response",
            "http://127.0.0.1:9/c/1/resp%6Fnse",
            "http://127.0.0.1:9/c/1/resp%6fnse",
            "http://127.0.0.1:9/c/1/a/../response",
            "http://127.0.0.1:9/c/./1/response",
        ] {
            check(base, other, true);
        }
        check("http://Example.COM/x", "http://example.com:80/x", true);
        check("http://example.com", "http://example.com/", true);
        check("https://example.com:443/a%2fb", "https://example.com/a%2Fb", true);
        check("http://h/%7Euser", "http://h/~user", true);
        check("http://[::1]:80/x", "http://[::1]/x", true);
    }

    #[test]
    fn other_urls_are_not() {
        let base = "http://127.0.0.1:9/c/1/response";
        for other in [
            "http://127.0.0.1:9/c/1/response?",
            "http://127.0.0.1:9/c/1/response?a=1",
            "http://127.0.0.1:9/c/2/response",
            "http://127.0.0.1:10/c/1/response",
            "http://127.0.0.1:9/c/1/Response",
            "http://127.0.0.1:9/c/1/response/",
            "https://127.0.0.1:9/c/1/response",
            "http://127.0.0.1:9/c/1/a%2Fresponse",
        ] {
            check(base, other, false);
        }
        // A query keeps its encoded delimiters and its case.
        check("http://h/r?sig=a%3Db", "http://h/r?sig=a=b", false);
        check("http://h/r?A=1", "http://h/r?a=1", false);
        // Not an http URL: bytes only.
        check("ftp://h/x", "FTP://h/x", false);
        check("relative/x", "relative/x", true);
    }

    #[test]
    fn dot_segments_are_removed_as_the_rfc_shows() {
        // RFC 3986, 5.2.4's own examples.
        assert_eq!(without_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(without_dot_segments("mid/content=5/../6"), "mid/6");
        assert_eq!(without_dot_segments("/c/1/a/../response/./"), "/c/1/response/");
        assert_eq!(without_dot_segments("/.."), "/");
    }
}
