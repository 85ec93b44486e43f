//! Ferry's built-in functions (`date`, `uuid5`, `concat`...), over evaluated
//! arguments.

use std::borrow::Cow;

use super::out::Val;
use super::value::{Obj, V, dtm_text, present, text_ref};
use super::{Ctx, R, Vals};
use crate::convert::{self, Decimal, TimeZone};
use crate::error::Rejection;

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Date,
    DateTime,
    Instant,
    Time,
    Decimal,
    Integer,
    Code,
    String,
    Uuid5,
    Reference,
    Concat,
    Valued,
    Count,
    First,
    Upper,
    Lower,
    Trim,
    Reject,
}

impl Builtin {
    /// The built-in a spec names.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "date" => Builtin::Date,
            "datetime" => Builtin::DateTime,
            "instant" => Builtin::Instant,
            "time" => Builtin::Time,
            "decimal" => Builtin::Decimal,
            "integer" => Builtin::Integer,
            "code" => Builtin::Code,
            "string" => Builtin::String,
            "uuid5" => Builtin::Uuid5,
            "reference" => Builtin::Reference,
            "concat" => Builtin::Concat,
            "valued" => Builtin::Valued,
            "count" => Builtin::Count,
            "first" => Builtin::First,
            "upper" => Builtin::Upper,
            "lower" => Builtin::Lower,
            "trim" => Builtin::Trim,
            "reject" => Builtin::Reject,
            _ => return None,
        })
    }

    /// The variant's name, as Rust code names it.
    pub fn variant(self) -> &'static str {
        match self {
            Builtin::Date => "Date",
            Builtin::DateTime => "DateTime",
            Builtin::Instant => "Instant",
            Builtin::Time => "Time",
            Builtin::Decimal => "Decimal",
            Builtin::Integer => "Integer",
            Builtin::Code => "Code",
            Builtin::String => "String",
            Builtin::Uuid5 => "Uuid5",
            Builtin::Reference => "Reference",
            Builtin::Concat => "Concat",
            Builtin::Valued => "Valued",
            Builtin::Count => "Count",
            Builtin::First => "First",
            Builtin::Upper => "Upper",
            Builtin::Lower => "Lower",
            Builtin::Trim => "Trim",
            Builtin::Reject => "Reject",
        }
    }
}

impl Builtin {
    /// Whether [`call`] reads only each argument's first present value
    /// (every built-in but `count`, which counts them all): the compiler
    /// may then pass just that value, or compute it once.
    pub fn reads_first_present(self) -> bool {
        self != Builtin::Count
    }
}

fn first_present<'v, 'a>(values: Option<&&'v [V<'a>]>) -> Option<&'v V<'a>> {
    values.and_then(|v| v.iter().find(|x| present(x)))
}

/// Calls a built-in on its evaluated arguments.
pub fn call<'a>(cx: &Ctx<'a>, builtin: Builtin, values: &[&[V<'a>]]) -> R<Vals<'a>> {
    let first = first_present(values.first());
    Ok(match builtin {
        Builtin::Date | Builtin::DateTime | Builtin::Instant | Builtin::Time | Builtin::Code => {
            convert_with(cx, builtin, values, |t| V::Text(Cow::Owned(t.to_owned())))?
                .into_iter()
                .collect()
        }
        Builtin::Decimal => {
            let Some(v) = first else {
                return Ok(Vals::new());
            };
            let t = text_ref(v).unwrap_or_default();
            match Decimal::from_nm(&t) {
                Ok(d) => smallvec::smallvec![V::Num(Cow::Owned(d.to_string()))],
                Err(e) => {
                    return Err(Rejection::new("CONVERT", cx.location(v), e.to_string())
                        .with_value(t.as_ref()));
                }
            }
        }
        Builtin::Integer => {
            let Some(v) = first else {
                return Ok(Vals::new());
            };
            let t = text_ref(v).unwrap_or_default();
            match convert::integer(&t) {
                Ok(i) => smallvec::smallvec![V::Int(i64::from(i))],
                Err(e) => {
                    return Err(Rejection::new("CONVERT", cx.location(v), e.to_string())
                        .with_value(t.as_ref()));
                }
            }
        }
        Builtin::String | Builtin::First => first.cloned().into_iter().collect(),
        Builtin::Uuid5 => uuid5_id(cx, values)?
            .map(|id| V::Text(Cow::Owned(id.to_text_string())))
            .into_iter()
            .collect(),
        Builtin::Reference => {
            let t = first_present(values.first()).and_then(text_ref);
            let id = first_present(values.get(1)).and_then(text_ref);
            match (t, id) {
                (Some(t), Some(id)) => {
                    let mut doc = cx.doc.borrow_mut();
                    let object = doc.node(Val::Obj);
                    let reference = doc.node(Val::Str(Cow::Owned(format!("{t}/{id}"))));
                    doc.append_member(object, "reference", reference);
                    smallvec::smallvec![V::Obj(Obj::new(object, false))]
                }
                _ => Vals::new(),
            }
        }
        Builtin::Concat => {
            let parts: smallvec::SmallVec<[Cow<'_, str>; 4]> = values
                .iter()
                .filter_map(|v| first_present(Some(v)).and_then(text_ref))
                .collect();
            let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
            for p in &parts {
                s.push_str(p);
            }
            if s.is_empty() {
                Vals::new()
            } else {
                smallvec::smallvec![V::Text(Cow::Owned(s))]
            }
        }
        Builtin::Valued => smallvec::smallvec![V::Bool(first.is_some())],
        Builtin::Count => smallvec::smallvec![V::Int(
            values
                .first()
                .map_or(0, |v| v.iter().filter(|x| present(x)).count()) as i64,
        )],
        Builtin::Upper | Builtin::Lower | Builtin::Trim => {
            let Some(t) = first.and_then(text_ref) else {
                return Ok(Vals::new());
            };
            let s = match builtin {
                Builtin::Upper => t.to_uppercase(),
                Builtin::Lower => t.to_lowercase(),
                _ => t.trim().to_owned(),
            };
            smallvec::smallvec![V::Text(Cow::Owned(s))]
        }
        Builtin::Reject => {
            let reason = first
                .and_then(text_ref)
                .unwrap_or(Cow::Borrowed("rejected by the spec"));
            return Err(Rejection::new("REJECTED", cx.here(), reason.into_owned()));
        }
    })
}

/// A conversion built-in (`date`, `datetime`, `instant`, `time`, `code`)
/// over its evaluated arguments: `emit` is given the converted text, which
/// it writes or copies. `None` when the value is absent.
pub fn convert_with<'a, T>(
    cx: &Ctx<'a>,
    builtin: Builtin,
    values: &[&[V<'a>]],
    emit: impl FnOnce(&str) -> T,
) -> R<Option<T>> {
    let Some(v) = first_present(values.first()) else {
        return Ok(None);
    };
    let t = dtm_text(v);
    let t = t.as_ref();
    // `datetime(x, "Europe/Berlin")`: the call's zone wins over the run's.
    let own_zone = match first_present(values.get(1)).and_then(text_ref) {
        Some(name) => Some(TimeZone::get(&name).map_err(|_| {
            Rejection::new(
                "CONVERT",
                cx.here(),
                "the time zone given to the conversion is not an IANA time zone",
            )
        })?),
        None => None,
    };
    let zone = own_zone.as_ref().or(cx.time_zone);
    let result = match builtin {
        Builtin::Date => convert::date(t).map(|x| emit(x.as_str())),
        Builtin::DateTime => convert::date_time(t, zone).map(|x| emit(x.as_str())),
        Builtin::Instant => convert::instant(t, zone).map(|x| emit(x.as_str())),
        Builtin::Time => convert::time(t).map(|x| emit(x.as_str())),
        Builtin::Code => convert::code(t).map(emit),
        _ => Ok(emit(t)),
    };
    result
        .map(Some)
        .map_err(|e| Rejection::new("CONVERT", cx.location(v), e.to_string()).with_value(t))
}

/// `uuid5(type, part...)` over its evaluated arguments: the id, or `None`
/// when the resource type is absent. A part that is absent or empty
/// rejects the message (an id made without it would be shared).
pub fn uuid5_id<'a>(cx: &Ctx<'a>, values: &[&[V<'a>]]) -> R<Option<crate::id::ResourceId>> {
    let mut texts = values
        .iter()
        .map(|v| first_present(Some(v)).and_then(text_ref));
    let Some(Some(resource_type)) = texts.next() else {
        return Ok(None);
    };
    let mut ids = cx.ids.borrow_mut();
    let key = &mut ids.key;
    key.clear();
    crate::id::push_escaped(key, &resource_type);
    let mut valid = !resource_type.is_empty() && values.len() > 1;
    for t in texts {
        match t {
            Some(t) => {
                valid &= !t.is_empty();
                key.push('|');
                crate::id::push_escaped(key, &t);
            }
            None => {
                return Err(Rejection::new(
                    "ID-KEY",
                    cx.here(),
                    format!(
                        "a part of the {resource_type} id key is not valued, so the id cannot be made"
                    ),
                ));
            }
        }
    }
    if !valid {
        let e = crate::id::empty_id_part();
        return Err(Rejection::new("ID-KEY", cx.here(), e.to_string()));
    }
    Ok(Some(ids.id_of_key()))
}
