//! A `.env` reader for importing keys. Hand-written on purpose: it must report each line it skips by number
//! and reason while never echoing a value, which the general-purpose crates (dotenvy puts the offending line
//! in its error) do not allow. It accepts `export`, single and double quotes, comments, CRLF and a BOM.

use crate::crypto::SecretString;

/// One `NAME=value` assignment.
#[derive(Debug)]
pub struct EnvEntry {
    pub line: usize,
    pub name: String,
    pub value: SecretString,
}

/// A line that could not be read, with a reason that never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnvProblem {
    pub line: usize,
    pub reason: String,
}

/// Parses `text`; returns the assignments and the lines that were not assignments.
pub fn parse(text: &str) -> (Vec<EnvEntry>, Vec<EnvProblem>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export")
            .filter(|rest| rest.starts_with([' ', '\t']))
            .unwrap_or(line)
            .trim_start();
        let Some((name, rest)) = line.split_once('=') else {
            problems.push(EnvProblem {
                line: line_no,
                reason: "not a NAME=value line".into(),
            });
            continue;
        };
        let name = name.trim();
        if !is_valid_name(name) {
            problems.push(EnvProblem {
                line: line_no,
                reason: "the variable name is not valid".into(),
            });
            continue;
        }
        match parse_value(rest.trim_start()) {
            Ok(value) => entries.push(EnvEntry {
                line: line_no,
                name: name.to_string(),
                value,
            }),
            Err(reason) => problems.push(EnvProblem {
                line: line_no,
                reason: format!("{name}: {reason}"),
            }),
        }
    }
    (entries, problems)
}

fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn parse_value(rest: &str) -> Result<SecretString, &'static str> {
    let mut value = String::new();
    let after = if let Some(body) = rest.strip_prefix('"') {
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 'r')) => value.push('\r'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, other)) => value.push(other),
                    None => break,
                },
                other => value.push(other),
            }
        }
        let Some(end) = end else {
            zeroize::Zeroize::zeroize(&mut value);
            return Err("unterminated double quote");
        };
        &body[end..]
    } else if let Some(body) = rest.strip_prefix('\'') {
        let Some(end) = body.find('\'') else {
            return Err("unterminated single quote");
        };
        value.push_str(&body[..end]);
        &body[end + 1..]
    } else {
        let end = rest
            .find(" #")
            .or_else(|| rest.find("\t#"))
            .unwrap_or(rest.len());
        value.push_str(rest[..end].trim_end());
        ""
    };
    let after = after.trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        zeroize::Zeroize::zeroize(&mut value);
        return Err("unexpected text after the closing quote");
    }
    Ok(SecretString::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse(text)
            .0
            .into_iter()
            .map(|e| (e.name, e.value.expose().to_string()))
            .collect()
    }

    #[test]
    fn reads_the_common_forms() {
        let text = "\u{feff}# keys\r\nexport OPENAI_API_KEY=sk-proj-abc\r\nANTHROPIC_API_KEY=\"sk-ant-api03-x\" # prod\r\n\
                    GROQ_KEY='gsk_1 2'\nPLAIN=value # comment\nEMPTY=\n";
        assert_eq!(
            values(text),
            vec![
                ("OPENAI_API_KEY".into(), "sk-proj-abc".into()),
                ("ANTHROPIC_API_KEY".into(), "sk-ant-api03-x".into()),
                ("GROQ_KEY".into(), "gsk_1 2".into()),
                ("PLAIN".into(), "value".into()),
                ("EMPTY".into(), "".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_without_their_values() {
        let (entries, problems) =
            parse("OK=1\nnot an assignment sk-secret\nBAD=\"sk-unterminated\n1X=2\n");
        assert_eq!(entries.len(), 1);
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        for p in &problems {
            assert!(
                !p.reason.contains("sk-"),
                "a reason must not echo the value: {}",
                p.reason
            );
        }
    }
}
