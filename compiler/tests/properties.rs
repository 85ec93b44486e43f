//! Properties of the front end:
//! - parsing and checking arbitrary text never panics, and every span (of
//!   the tree and of every diagnostic) lies inside its file, on character
//!   boundaries;
//! - printing a tree and parsing the text gives the same tree (spans aside).
//!
//! `PROPTEST_CASES` raises the case count for a longer run.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_compiler::check;
use ferry_compiler::span::{FileId, SourceMap, Span};
use ferry_compiler::syntax::{self, ast::*, print, visit};
use proptest::prelude::*;

fn span_ok(text: &str, file: FileId, span: Span) -> bool {
    span.file == file
        && span.start <= span.end
        && (span.end as usize) <= text.len()
        && text.is_char_boundary(span.start as usize)
        && text.is_char_boundary(span.end as usize)
}

fn check_text_never_panics(text: &str) -> Result<(), TestCaseError> {
    let mut sources = SourceMap::new();
    let (file, _) = check::add_source(&mut sources, "t.ferry", text.as_bytes());
    let checked = check::check(&sources);
    let shown = sources.get(file).unwrap().text();
    for module in &checked.modules {
        for span in visit::spans(module) {
            prop_assert!(
                span_ok(shown, file, span),
                "tree span {span:?} outside the text"
            );
        }
    }
    for d in &checked.diagnostics {
        for label in &d.labels {
            prop_assert!(
                span_ok(shown, file, label.span),
                "label {:?} of {:?}",
                label.span,
                d.code
            );
        }
    }
    // Rendering must not panic either.
    let _ = ferry_compiler::diagnostic::render::human(&sources, &checked.diagnostics, false);
    let _ = ferry_compiler::diagnostic::render::json(&sources, &checked.diagnostics);
    Ok(())
}

/// Text made of the language's own tokens: reaches far deeper into the
/// grammar than uniformly random characters.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "use",
        "hl7v2",
        "fhir",
        "\"2.5.1\"",
        "record",
        "table",
        "map",
        "let",
        "each",
        "as",
        "when",
        "if",
        "then",
        "else",
        "via",
        "require",
        "where",
        "in",
        "and",
        "or",
        "not",
        "true",
        "reject",
        "keep",
        "PID",
        "PID-3",
        "-",
        ".",
        "5",
        "0",
        "[",
        "]",
        "[*]",
        "{",
        "}",
        "(",
        ")",
        ",",
        ":",
        "->",
        "=>",
        "=",
        "==",
        "!=",
        "??",
        "<",
        "|",
        "?",
        "\"",
        "\"x\"",
        "\"\\q\"",
        "\\",
        "//",
        "\n",
        "\r\n",
        "\r",
        ";",
        "x",
        "name[]",
        "cx.1",
        "99999999999",
        "é",
        "\u{FEFF}",
        "\t",
        "_",
    ]);
    prop::collection::vec((tokens, prop::sample::select(vec!["", " ", "\n"])), 0..80).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(t, sep)| format!("{t}{sep}"))
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_text_never_panics(text in ".*") {
        check_text_never_panics(&text)?;
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        check_text_never_panics(&text)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut sources = SourceMap::new();
        let (file, problem) = check::add_source(&mut sources, "b.ferry", &bytes);
        let checked = check::check(&sources);
        let shown = sources.get(file).unwrap().text();
        if std::str::from_utf8(&bytes).is_err() {
            prop_assert!(problem.is_some());
        }
        for d in checked.diagnostics.iter().chain(problem.iter()) {
            for label in &d.labels {
                prop_assert!(span_ok(shown, file, label.span));
            }
        }
    }

    #[test]
    fn print_then_parse_gives_the_same_tree(module in module()) {
        let text = print::module(&module);
        let (mut parsed, diagnostics) = syntax::parse(FileId(0), &text);
        prop_assert!(diagnostics.is_empty(), "{text}\n{diagnostics:#?}");
        visit::clear_spans(&mut parsed);
        prop_assert_eq!(parsed, module, "{}", text);
    }
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    let depth = 5000;
    let text = format!(
        "map m: PID -> Patient {{\n  x = {}1{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let mut sources = SourceMap::new();
    check::add_source(&mut sources, "deep.ferry", text.as_bytes());
    let checked = check::check(&sources);
    assert!(checked.error_count() > 0);
}

// ---------------------------------------------------------------- generators

const KEYWORDS: &[&str] = &[
    "use", "record", "table", "map", "let", "each", "as", "when", "if", "then", "else", "via",
    "require", "where", "in", "and", "or", "not", "true", "false", "reject", "keep", "truth",
    "identity", "match",
];

fn ident_from(re: &'static str) -> impl Strategy<Value = Ident> {
    re.prop_filter("not a keyword", |s: &String| {
        !KEYWORDS.contains(&s.as_str())
    })
    .prop_map(|name| Ident {
        name,
        span: Span::default(),
    })
}

fn var() -> impl Strategy<Value = Ident> {
    ident_from("[a-z_][a-z0-9_]{0,6}")
}

fn type_name() -> impl Strategy<Value = Ident> {
    ident_from("[A-Z][A-Za-z0-9_]{0,6}")
}

/// Element names after a dot may be keywords (`use`, `type`, `when`).
fn element() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-zA-Z0-9]{0,6}",
        prop::sample::select(vec!["use", "when", "type", "value", "in"]).prop_map(String::from)
    ]
}

fn lit() -> impl Strategy<Value = StringLit> {
    any::<String>().prop_map(|value| StringLit {
        value,
        span: Span::default(),
    })
}

fn position() -> impl Strategy<Value = u32> {
    1u32..=9999
}

fn expr_of(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        any::<String>().prop_map(|s| expr_of(ExprKind::Literal(Literal::String(s)))),
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?".prop_map(|n| expr_of(ExprKind::Literal(Literal::Number(n)))),
        any::<bool>().prop_map(|b| expr_of(ExprKind::Literal(Literal::Bool(b)))),
        simple_path().prop_map(|p| expr_of(ExprKind::Path(p))),
    ]
}

fn step(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = PathStep> {
    prop_oneof![
        position().prop_map(StepKind::Field),
        position().prop_map(StepKind::Position),
        element().prop_map(StepKind::Member),
        position().prop_map(StepKind::Index),
        Just(StepKind::All),
        inner.prop_map(|e| StepKind::Where(Box::new(e))),
    ]
    .prop_map(|kind| PathStep {
        kind,
        span: Span::default(),
    })
}

fn simple_step() -> impl Strategy<Value = PathStep> {
    prop_oneof![
        position().prop_map(StepKind::Field),
        position().prop_map(StepKind::Position),
        element().prop_map(StepKind::Member),
        position().prop_map(StepKind::Index),
        Just(StepKind::All),
    ]
    .prop_map(|kind| PathStep {
        kind,
        span: Span::default(),
    })
}

fn relative_first() -> impl Strategy<Value = PathStep> {
    prop_oneof![
        position().prop_map(StepKind::Position),
        element().prop_map(StepKind::Member),
    ]
    .prop_map(|kind| PathStep {
        kind,
        span: Span::default(),
    })
}

fn simple_path() -> impl Strategy<Value = Path> {
    prop_oneof![
        (
            prop_oneof![var(), type_name()],
            prop::collection::vec(simple_step(), 0..4)
        )
            .prop_map(|(root, steps)| Path {
                root: Some(root),
                steps,
                span: Span::default(),
            }),
        (relative_first(), prop::collection::vec(simple_step(), 0..3)).prop_map(
            |(first, mut rest)| {
                rest.insert(0, first);
                Path {
                    root: None,
                    steps: rest,
                    span: Span::default(),
                }
            }
        ),
    ]
}

fn expr() -> BoxedStrategy<Expr> {
    leaf()
        .prop_recursive(4, 48, 4, |inner| {
            let op = prop::sample::select(vec![
                BinaryOp::Or,
                BinaryOp::And,
                BinaryOp::Coalesce,
                BinaryOp::Eq,
                BinaryOp::Ne,
                BinaryOp::Lt,
                BinaryOp::Le,
                BinaryOp::Gt,
                BinaryOp::Ge,
            ]);
            prop_oneof![
                (op, inner.clone(), inner.clone()).prop_map(|(op, l, r)| expr_of(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    }
                )),
                inner
                    .clone()
                    .prop_map(|e| expr_of(ExprKind::Not(Box::new(e)))),
                (inner.clone(), var()).prop_map(|(e, table)| expr_of(ExprKind::Via {
                    value: Box::new(e),
                    table,
                })),
                (inner.clone(), prop::collection::vec(inner.clone(), 1..3)).prop_map(
                    |(e, options)| {
                        expr_of(ExprKind::In {
                            value: Box::new(e),
                            options,
                        })
                    }
                ),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| expr_of(
                    ExprKind::If {
                        cond: Box::new(c),
                        then: Box::new(t),
                        otherwise: Box::new(o),
                    }
                )),
                (var(), prop::collection::vec(inner.clone(), 0..3))
                    .prop_map(|(callee, args)| expr_of(ExprKind::Call(Call { callee, args }))),
                (
                    prop_oneof![var(), type_name()],
                    prop::collection::vec(step(inner.clone()), 1..4)
                )
                    .prop_map(|(root, steps)| expr_of(ExprKind::Path(Path {
                        root: Some(root),
                        steps,
                        span: Span::default(),
                    }))),
            ]
        })
        .boxed()
}

fn target() -> impl Strategy<Value = TargetPath> {
    (
        element(),
        prop::collection::vec(
            prop_oneof![
                element().prop_map(|name| TargetStep::Member(Ident {
                    name,
                    span: Span::default()
                })),
                Just(TargetStep::Append(Span::default())),
                position().prop_map(|n| TargetStep::Index(n, Span::default())),
            ],
            0..4,
        ),
    )
        .prop_map(|(first, mut rest)| {
            rest.insert(
                0,
                TargetStep::Member(Ident {
                    name: first,
                    span: Span::default(),
                }),
            );
            TargetPath {
                steps: rest,
                span: Span::default(),
            }
        })
}

fn let_stmt() -> impl Strategy<Value = LetStmt> {
    (var(), expr()).prop_map(|(name, value)| LetStmt {
        name,
        value,
        span: Span::default(),
    })
}

fn block_of(stmt: BoxedStrategy<Stmt>) -> impl Strategy<Value = Block> {
    prop::collection::vec(stmt, 0..4).prop_map(|stmts| Block {
        stmts,
        span: Span::default(),
    })
}

fn stmt() -> BoxedStrategy<Stmt> {
    let leaf_stmt = prop_oneof![
        let_stmt().prop_map(Stmt::Let),
        (target(), expr()).prop_map(|(target, e)| Stmt::Assign(AssignStmt {
            target,
            value: AssignValue::Expr(e),
            span: Span::default(),
        })),
        (
            prop::collection::vec(simple_path(), 1..3),
            prop::option::of(lit())
        )
            .prop_map(|(paths, reason)| Stmt::Require(RequireStmt {
                paths,
                reason,
                span: Span::default(),
            })),
    ];
    leaf_stmt
        .prop_recursive(3, 24, 4, |inner| {
            let each = (expr(), var(), block_of(inner.clone()))
                .prop_map(|(source, binding, body)| Each {
                    source,
                    binding,
                    body,
                    span: Span::default(),
                })
                .boxed();
            prop_oneof![
                (
                    expr(),
                    block_of(inner.clone()),
                    prop::option::of(block_of(inner.clone()))
                )
                    .prop_map(|(cond, then, otherwise)| Stmt::When(WhenStmt {
                        cond,
                        then,
                        otherwise: otherwise.map(Otherwise::Block),
                        span: Span::default(),
                    })),
                (
                    expr(),
                    block_of(inner.clone()),
                    expr(),
                    block_of(inner.clone())
                )
                    .prop_map(|(cond, then, cond2, then2)| Stmt::When(WhenStmt {
                        cond,
                        then,
                        otherwise: Some(Otherwise::When(Box::new(WhenStmt {
                            cond: cond2,
                            then: then2,
                            otherwise: None,
                            span: Span::default(),
                        }))),
                        span: Span::default(),
                    })),
                each.clone().prop_map(Stmt::Each),
                (target(), each).prop_map(|(target, each)| Stmt::Assign(AssignStmt {
                    target,
                    value: AssignValue::Each(each),
                    span: Span::default(),
                })),
                (target(), block_of(inner.clone())).prop_map(|(target, body)| Stmt::Object(
                    ObjectStmt {
                        target,
                        body,
                        span: Span::default(),
                    }
                )),
            ]
        })
        .boxed()
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    let leaf = prop_oneof![
        var().prop_map(TypeExpr::Named),
        type_name().prop_map(TypeExpr::Named),
        prop::collection::vec(lit(), 1..4).prop_map(|v| TypeExpr::Enum(v, Span::default())),
    ];
    leaf.prop_recursive(2, 4, 1, |inner| {
        inner.prop_map(|t| TypeExpr::List(Box::new(t), Span::default()))
    })
}

fn item() -> impl Strategy<Value = Item> {
    let code_system = || {
        (var(), lit()).prop_map(|(kind, id)| CodeSystemRef {
            kind,
            id,
            span: Span::default(),
        })
    };
    let entry = prop_oneof![
        (prop::collection::vec(lit(), 1..3), lit()).prop_map(|(inputs, output)| TableEntry::Row {
            inputs,
            output,
            span: Span::default(),
        }),
        prop_oneof![
            lit().prop_map(ElseAction::Code),
            Just(ElseAction::Reject(Span::default())),
            Just(ElseAction::Keep(Span::default())),
            Just(ElseAction::Absent(Span::default())),
        ]
        .prop_map(|action| TableEntry::Else {
            action,
            span: Span::default(),
        }),
    ];
    prop_oneof![
        (var(), lit()).prop_map(|(standard, version)| Item::Use(UseDecl {
            standard,
            version,
            span: Span::default(),
        })),
        let_stmt().prop_map(Item::Let),
        (
            type_name(),
            prop::collection::vec(
                (
                    prop_oneof![
                        element().prop_map(|n| (n, false)),
                        any::<String>().prop_map(|n| (n, true))
                    ],
                    any::<bool>(),
                    type_expr()
                ),
                0..4
            )
        )
            .prop_map(|(name, fields)| Item::Record(RecordDecl {
                name,
                fields: fields
                    .into_iter()
                    .map(|((name, quoted), optional, ty)| FieldDecl {
                        key: FieldKey {
                            name,
                            quoted,
                            span: Span::default(),
                        },
                        optional,
                        ty,
                        span: Span::default(),
                    })
                    .collect(),
                span: Span::default(),
            })),
        (
            var(),
            prop::option::of((code_system(), code_system())),
            prop::collection::vec(entry, 0..4)
        )
            .prop_map(|(name, sig, entries)| Item::Table(TableDecl {
                name,
                signature: sig.map(|(input, output)| TableSignature { input, output }),
                entries,
                span: Span::default(),
            })),
        (
            var(),
            prop::collection::vec((type_name(), prop::option::of(var())), 1..3),
            type_name(),
            block_of(stmt())
        )
            .prop_map(|(name, sources, target, body)| Item::Map(MapDecl {
                name,
                sources: sources
                    .into_iter()
                    .map(|(ty, alias)| Source {
                        ty,
                        alias,
                        span: Span::default(),
                    })
                    .collect(),
                target,
                body,
                span: Span::default(),
            })),
    ]
}

fn module() -> impl Strategy<Value = Module> {
    prop::collection::vec(item(), 0..5).prop_map(|items| Module {
        file: FileId(0),
        items,
    })
}
