//! The abstract syntax tree. Every node carries the [`Span`] of the text it
//! was built from; the printer (`syntax::print`) turns a tree back into text
//! that parses to the same tree (spans aside).

use crate::span::{FileId, Span};

/// One `.ferry` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Use(UseDecl),
    Record(RecordDecl),
    Table(TableDecl),
    Map(MapDecl),
    /// A module-level constant: `let mrn_system = "urn:oid:..."`.
    Let(LetStmt),
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal: `value` is the text after escapes are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// `use hl7v2 "2.5.1"`, `use fhir "R4"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseDecl {
    pub standard: Ident,
    pub version: StringLit,
    pub span: Span,
}

/// `record TelehealthSession { ... }`: the shape of a vendor JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// `started_at: datetime`, `ended_at?: datetime`, `"start-time": datetime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    pub key: FieldKey,
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A record field's JSON key: a bare name, or a string for keys that are not names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKey {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A built-in type (`string`, `datetime`...) or a record.
    Named(Ident),
    /// `[Note]`: a JSON array.
    List(Box<TypeExpr>, Span),
    /// `"scheduled" | "completed"`: one of these strings.
    Enum(Vec<StringLit>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(ident) => ident.span,
            TypeExpr::List(_, span) | TypeExpr::Enum(_, span) => *span,
        }
    }
}

/// `table sex: hl7 "0001" -> fhir "administrative-gender" { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDecl {
    pub name: Ident,
    pub signature: Option<TableSignature>,
    /// Rows in source order; `else` rows are entries too, so the checker can
    /// report a second `else` and the printer keeps the order.
    pub entries: Vec<TableEntry>,
    pub span: Span,
}

/// `hl7 "0001" -> fhir "administrative-gender"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSignature {
    pub input: CodeSystemRef,
    pub output: CodeSystemRef,
}

/// `hl7 "0001"`: the kind of code system and its identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSystemRef {
    pub kind: Ident,
    pub id: StringLit,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableEntry {
    /// `"U" | "A" => "unknown"`.
    Row {
        inputs: Vec<StringLit>,
        output: StringLit,
        span: Span,
    },
    /// `else => "unknown"`, `else => reject`, `else => keep`, `else => absent`.
    Else { action: ElseAction, span: Span },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElseAction {
    Code(StringLit),
    /// Reject the message with a located reason.
    Reject(Span),
    /// Pass the input code through unchanged.
    Keep(Span),
    /// Leave the element out: the IG's "no mapping" for codes it does not map.
    Absent(Span),
}

/// `map patient: PID -> Patient { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDecl {
    pub name: Ident,
    pub sources: Vec<Source>,
    pub target: Ident,
    pub body: Block,
    pub span: Span,
}

/// `PID`, `ADT_A01`, `TelehealthSession as s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub ty: Ident,
    pub alias: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Let(LetStmt),
    When(WhenStmt),
    Each(Each),
    Require(RequireStmt),
    Assign(AssignStmt),
    Object(ObjectStmt),
}

/// `let mrn = PID-3[where .5 == "MR"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetStmt {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `when cond { ... } else when cond { ... } else { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenStmt {
    pub cond: Expr,
    pub then: Block,
    pub otherwise: Option<Otherwise>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Otherwise {
    When(Box<WhenStmt>),
    Block(Block),
}

/// `each PID-3 as cx { ... }`: as a statement its rules run once per item;
/// on the right of `=` it builds one object per item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Each {
    pub source: Expr,
    pub binding: Ident,
    pub body: Block,
    pub span: Span,
}

/// `require identifier, name else "no identifier"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireStmt {
    pub paths: Vec<Path>,
    pub reason: Option<StringLit>,
    pub span: Span,
}

/// `gender = PID-8 via sex`, `name[] = each PID-5 as xpn { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignStmt {
    pub target: TargetPath,
    pub value: AssignValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignValue {
    Expr(Expr),
    Each(Each),
}

/// `period { start = ... }`: fills one object at `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStmt {
    pub target: TargetPath,
    pub body: Block,
    pub span: Span,
}

/// A FHIR (or record) element path written to: `name[].given[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPath {
    pub steps: Vec<TargetStep>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetStep {
    /// An element name; the first step has no dot before it.
    Member(Ident),
    /// `[]`: append a new item.
    Append(Span),
    /// `[2]`: the second item (counted from 1).
    Index(u32, Span),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Literal(Literal),
    Path(Path),
    Call(Call),
    /// `a ?? b`, `a == b`, `a and b`...
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Not(Box<Expr>),
    /// `PID-8 via sex`.
    Via {
        value: Box<Expr>,
        table: Ident,
    },
    /// `PV1-2 in ("I", "E")`.
    In {
        value: Box<Expr>,
        options: Vec<Expr>,
    },
    /// `if cond then a else b`.
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Coalesce,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Coalesce => "??",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    String(String),
    /// Kept as written: decimals never pass through `f64`.
    Number(String),
    Bool(bool),
}

/// `f(a, b)`: a map or a built-in function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub callee: Ident,
    pub args: Vec<Expr>,
}

/// A source path: `PID-3[2].4.1`, `cx.1`, `Patient.name.given`, `.5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// `None` for a path relative to the item a `where` filter looks at.
    pub root: Option<Ident>,
    pub steps: Vec<PathStep>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// `-3`: an HL7 v2 field (counted from 1).
    Field(u32),
    /// `.4`: a component, or a subcomponent after a component.
    Position(u32),
    /// `.given`: an element or record field.
    Member(String),
    /// `[2]`: one repetition or occurrence (counted from 1).
    Index(u32),
    /// `[*]`: every repetition or occurrence.
    All,
    /// `[where .5 == "MR"]`: the repetitions for which the condition holds.
    Where(Box<Expr>),
}
