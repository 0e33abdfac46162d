//! Credential error text as one short line, with every known secret value replaced by `***`.

/// Longest credential error text kept in a message.
pub(super) const MAX_REASON_CHARS: usize = 400;
/// A credential error as one line: without azure_identity's "XCredential authentication failed."
/// prefix and troubleshooting link, with its causes appended, at most [`MAX_REASON_CHARS`] long.
pub(super) fn clean_error(err: &azure_core::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !c.is_empty() && !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    clean_message(&text)
}

pub(super) fn clean_message(raw: &str) -> String {
    let mut text = raw.trim();
    if let Some(pos) = text.find(" authentication failed.") {
        let head = &text[..pos];
        if head.ends_with("Credential") && !head.contains(char::is_whitespace) {
            text = &text[pos + " authentication failed.".len()..];
        }
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("To troubleshoot, visit"))
        .map(|l| l.strip_prefix("ERROR:").map(str::trim).unwrap_or(l))
        .collect();
    let mut out = lines.join(" ");
    while out.ends_with('.') {
        out.pop();
    }
    if out.chars().count() > MAX_REASON_CHARS {
        out = out.chars().take(MAX_REASON_CHARS).collect::<String>() + "…";
    }
    if out.is_empty() {
        out = "failed without a message".into();
    }
    out
}

/// Replaces every known secret value (8 characters or longer) with `***`.
pub(super) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 8 {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_message_strips_prefix_link_and_secrets() {
        let raw = "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret provided.\nTo troubleshoot, visit https://aka.ms/azsdk/rust/identity/troubleshoot#client-secret";
        assert_eq!(
            clean_message(raw),
            "AADSTS7000215: Invalid client secret provided"
        );
        assert_eq!(clean_message(""), "failed without a message");
        let long = "x".repeat(1000);
        assert_eq!(clean_message(&long).chars().count(), MAX_REASON_CHARS + 1);
        let secrets = vec!["hunter2hunter2".to_owned(), "short".to_owned()];
        assert_eq!(
            scrub("bad secret hunter2hunter2; short", &secrets),
            "bad secret ***; short"
        );
    }
}
