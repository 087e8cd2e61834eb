//! Writing the tables into docs/benchmarks.md: [`splice`] replaces what lies between a
//! part's markers (`<!-- bench:NAME -->` … `<!-- /bench:NAME -->`) and leaves the prose
//! around them, which is written by hand, alone.

use anyhow::{Context, bail};

/// `text` with the content between `NAME`'s markers replaced by `content`.
///
/// # Errors
/// The markers are missing or out of order.
pub fn splice(text: &str, name: &str, content: &str) -> anyhow::Result<String> {
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let (Some(a), Some(b)) = (text.find(&open), text.find(&close)) else {
        bail!("no {open} … {close} markers; add them where the {name} tables go");
    };
    if b < a {
        bail!("{close} comes before {open}");
    }
    let start = a + open.len();
    Ok(format!(
        "{}\n{}\n{}",
        &text[..start],
        content.trim_end(),
        &text[b..]
    ))
}

/// Splices every `(name, content)` into the file at `path`.
///
/// # Errors
/// The file cannot be read or written, or lacks a part's markers.
pub fn write(path: &str, parts: &[(&str, String)]) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    for (name, content) in parts {
        text = splice(&text, name, content)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_between_the_markers() {
        let doc = "intro\n<!-- bench:a -->\nold\n<!-- /bench:a -->\nwhy\n";
        let new = splice(doc, "a", "| x |\n").unwrap();
        assert_eq!(
            new,
            "intro\n<!-- bench:a -->\n| x |\n<!-- /bench:a -->\nwhy\n"
        );
        assert_eq!(splice(&new, "a", "| x |").unwrap(), new, "idempotent");
        assert!(splice(doc, "b", "").is_err());
        assert!(splice("<!-- /bench:a --><!-- bench:a -->", "a", "").is_err());
    }
}
