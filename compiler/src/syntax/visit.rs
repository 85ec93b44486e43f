//! The AST's one traversal: every span of a tree, in source order.
//!
//! Used to compare trees modulo spans (the print → parse round trip) and to
//! check that every span lies inside its file.

use super::ast::*;
use crate::span::Span;

/// Calls `f` on every span of a node and its children.
pub trait WalkSpans {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span));
}

/// Sets every span to the default, so trees compare by structure alone.
pub fn clear_spans<T: WalkSpans>(node: &mut T) {
    node.walk_spans(&mut |span| *span = Span::default());
}

/// Every span of a node, in walk order.
pub fn spans<T: WalkSpans + Clone>(node: &T) -> Vec<Span> {
    let mut copy = node.clone();
    let mut out = Vec::new();
    copy.walk_spans(&mut |span| out.push(*span));
    out
}

impl<T: WalkSpans> WalkSpans for Vec<T> {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        for item in self {
            item.walk_spans(f);
        }
    }
}

impl<T: WalkSpans> WalkSpans for Option<T> {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        if let Some(item) = self {
            item.walk_spans(f);
        }
    }
}

impl<T: WalkSpans> WalkSpans for Box<T> {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        (**self).walk_spans(f);
    }
}

impl WalkSpans for Module {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Module { file: _, items } = self;
        items.walk_spans(f);
    }
}

impl WalkSpans for Item {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            Item::Use(UseDecl {
                standard,
                version,
                span,
            }) => {
                f(span);
                standard.walk_spans(f);
                version.walk_spans(f);
            }
            Item::Record(RecordDecl { name, fields, span }) => {
                f(span);
                name.walk_spans(f);
                fields.walk_spans(f);
            }
            Item::Table(TableDecl {
                name,
                signature,
                entries,
                span,
            }) => {
                f(span);
                name.walk_spans(f);
                if let Some(TableSignature { input, output }) = signature {
                    input.walk_spans(f);
                    output.walk_spans(f);
                }
                entries.walk_spans(f);
            }
            Item::Map(MapDecl {
                name,
                sources,
                target,
                body,
                span,
            }) => {
                f(span);
                name.walk_spans(f);
                sources.walk_spans(f);
                target.walk_spans(f);
                body.walk_spans(f);
            }
            Item::Let(l) => l.walk_spans(f),
        }
    }
}

impl WalkSpans for Ident {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
    }
}

impl WalkSpans for StringLit {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
    }
}

impl WalkSpans for FieldDecl {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let FieldDecl {
            key,
            optional: _,
            ty,
            span,
        } = self;
        f(span);
        f(&mut key.span);
        ty.walk_spans(f);
    }
}

impl WalkSpans for TypeExpr {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            TypeExpr::Named(n) => n.walk_spans(f),
            TypeExpr::List(inner, span) => {
                f(span);
                inner.walk_spans(f);
            }
            TypeExpr::Enum(values, span) => {
                f(span);
                values.walk_spans(f);
            }
        }
    }
}

impl WalkSpans for CodeSystemRef {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let CodeSystemRef { kind, id, span } = self;
        f(span);
        kind.walk_spans(f);
        id.walk_spans(f);
    }
}

impl WalkSpans for TableEntry {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            TableEntry::Row {
                inputs,
                output,
                span,
            } => {
                f(span);
                inputs.walk_spans(f);
                output.walk_spans(f);
            }
            TableEntry::Else { action, span } => {
                f(span);
                match action {
                    ElseAction::Code(code) => code.walk_spans(f),
                    ElseAction::Reject(s) | ElseAction::Keep(s) | ElseAction::Absent(s) => f(s),
                }
            }
        }
    }
}

impl WalkSpans for Source {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Source { ty, alias, span } = self;
        f(span);
        ty.walk_spans(f);
        alias.walk_spans(f);
    }
}

impl WalkSpans for Block {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Block { stmts, span } = self;
        f(span);
        stmts.walk_spans(f);
    }
}

impl WalkSpans for LetStmt {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let LetStmt { name, value, span } = self;
        f(span);
        name.walk_spans(f);
        value.walk_spans(f);
    }
}

impl WalkSpans for WhenStmt {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let WhenStmt {
            cond,
            then,
            otherwise,
            span,
        } = self;
        f(span);
        cond.walk_spans(f);
        then.walk_spans(f);
        match otherwise {
            None => {}
            Some(Otherwise::When(w)) => w.walk_spans(f),
            Some(Otherwise::Block(b)) => b.walk_spans(f),
        }
    }
}

impl WalkSpans for Each {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Each {
            source,
            binding,
            body,
            span,
        } = self;
        f(span);
        source.walk_spans(f);
        binding.walk_spans(f);
        body.walk_spans(f);
    }
}

impl WalkSpans for Stmt {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            Stmt::Let(l) => l.walk_spans(f),
            Stmt::When(w) => w.walk_spans(f),
            Stmt::Each(e) => e.walk_spans(f),
            Stmt::Require(RequireStmt {
                paths,
                reason,
                span,
            }) => {
                f(span);
                paths.walk_spans(f);
                reason.walk_spans(f);
            }
            Stmt::Assign(AssignStmt {
                target,
                value,
                span,
            }) => {
                f(span);
                target.walk_spans(f);
                match value {
                    AssignValue::Expr(e) => e.walk_spans(f),
                    AssignValue::Each(e) => e.walk_spans(f),
                }
            }
            Stmt::Object(ObjectStmt { target, body, span }) => {
                f(span);
                target.walk_spans(f);
                body.walk_spans(f);
            }
        }
    }
}

impl WalkSpans for TargetPath {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let TargetPath { steps, span } = self;
        f(span);
        for step in steps {
            match step {
                TargetStep::Member(n) => n.walk_spans(f),
                TargetStep::Append(s) | TargetStep::Index(_, s) => f(s),
            }
        }
    }
}

impl WalkSpans for Path {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Path { root, steps, span } = self;
        f(span);
        root.walk_spans(f);
        for PathStep { kind, span } in steps {
            f(span);
            if let StepKind::Where(cond) = kind {
                cond.walk_spans(f);
            }
        }
    }
}

impl WalkSpans for Expr {
    fn walk_spans(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Expr { kind, span } = self;
        f(span);
        match kind {
            ExprKind::Literal(_) => {}
            ExprKind::Path(p) => p.walk_spans(f),
            ExprKind::Call(Call { callee, args }) => {
                callee.walk_spans(f);
                args.walk_spans(f);
            }
            ExprKind::Binary { op: _, lhs, rhs } => {
                lhs.walk_spans(f);
                rhs.walk_spans(f);
            }
            ExprKind::Not(inner) => inner.walk_spans(f),
            ExprKind::Via { value, table } => {
                value.walk_spans(f);
                table.walk_spans(f);
            }
            ExprKind::In { value, options } => {
                value.walk_spans(f);
                options.walk_spans(f);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                cond.walk_spans(f);
                then.walk_spans(f);
                otherwise.walk_spans(f);
            }
        }
    }
}
