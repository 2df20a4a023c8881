//! The lexical side of the zone-file parser: RFC 1035 §5.1 entries, "( )" continuation,
//! comments, quoted strings, and the `; @directive` comments of [`super::zone`].

use super::zone_file::{SyntaxError, ZoneError};

/// One token of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// The text, escapes kept, quotes removed.
    pub(super) text: String,
    /// Whether it was a quoted string.
    pub(super) quoted: bool,
}

/// One logical entry: a record or `$` directive, possibly over several lines, or a comment
/// directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entry {
    /// Tokens of a record or `$` line; `blank_owner` if the first line began with a blank.
    Line {
        line: usize,
        blank_owner: bool,
        tokens: Vec<Token>,
    },
    /// The words of a `; @directive` comment, without the `@`.
    Directive { line: usize, words: Vec<String> },
}

/// Splits the text into entries: RFC 1035 §5.1 "( )" continue an entry over lines, ";"
/// starts a comment, quotes make one token of blanks.
pub(super) fn tokenize(text: &str) -> Result<Vec<Entry>, ZoneError> {
    let mut entries = Vec::new();
    let mut open: Option<(usize, bool, Vec<Token>)> = None;
    let mut depth = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let syntax = |error| ZoneError::Syntax {
            line: number,
            error,
        };
        let (tokens, comment, new_depth) = split_line(raw, depth).map_err(syntax)?;
        depth = new_depth;
        let (start, blank_owner, mut collected) =
            open.take()
                .unwrap_or((number, raw.starts_with([' ', '\t']), Vec::new()));
        collected.extend(tokens);
        if depth > 0 {
            open = Some((start, blank_owner, collected));
        } else if !collected.is_empty() {
            entries.push(Entry::Line {
                line: start,
                blank_owner,
                tokens: collected,
            });
        }
        // After the entry of its line, so `$ORIGIN x. ; @insecure @` means x.
        if let Some(words) = directive_words(comment) {
            entries.push(Entry::Directive {
                line: number,
                words,
            });
        }
    }
    if let Some((line, ..)) = open {
        return Err(ZoneError::Syntax {
            line,
            error: SyntaxError::UnbalancedParentheses,
        });
    }
    Ok(entries)
}

/// The tokens of one physical line, its comment, and the parenthesis depth after it.
fn split_line(raw: &str, mut depth: usize) -> Result<(Vec<Token>, &str, usize), SyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = raw.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => {}
            ';' => return Ok((tokens, &raw[at + 1..], depth)),
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or(SyntaxError::UnbalancedParentheses)?;
            }
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(SyntaxError::UnterminatedQuote),
                        Some((_, '"')) => break,
                        Some((_, '\\')) => {
                            text.push('\\');
                            if let Some((_, escaped)) = chars.next() {
                                text.push(escaped);
                            }
                        }
                        Some((_, other)) => text.push(other),
                    }
                }
                tokens.push(Token { text, quoted: true });
            }
            _ => {
                let mut text = String::from(c);
                if c == '\\'
                    && let Some((_, escaped)) = chars.next()
                {
                    text.push(escaped);
                }
                while let Some(&(_, next)) = chars.peek() {
                    if matches!(next, ' ' | '\t' | '\r' | ';' | '(' | ')' | '"') {
                        break;
                    }
                    chars.next();
                    text.push(next);
                    if next == '\\'
                        && let Some((_, escaped)) = chars.next()
                    {
                        text.push(escaped);
                    }
                }
                tokens.push(Token {
                    text,
                    quoted: false,
                });
            }
        }
    }
    Ok((tokens, "", depth))
}

/// The words of a comment that is a directive: one whose first word starts with `@` followed
/// by a letter.
fn directive_words(comment: &str) -> Option<Vec<String>> {
    let mut words = comment.split_whitespace();
    let first = words.next()?.strip_prefix('@')?;
    if !first.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(
        std::iter::once(first)
            .chain(words)
            .map(str::to_string)
            .collect(),
    )
}
