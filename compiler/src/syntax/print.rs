//! AST → canonical Ferry text. Law: `parse(print(m))` equals `m` once spans
//! are cleared (tested by a proptest over generated trees).

use std::fmt::Write as _;

use super::ast::*;

/// The canonical text of a module.
pub fn module(module: &Module) -> String {
    let mut p = Printer::default();
    let mut previous: Option<&Item> = None;
    for item in &module.items {
        let compact = matches!(
            (previous, item),
            (Some(Item::Use(_)), Item::Use(_)) | (Some(Item::Let(_)), Item::Let(_))
        );
        if previous.is_some() && !compact {
            p.out.push('\n');
        }
        p.item(item);
        previous = Some(item);
    }
    p.out
}

/// The canonical text of one expression.
pub fn expr(e: &Expr) -> String {
    let mut p = Printer::default();
    p.expr(e, 0);
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
}

/// Binding strength, loosest first; mirrors the Pratt table in `parser.rs`.
const IF: u8 = 0;
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARE: u8 = 4;
const COALESCE: u8 = 5;
const VIA: u8 = 6;
const ATOM: u8 = 7;

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => IF,
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => OR,
            BinaryOp::And => AND,
            BinaryOp::Coalesce => COALESCE,
            _ => COMPARE,
        },
        ExprKind::Not(_) => NOT,
        ExprKind::In { .. } => COMPARE,
        ExprKind::Via { .. } => VIA,
        ExprKind::Literal(_) | ExprKind::Path(_) | ExprKind::Call(_) => ATOM,
    }
}

impl Printer {
    fn line(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(u) => {
                let _ = write!(self.out, "use {} ", u.standard.name);
                self.string(&u.version.value);
            }
            Item::Let(l) => self.let_stmt(l),
            Item::Record(r) => {
                let _ = write!(self.out, "record {} {{", r.name.name);
                self.indent += 1;
                for f in &r.fields {
                    self.line();
                    if f.key.quoted {
                        self.string(&f.key.name);
                    } else {
                        self.out.push_str(&f.key.name);
                    }
                    if f.optional {
                        self.out.push('?');
                    }
                    self.out.push_str(": ");
                    self.type_expr(&f.ty);
                }
                self.indent -= 1;
                self.line();
                self.out.push('}');
            }
            Item::Table(t) => {
                let _ = write!(self.out, "table {}", t.name.name);
                if let Some(sig) = &t.signature {
                    let _ = write!(self.out, ": {} ", sig.input.kind.name);
                    self.string(&sig.input.id.value);
                    let _ = write!(self.out, " -> {} ", sig.output.kind.name);
                    self.string(&sig.output.id.value);
                }
                self.out.push_str(" {");
                self.indent += 1;
                for entry in &t.entries {
                    self.line();
                    match entry {
                        TableEntry::Row { inputs, output, .. } => {
                            for (i, input) in inputs.iter().enumerate() {
                                if i > 0 {
                                    self.out.push_str(" | ");
                                }
                                self.string(&input.value);
                            }
                            self.out.push_str(" => ");
                            self.string(&output.value);
                        }
                        TableEntry::Else { action, .. } => {
                            self.out.push_str("else => ");
                            match action {
                                ElseAction::Code(code) => self.string(&code.value),
                                ElseAction::Reject(_) => self.out.push_str("reject"),
                                ElseAction::Keep(_) => self.out.push_str("keep"),
                                ElseAction::Absent(_) => self.out.push_str("absent"),
                            }
                        }
                    }
                }
                self.indent -= 1;
                self.line();
                self.out.push('}');
            }
            Item::Map(m) => {
                let _ = write!(self.out, "map {}: ", m.name.name);
                for (i, s) in m.sources.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str(&s.ty.name);
                    if let Some(alias) = &s.alias {
                        let _ = write!(self.out, " as {}", alias.name);
                    }
                }
                let _ = write!(self.out, " -> {} ", m.target.name);
                self.block(&m.body);
            }
        }
        self.out.push('\n');
    }

    fn type_expr(&mut self, t: &TypeExpr) {
        match t {
            TypeExpr::Named(n) => self.out.push_str(&n.name),
            TypeExpr::List(inner, _) => {
                self.out.push('[');
                self.type_expr(inner);
                self.out.push(']');
            }
            TypeExpr::Enum(values, _) => {
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(" | ");
                    }
                    self.string(&v.value);
                }
            }
        }
    }

    fn block(&mut self, b: &Block) {
        self.out.push('{');
        self.indent += 1;
        for s in &b.stmts {
            self.line();
            self.stmt(s);
        }
        self.indent -= 1;
        self.line();
        self.out.push('}');
    }

    fn let_stmt(&mut self, l: &LetStmt) {
        let _ = write!(self.out, "let {} = ", l.name.name);
        self.expr(&l.value, 0);
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(l) => self.let_stmt(l),
            Stmt::When(w) => self.when(w),
            Stmt::Each(e) => self.each(e),
            Stmt::Require(r) => {
                self.out.push_str("require ");
                for (i, p) in r.paths.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.path(p);
                }
                if let Some(reason) = &r.reason {
                    self.out.push_str(" else ");
                    self.string(&reason.value);
                }
            }
            Stmt::Assign(a) => {
                self.target(&a.target);
                self.out.push_str(" = ");
                match &a.value {
                    AssignValue::Expr(e) => self.expr(e, 0),
                    AssignValue::Each(e) => self.each(e),
                }
            }
            Stmt::Object(o) => {
                self.target(&o.target);
                self.out.push(' ');
                self.block(&o.body);
            }
        }
    }

    fn when(&mut self, w: &WhenStmt) {
        self.out.push_str("when ");
        self.expr(&w.cond, 0);
        self.out.push(' ');
        self.block(&w.then);
        match &w.otherwise {
            None => {}
            Some(Otherwise::When(next)) => {
                self.out.push_str(" else ");
                self.when(next);
            }
            Some(Otherwise::Block(b)) => {
                self.out.push_str(" else ");
                self.block(b);
            }
        }
    }

    fn each(&mut self, e: &Each) {
        self.out.push_str("each ");
        self.expr(&e.source, 0);
        let _ = write!(self.out, " as {} ", e.binding.name);
        self.block(&e.body);
    }

    fn target(&mut self, t: &TargetPath) {
        for (i, step) in t.steps.iter().enumerate() {
            match step {
                TargetStep::Member(name) => {
                    if i > 0 {
                        self.out.push('.');
                    }
                    self.out.push_str(&name.name);
                }
                TargetStep::Append(_) => self.out.push_str("[]"),
                TargetStep::Index(n, _) => {
                    let _ = write!(self.out, "[{n}]");
                }
            }
        }
    }

    fn path(&mut self, p: &Path) {
        if let Some(root) = &p.root {
            self.out.push_str(&root.name);
        }
        for step in &p.steps {
            match &step.kind {
                StepKind::Field(n) => {
                    let _ = write!(self.out, "-{n}");
                }
                StepKind::Position(n) => {
                    let _ = write!(self.out, ".{n}");
                }
                StepKind::Member(name) => {
                    let _ = write!(self.out, ".{name}");
                }
                StepKind::Index(n) => {
                    let _ = write!(self.out, "[{n}]");
                }
                StepKind::All => self.out.push_str("[*]"),
                StepKind::Where(cond) => {
                    self.out.push_str("[where ");
                    self.expr(cond, 0);
                    self.out.push(']');
                }
            }
        }
    }

    /// Prints `e`, in parentheses when it binds looser than `min`.
    fn expr(&mut self, e: &Expr, min: u8) {
        let own = precedence(e);
        let parens = own < min;
        if parens {
            self.out.push('(');
        }
        match &e.kind {
            ExprKind::Literal(Literal::String(s)) => self.string(s),
            ExprKind::Literal(Literal::Number(n)) => self.out.push_str(n),
            ExprKind::Literal(Literal::Bool(b)) => {
                let _ = write!(self.out, "{b}");
            }
            ExprKind::Path(p) => self.path(p),
            ExprKind::Call(c) => {
                let _ = write!(self.out, "{}(", c.callee.name);
                for (i, a) in c.args.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(a, 0);
                }
                self.out.push(')');
            }
            ExprKind::Binary { op, lhs, rhs } => {
                // Left-associative: the right operand must bind tighter.
                self.expr(lhs, own);
                let _ = write!(self.out, " {} ", op.as_str());
                self.expr(rhs, own + 1);
            }
            ExprKind::Not(inner) => {
                self.out.push_str("not ");
                self.expr(inner, NOT);
            }
            ExprKind::Via { value, table } => {
                self.expr(value, VIA);
                let _ = write!(self.out, " via {}", table.name);
            }
            ExprKind::In { value, options } => {
                self.expr(value, COMPARE + 1);
                self.out.push_str(" in (");
                for (i, o) in options.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(o, 0);
                }
                self.out.push(')');
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.out.push_str("if ");
                self.expr(cond, OR);
                self.out.push_str(" then ");
                self.expr(then, OR);
                self.out.push_str(" else ");
                self.expr(otherwise, IF);
            }
        }
        if parens {
            self.out.push(')');
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(self.out, "\\u{{{:x}}}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}
