//! Helpers shared by the JSON integration tests.

use ferry_runtime::json::Value;

/// Strips what the writer elides by design (empty strings, null members,
/// containers left empty), so a re-read tree can be compared.
pub fn elided(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) if s.is_empty() => None,
        Value::Array(items) => {
            let items: Vec<_> = items
                .iter()
                .filter_map(|i| match i {
                    Value::Null => Some(Value::Null),
                    other => elided(other),
                })
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(o) => {
            let mut out = ferry_runtime::json::Object::new();
            for (k, v) in o.iter() {
                if let Some(v) = (!matches!(v, Value::Null)).then(|| elided(v)).flatten() {
                    out.push(k.to_owned(), v);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}
