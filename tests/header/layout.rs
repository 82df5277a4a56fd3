//! Turns cbindgen's output (constants, then types, then functions, each in source order,
//! with `//` doc comments) into the header a reader meets: an introduction with a table of
//! contents, then the sections of [`super::sections`], each opening with a banner and
//! holding its constants, types and functions together; block comments; the Rust
//! `# Safety` heading rewritten as a plain "Requires:" note.
//!
//! cbindgen cannot interleave types and functions or write section comments, hence this
//! pass; it only moves and reformats what cbindgen wrote, so every declaration is still
//! cbindgen's.

use super::sections::{section_of, INTRODUCTION, SECTIONS};

/// The width of the header's comment text (the " * " prefix comes on top).
const WIDTH: usize = 92;

/// One declaration of cbindgen's output with the doc comment above it.
struct Item {
    name: String,
    doc: Vec<String>,
    decl: String,
}

/// The whole header from cbindgen's output.
pub fn arrange(generated: &str) -> Result<String, String> {
    let items = parse(generated)?;
    let mut sections: Vec<Vec<Item>> = SECTIONS.iter().map(|_| Vec::new()).collect();
    let mut homeless = Vec::new();
    for item in items {
        match section_of(&item.name) {
            Some(k) => sections[k].push(item),
            None => homeless.push(item.name),
        }
    }
    if !homeless.is_empty() {
        return Err(format!(
            "no header section for {}: add a rule to tests/header/sections.rs",
            homeless.join(", ")
        ));
    }
    let mut out = block_comment(&contents(), "");
    out.push_str(
        "\n#ifndef FDVJP_H\n#define FDVJP_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n\
         #ifdef __cplusplus\nextern \"C\" {\n#endif\n",
    );
    for (k, (section, items)) in SECTIONS.iter().zip(sections).enumerate() {
        out.push('\n');
        out.push_str(&banner(k, section.title, section.about));
        for item in in_reading_order(items, section.first) {
            out.push('\n');
            out.push_str(&block_comment(&doc_text(&item.doc), ""));
            out.push_str(&inner_comments(&item.decl));
        }
    }
    out.push_str("\n#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n#endif /* FDVJP_H */\n");
    Ok(out)
}

/// Splits cbindgen's output at blank lines into items, dropping its `extern "C"` guards
/// (this header puts one around everything).
fn parse(generated: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for block in generated.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.is_empty() || block.starts_with("#ifdef __cplusplus") {
            continue;
        }
        let lines: Vec<&str> = block.lines().collect();
        let code = lines
            .iter()
            .position(|l| !l.starts_with("//"))
            .ok_or_else(|| {
                format!("a comment without a declaration in cbindgen's output:\n{block}")
            })?;
        let doc = lines[..code]
            .iter()
            .map(|l| {
                l.trim_start_matches("//")
                    .trim_start_matches(' ')
                    .to_string()
            })
            .collect();
        let decl = lines[code..].join("\n");
        let name = name_of(&decl)
            .ok_or_else(|| format!("cannot tell what this declares:\n{decl}"))?
            .to_string();
        items.push(Item { name, doc, decl });
    }
    Ok(items)
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The name a declaration introduces.
fn name_of(decl: &str) -> Option<&str> {
    if let Some(rest) = decl.strip_prefix("#define ") {
        return ident(rest);
    }
    if let Some(rest) = decl.strip_prefix("enum ") {
        return ident(rest);
    }
    if let Some(rest) = decl.strip_prefix("typedef ") {
        if let Some(k) = rest.find("(*") {
            return ident(&rest[k + 2..]);
        }
        let last = decl.trim_end().trim_end_matches(';');
        let start = last
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |k| k + 1);
        return ident(&last[start..]);
    }
    let paren = decl.find('(')?;
    let before = decl[..paren].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |k| k + 1);
    ident(&before[start..])
}

/// A section's items: those it lists first in that order, the rest in source order, and
/// each getter right after its setter.
fn in_reading_order(mut items: Vec<Item>, first: &[&str]) -> Vec<Item> {
    let rank = |item: &Item| {
        first
            .iter()
            .position(|n| *n == item.name)
            .unwrap_or(first.len())
    };
    items.sort_by_key(rank); // stable: unlisted items keep cbindgen's (source) order
    let mut ordered: Vec<Item> = Vec::with_capacity(items.len());
    let (getters, others): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.name.contains("_get_"));
    ordered.extend(others);
    for getter in getters {
        let setter = getter.name.replacen("_get_", "_set_", 1);
        match ordered.iter().position(|i| i.name == setter) {
            Some(k) => ordered.insert(k + 1, getter),
            None => ordered.push(getter),
        }
    }
    ordered
}

/// The introduction followed by the table of contents.
fn contents() -> String {
    let mut text = format!("{INTRODUCTION}\n\nContents:\n");
    for (k, section) in SECTIONS.iter().enumerate() {
        text.push_str(&format!("  {}. {}\n", k + 1, section.title));
    }
    text.trim_end().to_string()
}

/// A section's opening comment.
fn banner(k: usize, title: &str, about: &str) -> String {
    let rule = "=".repeat(WIDTH);
    let mut text = format!("{rule}\n{}. {title}\n\n", k + 1);
    text.push_str(&wrap(about, WIDTH).join("\n"));
    text.push_str(&format!("\n{rule}"));
    block_comment(&text, "")
}

/// The doc comment's text, with the Rust `# Safety` heading turned into a "Requires:"
/// paragraph (what the caller must guarantee, in C terms: the text under the heading
/// already speaks of NULL, lengths and live handles).
fn doc_text(doc: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut k = 0;
    while k < doc.len() {
        if doc[k].trim() == "# Safety" {
            let mut paragraph = vec!["Requires:".to_string()];
            k += 1;
            while k < doc.len() && !doc[k].trim().is_empty() {
                paragraph.push(doc[k].trim().to_string());
                k += 1;
            }
            // "As `fdvjp_tape_call`." under a heading reads "Requires: as `fdvjp_tape_call`."
            if let Some(rest) = paragraph.get(1).and_then(|l| l.strip_prefix("As ")) {
                paragraph[1] = format!("as {rest}");
            }
            out.extend(wrap(&paragraph.join(" "), WIDTH));
        } else {
            out.push(doc[k].clone());
            k += 1;
        }
    }
    out.join("\n")
}

/// Words of `text` in lines of at most `width` characters (a longer word gets its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` as a C block comment at `indent`: one line `/* text */` when it fits, else
/// `/*`, ` * line`..., ` */`. Empty text gives nothing.
fn block_comment(text: &str, indent: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() == 1 && indent.len() + lines[0].len() + 6 <= WIDTH + 3 {
        return format!("{indent}/* {} */\n", lines[0]);
    }
    let mut out = format!("{indent}/*\n");
    for line in lines {
        if line.is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// A declaration with the `//` doc comments of its members (enum constants, struct
/// fields) turned into block comments.
fn inner_comments(decl: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<&str> = Vec::new();
    let mut indent = "";
    for line in decl.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            indent = &line[..line.len() - trimmed.len()];
            run.push(trimmed.trim_start_matches("//").trim_start_matches(' '));
            continue;
        }
        if !run.is_empty() {
            out.push_str(&block_comment(&run.join("\n"), indent));
            run.clear();
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
