//! pest → AST. Parsing never fails: it returns the tree it could build and a
//! diagnostic for every line it could not read.

use std::cell::RefCell;
use std::sync::{LazyLock, Once};

use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::expected;
use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/ferry.pest"]
pub(crate) struct FerryParser;

/// Nesting deeper than this (blocks in blocks, parentheses in parentheses) is
/// reported instead of followed, so deep input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Parses one file. Never panics: every line the grammar cannot read becomes
/// a diagnostic and the rest of the file is still parsed.
pub fn parse(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    static DETAIL: Once = Once::new();
    DETAIL.call_once(|| pest::set_error_detail(true));

    let builder = Builder {
        file,
        text,
        diagnostics: RefCell::new(Vec::new()),
        depth: RefCell::new(0),
    };
    let mut items = Vec::new();
    match FerryParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            if let Some(file_pair) = pairs.next() {
                for pair in file_pair.into_inner() {
                    if let Some(item) = builder.item(pair) {
                        items.push(item);
                    }
                }
            }
        }
        // Only the stack guard can stop the recovering grammar.
        Err(error) => builder.syntax_error(error, 0),
    }
    let module = Module { file, items };
    (module, builder.diagnostics.into_inner())
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::postfix(Rule::op_in))
        .op(Op::infix(Rule::op_coalesce, Assoc::Left))
        .op(Op::postfix(Rule::op_via))
});

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    diagnostics: RefCell<Vec<Diagnostic>>,
    depth: RefCell<usize>,
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_record
            | Rule::kw_table
            | Rule::kw_map
            | Rule::kw_let
            | Rule::kw_each
            | Rule::kw_as
            | Rule::kw_when
            | Rule::kw_if
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_via
            | Rule::kw_require
            | Rule::kw_where
            | Rule::kw_in
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_true
            | Rule::kw_false
            | Rule::kw_reject
            | Rule::kw_keep
    )
}

/// The children of a pair without the keyword tokens (their meaning is in the
/// parent's rule).
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

impl<'t> Builder<'t> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_owned(),
            span: self.span(&pair),
        }
    }

    /// Runs `f` one nesting level deeper, or reports the nesting as too deep.
    fn nested<T>(&self, span: Span, f: impl FnOnce() -> Option<T>) -> Option<T> {
        let depth = {
            let mut depth = self.depth.borrow_mut();
            *depth += 1;
            *depth
        };
        let result = if depth > MAX_DEPTH {
            if depth == MAX_DEPTH + 1 {
                self.report(
                    Diagnostic::new(Code::SyntaxError, "nesting is too deep")
                        .primary(span, format!("more than {MAX_DEPTH} levels deep here"))
                        .help("split the expression with `let` or move the rules into a map of their own"),
                );
            }
            None
        } else {
            f()
        };
        *self.depth.borrow_mut() -= 1;
        result
    }

    // ------------------------------------------------------------ recovery

    /// Explains a recovery node: re-parses its text with the strict rule and
    /// reports pest's deepest failure in the language's words.
    fn recover(&self, pair: Pair<'_, Rule>, strict: Rule) {
        let start = pair.as_span().start();
        let text = pair.as_str();
        match FerryParser::parse(strict, text) {
            Err(error) => self.syntax_error(error, start),
            Ok(_) => self.report(
                Diagnostic::new(Code::SyntaxError, "this line cannot be read here")
                    .primary(self.span(&pair), "not expected at this place")
                    .help("check the braces around this line"),
            ),
        }
    }

    fn syntax_error(&self, error: pest::error::Error<Rule>, offset: usize) {
        let position = error.parse_attempts().map_or_else(
            || match error.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            },
            |a| a.max_position,
        );
        let at = offset + position;
        let found = expected::found(self.text, at);
        let expected = expected::describe(&error, self.text, at);
        let end = at + found.len_in_source;
        let span = Span::new(self.file, at, end.min(self.text.len()));
        let mut diagnostic = if expected.is_empty() {
            Diagnostic::new(
                Code::SyntaxError,
                format!("unexpected {}", found.describe()),
            )
            .primary(span, "not expected here")
        } else {
            Diagnostic::new(
                Code::SyntaxError,
                format!(
                    "expected {}, found {}",
                    expected::join(&expected),
                    found.describe()
                ),
            )
            .primary(span, format!("expected {}", expected::join(&expected)))
        };
        if let Some(help) = expected::help(&expected, &found) {
            diagnostic = diagnostic.help(help);
        }
        self.report(diagnostic);
    }

    // ------------------------------------------------------------ items

    fn item(&self, pair: Pair<'_, Rule>) -> Option<Item> {
        match pair.as_rule() {
            Rule::use_decl => self.use_decl(pair).map(Item::Use),
            Rule::record_decl => self.record(pair).map(Item::Record),
            Rule::table_decl => self.table(pair).map(Item::Table),
            Rule::map_decl => self.map(pair).map(Item::Map),
            Rule::let_stmt => self.let_stmt(pair).map(Item::Let),
            Rule::bad_item => {
                self.recover(pair, Rule::item_alone);
                None
            }
            // EOI and separators.
            _ => None,
        }
    }

    fn use_decl(&self, pair: Pair<'_, Rule>) -> Option<UseDecl> {
        debug_assert_eq!(pair.as_rule(), Rule::use_decl);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let standard = self.ident(inner.next()?);
        let version = self.string(inner.next()?);
        Some(UseDecl {
            standard,
            version,
            span,
        })
    }

    fn record(&self, pair: Pair<'_, Rule>) -> Option<RecordDecl> {
        debug_assert_eq!(pair.as_rule(), Rule::record_decl);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next()?);
        let mut fields = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::field => fields.extend(self.field(p)),
                Rule::bad_field => self.recover(p, Rule::field_alone),
                _ => {}
            }
        }
        Some(RecordDecl { name, fields, span })
    }

    fn field(&self, pair: Pair<'_, Rule>) -> Option<FieldDecl> {
        let span = self.span(&pair);
        let mut inner = children(pair).peekable();
        let key_pair = inner.next()?;
        let key = match key_pair.as_rule() {
            Rule::string => {
                let s = self.string(key_pair);
                FieldKey {
                    name: s.value,
                    quoted: true,
                    span: s.span,
                }
            }
            _ => FieldKey {
                name: key_pair.as_str().to_owned(),
                quoted: false,
                span: self.span(&key_pair),
            },
        };
        let optional = inner.next_if(|p| p.as_rule() == Rule::optional).is_some();
        let ty = self.type_expr(inner.next()?)?;
        Some(FieldDecl {
            key,
            optional,
            ty,
            span,
        })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::named_type => Some(TypeExpr::Named(self.ident(pair.into_inner().next()?))),
            Rule::list_type => self.nested(span, || {
                let inner = self.type_expr(pair.into_inner().next()?)?;
                Some(TypeExpr::List(Box::new(inner), span))
            }),
            Rule::enum_type => Some(TypeExpr::Enum(
                pair.into_inner().map(|p| self.string(p)).collect(),
                span,
            )),
            _ => None,
        }
    }

    fn table(&self, pair: Pair<'_, Rule>) -> Option<TableDecl> {
        debug_assert_eq!(pair.as_rule(), Rule::table_decl);
        let span = self.span(&pair);
        let mut inner = children(pair).peekable();
        let name = self.ident(inner.next()?);
        let mut systems = Vec::new();
        while let Some(p) = inner.next_if(|p| p.as_rule() == Rule::code_system) {
            systems.extend(self.code_system(p));
        }
        let signature = match <[CodeSystemRef; 2]>::try_from(systems) {
            Ok([input, output]) => Some(TableSignature { input, output }),
            Err(_) => None,
        };
        let mut entries = Vec::new();
        for p in inner {
            let entry_span = self.span(&p);
            match p.as_rule() {
                Rule::row => {
                    let mut strings: Vec<StringLit> =
                        p.into_inner().map(|s| self.string(s)).collect();
                    if let Some(output) = strings.pop() {
                        entries.push(TableEntry::Row {
                            inputs: strings,
                            output,
                            span: entry_span,
                        });
                    }
                }
                Rule::table_else => {
                    let Some(action_pair) = children(p).next() else {
                        continue;
                    };
                    let action = match action_pair.as_rule() {
                        Rule::string => ElseAction::Code(self.string(action_pair)),
                        Rule::else_reject => ElseAction::Reject(self.span(&action_pair)),
                        Rule::else_absent => ElseAction::Absent(self.span(&action_pair)),
                        _ => ElseAction::Keep(self.span(&action_pair)),
                    };
                    entries.push(TableEntry::Else {
                        action,
                        span: entry_span,
                    });
                }
                Rule::bad_row => self.recover(p, Rule::row_alone),
                _ => {}
            }
        }
        Some(TableDecl {
            name,
            signature,
            entries,
            span,
        })
    }

    fn code_system(&self, pair: Pair<'_, Rule>) -> Option<CodeSystemRef> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.ident(inner.next()?);
        let id = self.string(inner.next()?);
        Some(CodeSystemRef { kind, id, span })
    }

    fn map(&self, pair: Pair<'_, Rule>) -> Option<MapDecl> {
        debug_assert_eq!(pair.as_rule(), Rule::map_decl);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next()?);
        let sources = inner
            .next()?
            .into_inner()
            .filter_map(|source| {
                let span = self.span(&source);
                let mut parts = children(source);
                let ty = self.ident(parts.next()?);
                let alias = parts.next().map(|a| self.ident(a));
                Some(Source { ty, alias, span })
            })
            .collect();
        let target = self.ident(inner.next()?);
        let body = self.block(inner.next()?)?;
        Some(MapDecl {
            name,
            sources,
            target,
            body,
            span,
        })
    }

    // ------------------------------------------------------------ statements

    fn block(&self, pair: Pair<'_, Rule>) -> Option<Block> {
        debug_assert_eq!(pair.as_rule(), Rule::block);
        let span = self.span(&pair);
        self.nested(span, || {
            let mut stmts = Vec::new();
            for p in pair.into_inner() {
                if p.as_rule() == Rule::bad_statement {
                    self.recover(p, Rule::statement_alone);
                } else if let Some(stmt) = self.stmt(p) {
                    stmts.push(stmt);
                }
            }
            Some(Block { stmts, span })
        })
    }

    fn stmt(&self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        match pair.as_rule() {
            Rule::let_stmt => self.let_stmt(pair).map(Stmt::Let),
            Rule::when_stmt => self.when_stmt(pair).map(Stmt::When),
            Rule::each_stmt => self.each(pair).map(Stmt::Each),
            Rule::require_stmt => self.require(pair).map(Stmt::Require),
            Rule::assign_stmt => self.assign(pair).map(Stmt::Assign),
            Rule::object_stmt => self.object(pair).map(Stmt::Object),
            _ => None,
        }
    }

    fn let_stmt(&self, pair: Pair<'_, Rule>) -> Option<LetStmt> {
        debug_assert_eq!(pair.as_rule(), Rule::let_stmt);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next()?);
        let value = self.expr(inner.next()?)?;
        Some(LetStmt { name, value, span })
    }

    fn when_stmt(&self, pair: Pair<'_, Rule>) -> Option<WhenStmt> {
        debug_assert_eq!(pair.as_rule(), Rule::when_stmt);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let cond = self.expr(inner.next()?)?;
        let then = self.block(inner.next()?)?;
        let otherwise = match inner.next() {
            None => None,
            Some(p) if p.as_rule() == Rule::when_stmt => {
                let nested_span = self.span(&p);
                Some(Otherwise::When(Box::new(
                    self.nested(nested_span, || self.when_stmt(p))?,
                )))
            }
            Some(p) => Some(Otherwise::Block(self.block(p)?)),
        };
        Some(WhenStmt {
            cond,
            then,
            otherwise,
            span,
        })
    }

    fn each(&self, pair: Pair<'_, Rule>) -> Option<Each> {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let source = self.expr(inner.next()?)?;
        let binding = self.ident(inner.next()?);
        let body = self.block(inner.next()?)?;
        Some(Each {
            source,
            binding,
            body,
            span,
        })
    }

    fn require(&self, pair: Pair<'_, Rule>) -> Option<RequireStmt> {
        debug_assert_eq!(pair.as_rule(), Rule::require_stmt);
        let span = self.span(&pair);
        let mut paths = Vec::new();
        let mut reason = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::path => paths.push(self.path(p)?),
                Rule::string => reason = Some(self.string(p)),
                _ => {}
            }
        }
        Some(RequireStmt {
            paths,
            reason,
            span,
        })
    }

    fn assign(&self, pair: Pair<'_, Rule>) -> Option<AssignStmt> {
        debug_assert_eq!(pair.as_rule(), Rule::assign_stmt);
        let span = self.span(&pair);
        let mut inner = children(pair);
        let target = self.target(inner.next()?);
        let value_pair = inner.next()?;
        let value = match value_pair.as_rule() {
            Rule::each_expr => AssignValue::Each(self.each(value_pair)?),
            _ => AssignValue::Expr(self.expr(value_pair)?),
        };
        Some(AssignStmt {
            target,
            value,
            span,
        })
    }

    fn object(&self, pair: Pair<'_, Rule>) -> Option<ObjectStmt> {
        debug_assert_eq!(pair.as_rule(), Rule::object_stmt);
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let target = self.target(inner.next()?);
        let body = self.block(inner.next()?)?;
        Some(ObjectStmt { target, body, span })
    }

    fn target(&self, pair: Pair<'_, Rule>) -> TargetPath {
        debug_assert_eq!(pair.as_rule(), Rule::target);
        let span = self.span(&pair);
        let mut steps = Vec::new();
        for p in pair.into_inner() {
            let step_span = self.span(&p);
            match p.as_rule() {
                Rule::name => steps.push(TargetStep::Member(self.ident(p))),
                Rule::target_member => {
                    if let Some(name) = p.into_inner().next() {
                        steps.push(TargetStep::Member(self.ident(name)));
                    }
                }
                Rule::append => steps.push(TargetStep::Append(step_span)),
                Rule::target_index => {
                    if let Some(index) = p.into_inner().next() {
                        steps.push(TargetStep::Index(self.position(index), step_span));
                    }
                }
                _ => {}
            }
        }
        TargetPath { steps, span }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&self, pair: Pair<'_, Rule>) -> Option<Expr> {
        debug_assert_eq!(pair.as_rule(), Rule::expr);
        let span = self.span(&pair);
        self.nested(span, || {
            PRATT
                .map_primary(|p| self.primary(p))
                .map_prefix(|op, rhs| {
                    let rhs = rhs?;
                    Some(Expr {
                        span: self.span(&op).to(rhs.span),
                        kind: ExprKind::Not(Box::new(rhs)),
                    })
                })
                .map_postfix(|lhs, op| {
                    let lhs = lhs?;
                    let span = lhs.span.to(self.span(&op));
                    let kind = match op.as_rule() {
                        Rule::op_via => ExprKind::Via {
                            value: Box::new(lhs),
                            table: self.ident(children(op).next()?),
                        },
                        _ => ExprKind::In {
                            value: Box::new(lhs),
                            options: children(op).map(|e| self.expr(e)).collect::<Option<_>>()?,
                        },
                    };
                    Some(Expr { kind, span })
                })
                .map_infix(|lhs, op, rhs| {
                    let (lhs, rhs) = (lhs?, rhs?);
                    let op = match op.as_rule() {
                        Rule::op_or => BinaryOp::Or,
                        Rule::op_and => BinaryOp::And,
                        Rule::op_coalesce => BinaryOp::Coalesce,
                        Rule::op_eq => BinaryOp::Eq,
                        Rule::op_ne => BinaryOp::Ne,
                        Rule::op_lt => BinaryOp::Lt,
                        Rule::op_le => BinaryOp::Le,
                        Rule::op_gt => BinaryOp::Gt,
                        _ => BinaryOp::Ge,
                    };
                    Some(Expr {
                        span: lhs.span.to(rhs.span),
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                    })
                })
                .parse(pair.into_inner())
        })
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ExprKind::Literal(Literal::String(self.string(pair).value)),
            Rule::number => ExprKind::Literal(Literal::Number(pair.as_str().to_owned())),
            Rule::boolean => ExprKind::Literal(Literal::Bool(pair.as_str().trim() == "true")),
            Rule::path => ExprKind::Path(self.path(pair)?),
            Rule::call => {
                let mut inner = pair.into_inner();
                let callee = self.ident(inner.next()?);
                let args = inner.map(|e| self.expr(e)).collect::<Option<_>>()?;
                ExprKind::Call(Call { callee, args })
            }
            Rule::if_expr => {
                let mut inner = children(pair);
                let cond = self.expr(inner.next()?)?;
                let then = self.expr(inner.next()?)?;
                let otherwise = self.expr(inner.next()?)?;
                ExprKind::If {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                }
            }
            Rule::group => {
                let inner = self.expr(pair.into_inner().next()?)?;
                // The parentheses belong to the expression's span.
                return Some(Expr {
                    kind: inner.kind,
                    span,
                });
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Option<Path> {
        debug_assert_eq!(pair.as_rule(), Rule::path);
        let span = self.span(&pair);
        let mut root = None;
        let mut steps = Vec::new();
        for p in pair.into_inner() {
            let step_span = self.span(&p);
            let kind = match p.as_rule() {
                Rule::ident => {
                    root = Some(self.ident(p));
                    continue;
                }
                Rule::field_step => StepKind::Field(self.position(p.into_inner().next()?)),
                Rule::member_step | Rule::relative_step => {
                    let key = p.into_inner().next()?;
                    match key.as_rule() {
                        Rule::index => StepKind::Position(self.position(key)),
                        _ => StepKind::Member(key.as_str().to_owned()),
                    }
                }
                Rule::selector => {
                    let sel = p.into_inner().next()?;
                    match sel.as_rule() {
                        Rule::all => StepKind::All,
                        Rule::index => StepKind::Index(self.position(sel)),
                        _ => StepKind::Where(Box::new(self.expr(children(sel).next()?)?)),
                    }
                }
                _ => continue,
            };
            steps.push(PathStep {
                kind,
                span: step_span,
            });
        }
        Some(Path { root, steps, span })
    }

    /// A position or index, counted from 1.
    fn position(&self, pair: Pair<'_, Rule>) -> u32 {
        let span = self.span(&pair);
        match pair.as_str().parse::<u32>() {
            Ok(0) => {
                self.report(
                    Diagnostic::new(Code::ZeroPosition, "positions are counted from 1")
                        .primary(span, "there is no position 0")
                        .note("HL7 v2 fields, components and repetitions, and Ferry's indexes, start at 1")
                        .help("write 1 for the first one"),
                );
                0
            }
            Ok(n) if n <= 9999 => n,
            _ => {
                self.report(
                    Diagnostic::new(Code::NumberOutOfRange, "position is too large")
                        .primary(span, "no segment, field or list has this many entries")
                        .note("Ferry accepts positions from 1 to 9999")
                        .help("check the number: HL7 v2 fields and components are numbered as in the standard's tables"),
                );
                u32::MAX
            }
        }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> StringLit {
        let span = self.span(&pair);
        let mut value = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string_text => value.push_str(part.as_str()),
                Rule::escape => match unescape(part.as_str()) {
                    Some(c) => value.push(c),
                    None => {
                        self.report(
                            Diagnostic::new(Code::InvalidEscape, "invalid unicode escape")
                                .primary(self.span(&part), "not a Unicode scalar value")
                                .help("write a code point between 0 and 10FFFF, outside D800-DFFF, e.g. `\\u{e9}`"),
                        );
                    }
                },
                Rule::bad_escape => {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidEscape,
                            format!("unknown escape `{}`", part.as_str()),
                        )
                        .primary(self.span(&part), "not an escape Ferry knows")
                        .note("strings know `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t` and `\\u{...}`")
                        .help("write `\\\\` for a backslash"),
                    );
                    value.push_str(part.as_str());
                }
                Rule::string_close if part.as_str().is_empty() => {
                    self.report(
                        Diagnostic::new(Code::UnterminatedString, "string is not closed")
                            .primary(span, "this string has no closing `\"` on its line")
                            .help("add `\"` where the string ends; strings cannot span lines (use `\\n`)"),
                    );
                }
                _ => {}
            }
        }
        StringLit { value, span }
    }
}

/// `\n`, `\"`, `\u{e9}` → the character.
fn unescape(escape: &str) -> Option<char> {
    let body = escape.strip_prefix('\\')?;
    match body {
        "\"" => Some('"'),
        "\\" => Some('\\'),
        "n" => Some('\n'),
        "r" => Some('\r'),
        "t" => Some('\t'),
        _ => {
            let hex = body.strip_prefix("u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)
        }
    }
}
