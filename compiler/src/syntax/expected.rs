//! Turns pest's parse attempts into "expected ..." in the language's words.
//!
//! [`describe_rule`] is exhaustive over the grammar's rules: a new rule is a
//! compile error here until it has a description (or is declared silent).

use super::parser::Rule;

/// What the parser found where it stopped.
#[derive(Debug)]
pub(crate) struct Found {
    pub kind: FoundKind,
    /// Bytes of source the found token covers (0 at a line end).
    pub len_in_source: usize,
}

#[derive(Debug)]
pub(crate) enum FoundKind {
    EndOfFile,
    EndOfLine,
    Token(String),
}

impl Found {
    pub fn describe(&self) -> String {
        match &self.kind {
            FoundKind::EndOfFile => "end of file".to_owned(),
            FoundKind::EndOfLine => "end of line".to_owned(),
            FoundKind::Token(t) => format!("`{t}`"),
        }
    }
}

/// The token at byte `at` of `text`: a word, a string start, or one character.
pub(crate) fn found(text: &str, at: usize) -> Found {
    let Some(rest) = text.get(at..) else {
        return Found {
            kind: FoundKind::EndOfFile,
            len_in_source: 0,
        };
    };
    let mut chars = rest.chars();
    let Some(first) = chars.next() else {
        return Found {
            kind: FoundKind::EndOfFile,
            len_in_source: 0,
        };
    };
    if first == '\n' || first == '\r' {
        return Found {
            kind: FoundKind::EndOfLine,
            len_in_source: 0,
        };
    }
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else {
        let two = rest.get(..2).unwrap_or("");
        if ["==", "!=", "<=", ">=", "??", "->", "=>"].contains(&two) {
            2
        } else {
            first.len_utf8()
        }
    };
    let token: String = rest.get(..len).unwrap_or("").chars().take(40).collect();
    let token = if first.is_control() {
        format!("{}", first.escape_default())
    } else {
        token
    };
    Found {
        kind: FoundKind::Token(token),
        len_in_source: len,
    }
}

/// What the grammar would have accepted at the failure point, most useful first.
///
/// pest does not export the names of its parse-attempt types, so this reads
/// them through their methods. A call stack's deepest rule is often the rule
/// that failed midway (a `map` header, an expression): only rules that start
/// where the parse stopped ([`starts_here`]) are named; the rest is said by
/// the literal tokens that were expected there.
pub(crate) fn describe(
    error: &pest::error::Error<Rule>,
    text: &str,
    at: usize,
) -> Vec<&'static str> {
    let Some(attempts) = error.parse_attempts() else {
        return Vec::new();
    };
    let after = previous_word(text, at);
    let mut found: Vec<&'static str> = Vec::new();
    let mut fallback: Vec<&'static str> = Vec::new();
    for stack in attempts.call_stacks() {
        let Some(rule) = stack.deepest.get_rule().copied() else {
            continue;
        };
        let described = match (rule, stack.parent, after) {
            (Rule::ident, _, Some("via")) => Some("the name of a table"),
            (Rule::ident, _, Some("as")) => Some("a name for each item"),
            (Rule::ident, Some(Rule::field), _) => Some("a type"),
            _ => describe_rule(rule),
        };
        if let Some(d) = described {
            if starts_here(rule) {
                found.push(d);
            } else {
                fallback.push(d);
            }
        }
    }
    for token in attempts.expected_tokens() {
        if let Some(d) = describe_token(&token.to_string()) {
            found.push(d);
        }
    }
    // A string or a parenthesis could start here: that is where an expression goes.
    if found.contains(&"`\"`") && found.contains(&"`(`") {
        found.push("an expression");
    }
    let mut out = if found.iter().all(|d| PATH_CONTINUATIONS.contains(d)) {
        fallback.extend(found);
        fallback
    } else {
        found
    };
    prune(&mut out);
    out
}

const PATH_CONTINUATIONS: &[&str] = &["`-` and a field number", "`.`", "`[`"];
const CLOSERS: &[&str] = &["`)`", "`]`", "`}`", "`,`"];

fn prune(out: &mut Vec<&'static str>) {
    let mut seen = Vec::new();
    out.retain(|d| {
        let fresh = !seen.contains(d);
        seen.push(*d);
        fresh
    });
    let has = |out: &Vec<&str>, d: &str| out.contains(&d);
    if has(out, "a string") {
        out.retain(|d| *d != "`\"`");
    }
    if has(out, "an expression") {
        out.retain(|d| {
            ![
                "a string",
                "`\"`",
                "a number",
                "`(`",
                "a path",
                "a call",
                "a name",
                "`not`",
                "`if`",
                "`true` or `false`",
            ]
            .contains(d)
        });
    }
    // Inside brackets a line may continue: "end of line" would mislead.
    if out.iter().any(|d| CLOSERS.contains(d)) {
        out.retain(|d| *d != "end of line");
    }
    if out.iter().any(|d| !PATH_CONTINUATIONS.contains(d)) {
        out.retain(|d| !PATH_CONTINUATIONS.contains(d));
    }
    out.sort_by_key(|d| priority(d));
}

fn priority(d: &str) -> u8 {
    match d {
        _ if CLOSERS.contains(&d) => 0,
        "an expression" => 2,
        "an operator" => 3,
        "end of line" => 4,
        _ if PATH_CONTINUATIONS.contains(&d) => 5,
        _ => 1,
    }
}

/// Rules whose first token is where they are attempted: naming them says
/// what could start here.
fn starts_here(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::ident
            | Rule::name
            | Rule::index
            | Rule::string
            | Rule::string_close
            | Rule::number
            | Rule::boolean
            | Rule::path
            | Rule::target
            | Rule::list_type
            | Rule::enum_type
            | Rule::named_type
            | Rule::EOI
    )
}

/// The word just before `at` on the same line, if any.
fn previous_word(text: &str, at: usize) -> Option<&str> {
    let before = text.get(..at)?.trim_end_matches([' ', '\t']);
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let word = before.get(start..)?;
    (!word.is_empty()).then_some(word)
}

fn describe_token(token: &str) -> Option<&'static str> {
    Some(match token {
        "\n" | "\r\n" | "\r" | ";" => "end of line",
        "=" => "`=`",
        ":" => "`:`",
        "->" => "`->`",
        "=>" => "`=>`",
        "{" => "`{`",
        "}" => "`}`",
        "(" => "`(`",
        ")" => "`)`",
        "[" => "`[`",
        "]" => "`]`",
        "," => "`,`",
        "|" => "`|`",
        "?" => "`?`",
        "*" => "`*`",
        "\"" => "`\"`",
        "-" => "`-` and a field number",
        "." => "`.`",
        "??" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "and" | "or" | "in" | "via" => "an operator",
        "else" => "`else`",
        "as" => "`as`",
        "then" => "`then`",
        _ => return None,
    })
}

/// Every rule's description, or `None` for rules that are not worth naming.
pub(crate) fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of line",
        Rule::WHITESPACE | Rule::COMMENT | Rule::nl | Rule::br => return None,
        Rule::end => "end of line",
        Rule::ident_char
        | Rule::string_part
        | Rule::literal
        | Rule::path_step
        | Rule::target_step
        | Rule::prefix
        | Rule::infix
        | Rule::postfix
        | Rule::primary
        | Rule::args
        | Rule::statement_line
        | Rule::statement
        | Rule::statement_alone
        | Rule::item_line
        | Rule::item
        | Rule::item_alone
        | Rule::field_line
        | Rule::field_alone
        | Rule::type_expr
        | Rule::row_line
        | Rule::row_alone
        | Rule::balanced
        | Rule::string_raw
        | Rule::line_rest => return None,
        Rule::kw_use | Rule::use_decl => "`use`",
        Rule::kw_record | Rule::record_decl => "`record`",
        Rule::kw_table | Rule::table_decl => "`table`",
        Rule::kw_map | Rule::map_decl => "`map`",
        Rule::kw_let | Rule::let_stmt => "`let`",
        Rule::kw_each | Rule::each_stmt | Rule::each_expr => "`each`",
        Rule::kw_as => "`as`",
        Rule::kw_when | Rule::when_stmt => "`when`",
        Rule::kw_if | Rule::if_expr => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else | Rule::table_else => "`else`",
        Rule::kw_via | Rule::op_via => "`via`",
        Rule::kw_require | Rule::require_stmt => "`require`",
        Rule::kw_where | Rule::filter => "`where`",
        Rule::kw_in | Rule::op_in => "`in`",
        Rule::kw_and | Rule::op_and => "`and`",
        Rule::kw_or | Rule::op_or => "`or`",
        Rule::kw_not | Rule::op_not => "`not`",
        Rule::kw_true | Rule::kw_false | Rule::boolean => "`true` or `false`",
        Rule::kw_reject | Rule::else_reject => "`reject`",
        Rule::kw_keep | Rule::else_keep => "`keep`",
        Rule::else_absent => "`absent`",
        Rule::keyword => return None,
        Rule::ident => "a name",
        Rule::name => "an element name",
        Rule::index => "a number",
        Rule::string => "a string",
        Rule::string_text | Rule::escape | Rule::bad_escape => return None,
        Rule::string_close => "closing `\"`",
        Rule::number => "a number",
        Rule::path => "a path",
        Rule::relative_step | Rule::member_step => "`.` and a component or element",
        Rule::field_step => "`-` and a field number",
        Rule::selector => "`[`",
        Rule::all => "`*`",
        Rule::target => "an element to set",
        Rule::target_member => "`.` and an element name",
        Rule::append => "`[]`",
        Rule::target_index => "`[` and a number",
        Rule::expr => "an expression",
        Rule::op_coalesce
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt => "an operator",
        Rule::group => "`(`",
        Rule::call => "a call",
        Rule::block => "`{`",
        Rule::assign_stmt => "`=`",
        Rule::object_stmt => "`{`",
        Rule::file => return None,
        Rule::field => "a field (`name: type`)",
        Rule::optional => "`?`",
        Rule::list_type => "`[`",
        Rule::enum_type => "a string",
        Rule::named_type => "a type",
        Rule::code_system => "a code system such as `hl7 \"0001\"`",
        Rule::row => "a row such as `\"M\" => \"male\"`",
        Rule::sources => "a source type",
        Rule::source => "a source type",
        Rule::bad_item | Rule::bad_statement | Rule::bad_field | Rule::bad_row => return None,
    })
}

/// "`a`, `b` or `c`".
pub(crate) fn join(items: &[&str]) -> String {
    const MOST: usize = 6;
    let shown = &items[..items.len().min(MOST)];
    match shown {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => {
            let more = if items.len() > MOST { ", …" } else { "" };
            format!("{}{more} or {last}", init.join(", "))
        }
    }
}

/// A fix for the most common shapes of syntax error.
pub(crate) fn help(expected: &[&str], found: &Found) -> Option<String> {
    let at_end = matches!(found.kind, FoundKind::EndOfLine | FoundKind::EndOfFile);
    let only = |d: &str| expected.len() == 1 && expected[0] == d;
    if at_end && expected.contains(&"`{`") {
        return Some("open the block on the same line: `... {`".to_owned());
    }
    if only("end of line") {
        return Some(
            "put each statement on a line of its own, or separate them with `;`".to_owned(),
        );
    }
    if let FoundKind::Token(t) = &found.kind
        && t == "="
        && expected.contains(&"an operator")
    {
        return Some("compare with `==`; `=` sets an element".to_owned());
    }
    if at_end && expected.contains(&"an expression") {
        return Some("write the value: a path such as `PID-5.1`, a string, or a call".to_owned());
    }
    None
}
