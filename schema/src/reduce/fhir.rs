//! FHIR R4: StructureDefinition snapshots → elements; REQUIRED bindings → expanded value sets.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use super::{arr, max_of, min_of, read_json, str_of, to_lines};
use crate::fhir::build;
use crate::fhir::{BindingStrength, TypeDef, TypeKind, TypeRef};

const CORE_SD: &str = "http://hl7.org/fhir/StructureDefinition/";
const FHIR_TYPE_EXT: &str = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";
const REGEX_EXT: &str = "http://hl7.org/fhir/StructureDefinition/regex";
const FHIRPATH: &str = "http://hl7.org/fhirpath/";

/// Visit every concept of a CodeSystem, nested ones included.
pub(super) fn flatten_concepts(concepts: &[Value], f: &mut dyn FnMut(&Value)) {
    for c in concepts {
        f(c);
        flatten_concepts(arr(c, "concept"), f);
    }
}

fn strip_version(url: &str) -> &str {
    url.split('|').next().unwrap_or(url)
}

fn ext<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    arr(v, "extension")
        .iter()
        .find(|e| str_of(e, "url") == Some(url))
}

fn resources<'a>(bundle: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    arr(bundle, "entry")
        .iter()
        .filter_map(|e| e.get("resource"))
        .filter(move |r| str_of(r, "resourceType") == Some(kind))
}

fn type_refs(el: &Value, is_primitive_value: bool) -> Vec<TypeRef> {
    arr(el, "type")
        .iter()
        .map(|t| {
            let code = str_of(t, "code").unwrap_or_default();
            let code = match code.strip_prefix(FHIRPATH) {
                Some(system) => match ext(t, FHIR_TYPE_EXT).and_then(|e| str_of(e, "valueUrl")) {
                    Some(fhir) if !is_primitive_value => fhir.to_owned(),
                    _ => system.to_owned(),
                },
                None => code.to_owned(),
            };
            let targets = arr(t, "targetProfile")
                .iter()
                .filter_map(Value::as_str)
                .map(|p| p.strip_prefix(CORE_SD).unwrap_or(p).to_owned())
                .collect();
            build::type_ref(code, targets)
        })
        .collect()
}

fn strength(s: &str) -> Option<BindingStrength> {
    Some(match s {
        "required" => BindingStrength::Required,
        "extensible" => BindingStrength::Extensible,
        "preferred" => BindingStrength::Preferred,
        "example" => BindingStrength::Example,
        _ => return None,
    })
}

fn type_def(sd: &Value) -> Option<TypeDef> {
    let kind = match str_of(sd, "kind")? {
        "resource" => TypeKind::Resource,
        "complex-type" => TypeKind::Complex,
        "primitive-type" => TypeKind::Primitive,
        _ => return None,
    };
    if str_of(sd, "derivation") == Some("constraint") {
        return None;
    }
    let name = str_of(sd, "type")?.to_owned();
    let value_path = format!("{name}.value");
    let mut regex = None;
    let elements = arr(sd.get("snapshot")?, "element")
        .iter()
        .map(|el| {
            let path = str_of(el, "path").unwrap_or_default().to_owned();
            let is_value = kind == TypeKind::Primitive && path == value_path;
            if is_value {
                regex = arr(el, "type")
                    .iter()
                    .find_map(|t| ext(t, REGEX_EXT).and_then(|e| str_of(e, "valueString")))
                    .map(str::to_owned);
            }
            let binding = el.get("binding").and_then(|b| {
                Some((
                    strength(str_of(b, "strength")?)?,
                    strip_version(str_of(b, "valueSet")?).to_owned(),
                ))
            });
            build::element(
                path,
                type_refs(el, is_value),
                min_of(el.get("min")),
                max_of(el.get("max")),
                str_of(el, "contentReference").map(str::to_owned),
                binding,
            )
        })
        .collect();
    let base =
        str_of(sd, "baseDefinition").map(|b| b.strip_prefix(CORE_SD).unwrap_or(b).to_owned());
    Some(build::type_def(
        name,
        kind,
        sd.get("abstract").and_then(Value::as_bool).unwrap_or(false),
        base,
        regex,
        elements,
    ))
}

/// Every CodeSystem and ValueSet of the terminology bundles, by URL.
struct Terminology {
    code_systems: HashMap<String, Value>,
    value_sets: HashMap<String, Value>,
}

type Expansion = Vec<(String, String, Option<String>)>;

impl Terminology {
    fn concepts(&self, system: &str) -> Result<Vec<(String, Option<String>)>, String> {
        let cs = self
            .code_systems
            .get(system)
            .ok_or_else(|| format!("code system {system} is external (not in the R4 package)"))?;
        let content = str_of(cs, "content").unwrap_or("complete");
        if content != "complete" {
            return Err(format!(
                "code system {system} has content `{content}` in the R4 package"
            ));
        }
        let mut out = Vec::new();
        flatten_concepts(arr(cs, "concept"), &mut |c: &Value| {
            if let Some(code) = str_of(c, "code") {
                out.push((code.to_owned(), str_of(c, "display").map(str::to_owned)));
            }
        });
        Ok(out)
    }

    fn display(&self, system: &str, code: &str) -> Option<String> {
        let cs = self.code_systems.get(system)?;
        let mut found = None;
        flatten_concepts(arr(cs, "concept"), &mut |c: &Value| {
            if found.is_none() && str_of(c, "code") == Some(code) {
                found = str_of(c, "display").map(str::to_owned);
            }
        });
        found
    }

    /// The codes an include/exclude entry selects.
    fn part(&self, inc: &Value, depth: usize) -> Result<Expansion, String> {
        let system = str_of(inc, "system");
        if let Some(sys) = system
            && !arr(inc, "filter").is_empty()
        {
            return Err(format!("filter-based selection from {sys}"));
        }
        let from_system: Option<Expansion> = match system {
            None => None,
            Some(sys) if !arr(inc, "concept").is_empty() => Some(
                arr(inc, "concept")
                    .iter()
                    .filter_map(|c| {
                        let code = str_of(c, "code")?;
                        let d = str_of(c, "display")
                            .map(str::to_owned)
                            .or_else(|| self.display(sys, code));
                        Some((sys.to_owned(), code.to_owned(), d))
                    })
                    .collect(),
            ),
            Some(sys) => Some(
                self.concepts(sys)?
                    .into_iter()
                    .map(|(c, d)| (sys.to_owned(), c, d))
                    .collect(),
            ),
        };
        let mut imported: Option<Expansion> = None;
        for vs in arr(inc, "valueSet").iter().filter_map(Value::as_str) {
            let e = self.expand(vs, depth + 1)?;
            imported = Some(match imported {
                None => e,
                Some(prev) => prev
                    .into_iter()
                    .filter(|p| e.iter().any(|x| x.0 == p.0 && x.1 == p.1))
                    .collect(),
            });
        }
        Ok(match (from_system, imported) {
            (Some(s), Some(i)) => s
                .into_iter()
                .filter(|p| i.iter().any(|x| x.0 == p.0 && x.1 == p.1))
                .collect(),
            (Some(s), None) => s,
            (None, Some(i)) => i,
            (None, None) => Vec::new(),
        })
    }

    fn expand(&self, url: &str, depth: usize) -> Result<Expansion, String> {
        let url = strip_version(url);
        if depth > 8 {
            return Err(format!("value set imports nest too deep at {url}"));
        }
        let vs = self
            .value_sets
            .get(url)
            .ok_or_else(|| format!("value set {url} is not in the R4 package"))?;
        let Some(compose) = vs.get("compose") else {
            return Err(format!("value set {url} has no compose"));
        };
        let mut out: Expansion = Vec::new();
        let mut seen = BTreeSet::new();
        for inc in arr(compose, "include") {
            for c in self.part(inc, depth)? {
                if seen.insert((c.0.clone(), c.1.clone())) {
                    out.push(c);
                }
            }
        }
        for exc in arr(compose, "exclude") {
            let gone: BTreeSet<(String, String)> = self
                .part(exc, depth)?
                .into_iter()
                .map(|(s, c, _)| (s, c))
                .collect();
            out.retain(|(s, c, _)| !gone.contains(&(s.clone(), c.clone())));
        }
        Ok(out)
    }
}

pub(super) fn reduce(data: &Path, notes: &mut Vec<String>) -> Result<(String, String), String> {
    let defs = data.join("fhir-r4/definitions");
    let mut types = Vec::new();
    for file in ["profiles-types.json", "profiles-resources.json"] {
        let bundle = read_json(&defs.join(file))?;
        types.extend(resources(&bundle, "StructureDefinition").filter_map(type_def));
    }
    types.sort_by(|a, b| a.name().cmp(b.name()));

    let mut term = Terminology {
        code_systems: HashMap::new(),
        value_sets: HashMap::new(),
    };
    for file in ["valuesets.json", "v2-tables.json", "v3-codesystems.json"] {
        let bundle = read_json(&defs.join(file))?;
        for cs in resources(&bundle, "CodeSystem") {
            if let Some(u) = str_of(cs, "url") {
                term.code_systems
                    .entry(u.to_owned())
                    .or_insert_with(|| cs.clone());
            }
        }
        for vs in resources(&bundle, "ValueSet") {
            if let Some(u) = str_of(vs, "url") {
                term.value_sets
                    .entry(u.to_owned())
                    .or_insert_with(|| vs.clone());
            }
        }
    }

    let required: BTreeSet<String> = types
        .iter()
        .flat_map(TypeDef::elements)
        .filter_map(|e| e.binding())
        .filter(|b| b.strength == BindingStrength::Required)
        .map(|b| b.value_set.to_owned())
        .collect();
    let mut value_sets = Vec::new();
    let mut not_enumerable = 0;
    for url in &required {
        let name = term
            .value_sets
            .get(url.as_str())
            .and_then(|v| str_of(v, "name"))
            .map(str::to_owned);
        let expansion = term.expand(url, 0).map(|codes| {
            let mut grouped: Vec<(String, build::CodeList)> = Vec::new();
            for (s, c, d) in codes {
                match grouped.iter_mut().find(|(gs, _)| *gs == s) {
                    Some((_, list)) => list.push((c, d)),
                    None => grouped.push((s, vec![(c, d)])),
                }
            }
            grouped
        });
        if let Err(reason) = &expansion {
            not_enumerable += 1;
            notes.push(format!("fhir: {url} not enumerable: {reason}"));
        }
        value_sets.push(build::value_set(url.clone(), name, expansion));
    }
    notes.push(format!(
        "fhir: {} types, {} required value sets ({not_enumerable} not enumerable)",
        types.len(),
        required.len()
    ));
    let schema = build::schema("4.0.1".to_owned(), types, value_sets);
    Ok(("fhir-r4.json".to_owned(), to_lines(&schema)?))
}
