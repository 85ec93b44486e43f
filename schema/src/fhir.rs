//! FHIR R4 (4.0.1) definitions: resources, datatypes, elements, required value sets.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::suggest::suggestions;
use crate::{Cardinality, LookupError};

/// The FHIR R4 definitions, lazily parsed from the embedded data on first use.
///
/// # Errors
/// [`LookupError::CorruptData`] only if the embedded data cannot be parsed (ruled out by tests).
pub fn fhir_r4() -> Result<&'static FhirSchema, LookupError> {
    static CELL: OnceLock<Result<FhirSchema, String>> = OnceLock::new();
    CELL.get_or_init(|| FhirSchema::parse(include_str!("../data/fhir-r4.json")))
        .as_ref()
        .map_err(|e| LookupError::CorruptData {
            file: "fhir-r4.json".to_owned(),
            message: e.clone(),
        })
}

/// Parse a fresh, uncached copy of the embedded FHIR data (what [`fhir_r4`] does once).
/// For benchmarks; the checker should use [`fhir_r4`].
///
/// # Errors
/// [`LookupError::CorruptData`] if the embedded data cannot be parsed.
pub fn parse_fhir_r4_uncached() -> Result<FhirSchema, LookupError> {
    FhirSchema::parse(include_str!("../data/fhir-r4.json")).map_err(|message| {
        LookupError::CorruptData {
            file: "fhir-r4.json".to_owned(),
            message,
        }
    })
}

/// What kind of type a [`TypeDef`] defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeKind {
    /// A resource (Patient) or an abstract base (Resource, DomainResource).
    #[serde(rename = "r")]
    Resource,
    /// A complex datatype (HumanName, Period, BackboneElement, ...).
    #[serde(rename = "c")]
    Complex,
    /// A primitive datatype (string, date, code, ...).
    #[serde(rename = "p")]
    Primitive,
}

/// Binding strength of a coded element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BindingStrength {
    /// Codes must come from the value set.
    Required,
    /// Codes must come from the value set when a suitable one exists.
    Extensible,
    /// Codes should come from the value set.
    Preferred,
    /// The value set is an example.
    Example,
}

/// The FHIR R4 definitions. Obtain with [`fhir_r4`].
#[derive(Debug, Serialize, Deserialize)]
pub struct FhirSchema {
    #[serde(rename = "version")]
    version: String,
    types: Vec<TypeDef>,
    #[serde(rename = "valueSets")]
    value_sets: Vec<ValueSet>,
    #[serde(skip)]
    index: FhirIndex,
}

#[derive(Debug, Default)]
struct FhirIndex {
    types: HashMap<String, usize>,
    value_sets: HashMap<String, usize>,
}

/// A resource or datatype definition (a reduced StructureDefinition).
#[derive(Debug, Serialize, Deserialize)]
pub struct TypeDef {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "k")]
    kind: TypeKind,
    #[serde(rename = "a", default, skip_serializing_if = "is_false")]
    is_abstract: bool,
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    base: Option<String>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(rename = "e")]
    elements: Vec<Element>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TypeDef {
    /// The type name (`"Patient"`, `"HumanName"`, `"date"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resource, complex or primitive.
    pub fn kind(&self) -> TypeKind {
        self.kind
    }

    /// Whether the type is abstract (Resource, DomainResource, Element, BackboneElement).
    pub fn is_abstract(&self) -> bool {
        self.is_abstract
    }

    /// The base type's name (`"DomainResource"` for Patient).
    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// For a primitive, the regex its JSON value must match (from the `value` element's
    /// `http://hl7.org/fhir/StructureDefinition/regex` extension). `boolean`, `xhtml` have none.
    pub fn regex(&self) -> Option<&str> {
        self.regex.as_deref()
    }

    /// Every element of the snapshot, root first, in definition order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }
}

/// One element definition.
#[derive(Debug, Serialize, Deserialize)]
pub struct Element {
    #[serde(rename = "p")]
    path: String,
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    types: Vec<TypeRef>,
    #[serde(rename = "i")]
    min: u32,
    #[serde(rename = "x")]
    max: Option<u32>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    content_reference: Option<String>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    binding_strength: Option<BindingStrength>,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    value_set: Option<String>,
}

/// A binding of a coded element to a value set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    /// How strictly codes must come from the value set.
    pub strength: BindingStrength,
    /// The value set's canonical URL, without a `|version` suffix.
    pub value_set: &'a str,
}

impl Element {
    /// The element's path in its definition, e.g. `"Patient.name"`, `"Observation.value[x]"`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The last path part (`"value[x]"`).
    pub fn name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }

    /// Whether this is a choice element (`[x]`).
    pub fn is_choice(&self) -> bool {
        self.path.ends_with("[x]")
    }

    /// The allowed types; several for a choice element, none for a root or a contentReference.
    pub fn types(&self) -> &[TypeRef] {
        &self.types
    }

    /// Min and max.
    pub fn cardinality(&self) -> Cardinality {
        Cardinality {
            min: self.min,
            max: self.max,
        }
    }

    /// `#Questionnaire.item` for an element whose definition is another element's.
    pub fn content_reference(&self) -> Option<&str> {
        self.content_reference.as_deref()
    }

    /// The binding, for coded elements.
    pub fn binding(&self) -> Option<Binding<'_>> {
        match (self.binding_strength, &self.value_set) {
            (Some(strength), Some(vs)) => Some(Binding {
                strength,
                value_set: vs,
            }),
            _ => None,
        }
    }
}

/// One allowed type of an element.
#[derive(Debug, Serialize, Deserialize)]
pub struct TypeRef {
    #[serde(rename = "c")]
    code: String,
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    targets: Vec<String>,
}

impl TypeRef {
    /// The type name: `"HumanName"`, `"string"`, `"Reference"`; FHIRPath system types of
    /// primitives' `value` elements are written `"System.String"` etc.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// For Reference/canonical: the allowed target types (`"Patient"`, `"Group"`); core
    /// profile URLs are shortened to the type name, others kept whole. Empty = any.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }
}

/// A value set bound REQUIRED somewhere in R4, with its expansion when one is possible.
#[derive(Debug, Serialize, Deserialize)]
pub struct ValueSet {
    #[serde(rename = "u")]
    url: String,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Why the value set cannot be enumerated (`None` = `systems` is the full expansion).
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    not_enumerable: Option<String>,
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    systems: Vec<SystemCodes>,
}

/// The codes of one code system within an expansion.
#[derive(Debug, Serialize, Deserialize)]
pub struct SystemCodes {
    #[serde(rename = "s")]
    system: String,
    #[serde(rename = "c")]
    codes: Vec<(String, Option<String>)>,
}

/// One code of an expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code<'a> {
    /// The code system URL.
    pub system: &'a str,
    /// The code.
    pub code: &'a str,
    /// The display, where the definitions give one.
    pub display: Option<&'a str>,
}

impl ValueSet {
    /// Canonical URL (no version).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The value set's computable name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether [`ValueSet::codes`] is the complete expansion.
    pub fn is_enumerable(&self) -> bool {
        self.not_enumerable.is_none()
    }

    /// Why the value set is not enumerable (filter-based, external code system such as UCUM,
    /// BCP-47 languages or BCP-13 mime types, ...).
    pub fn not_enumerable_reason(&self) -> Option<&str> {
        self.not_enumerable.as_deref()
    }

    /// The expanded codes (empty when not enumerable).
    pub fn codes(&self) -> impl Iterator<Item = Code<'_>> {
        self.systems.iter().flat_map(|s| {
            s.codes.iter().map(move |(c, d)| Code {
                system: &s.system,
                code: c,
                display: d.as_deref(),
            })
        })
    }

    /// Whether a bare code (any system) is in the expansion.
    pub fn contains(&self, code: &str) -> bool {
        self.codes().any(|c| c.code == code)
    }

    /// Whether `system|code` is in the expansion.
    pub fn contains_coding(&self, system: &str, code: &str) -> bool {
        self.codes().any(|c| c.system == system && c.code == code)
    }
}

/// An element path resolved through datatypes, backbone elements and content references.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedElement<'a> {
    /// The definition reached (for `Patient.name.given`, `HumanName.given`).
    pub definition: &'a Element,
    /// The type that defines it (HumanName).
    pub owner: &'a TypeDef,
    /// For a typed choice name (`Observation.valueQuantity`), the one type it selects.
    pub choice_type: Option<&'a TypeRef>,
    /// Whether any step before the last one repeats (so the path as a whole yields many values).
    pub ancestor_repeats: bool,
}

impl<'a> ResolvedElement<'a> {
    /// The types allowed at this path: the selected one for a typed choice name, else all.
    pub fn types(&self) -> &'a [TypeRef] {
        match self.choice_type {
            Some(t) => std::slice::from_ref(t),
            None => self.definition.types(),
        }
    }

    /// The single type, if exactly one is allowed.
    pub fn single_type(&self) -> Option<&'a str> {
        match self.types() {
            [t] => Some(t.code()),
            _ => None,
        }
    }

    /// The element's own cardinality.
    pub fn cardinality(&self) -> Cardinality {
        self.definition.cardinality()
    }

    /// The element's binding.
    pub fn binding(&self) -> Option<Binding<'a>> {
        self.definition.binding()
    }
}

impl FhirSchema {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut s: FhirSchema = serde_json::from_str(text).map_err(|e| e.to_string())?;
        s.build_index();
        Ok(s)
    }

    /// Only types and value sets are indexed: element paths start with their type's name and a
    /// type has at most a few hundred elements, so a scan within one type is cheaper than
    /// building a map of all 7,600 paths on every process start.
    fn build_index(&mut self) {
        let mut ix = FhirIndex::default();
        for (ti, t) in self.types.iter().enumerate() {
            ix.types.insert(t.name.clone(), ti);
        }
        ix.value_sets = self
            .value_sets
            .iter()
            .enumerate()
            .map(|(i, v)| (v.url.clone(), i))
            .collect();
        self.index = ix;
    }

    /// (type index, element index) of an element path such as `Questionnaire.item`.
    fn find_element(&self, path: &str) -> Option<(usize, usize)> {
        let type_name = path.split('.').next()?;
        let &ti = self.index.types.get(type_name)?;
        let ei = self.types[ti]
            .elements
            .iter()
            .position(|e| e.path == path)?;
        Some((ti, ei))
    }

    /// The FHIR version, `"4.0.1"`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every type (resources, complex and primitive datatypes).
    pub fn types(&self) -> &[TypeDef] {
        &self.types
    }

    /// Every resource type (including the abstract Resource and DomainResource).
    pub fn resources(&self) -> impl Iterator<Item = &TypeDef> {
        self.types.iter().filter(|t| t.kind == TypeKind::Resource)
    }

    /// Every value set bound REQUIRED somewhere, expanded where possible.
    pub fn value_sets(&self) -> &[ValueSet] {
        &self.value_sets
    }

    /// A resource or datatype by name.
    ///
    /// # Errors
    /// [`LookupError::UnknownType`] with close names.
    pub fn type_def(&self, name: &str) -> Result<&TypeDef, LookupError> {
        match self.index.types.get(name) {
            Some(&i) => Ok(&self.types[i]),
            None => Err(LookupError::UnknownType {
                name: name.to_owned(),
                suggestions: suggestions(name, self.types.iter().map(|t| t.name.as_str())),
            }),
        }
    }

    /// A resource by name.
    ///
    /// # Errors
    /// [`LookupError::UnknownType`] if no type has the name, [`LookupError::NotAResource`] if it
    /// names a datatype.
    pub fn resource(&self, name: &str) -> Result<&TypeDef, LookupError> {
        match self.index.types.get(name) {
            Some(&i) if self.types[i].kind == TypeKind::Resource => Ok(&self.types[i]),
            Some(_) => Err(LookupError::NotAResource {
                name: name.to_owned(),
            }),
            None => Err(LookupError::UnknownType {
                name: name.to_owned(),
                suggestions: suggestions(name, self.resources().map(|t| t.name.as_str())),
            }),
        }
    }

    /// Whether `name` is a resource type.
    pub fn is_resource(&self, name: &str) -> bool {
        self.resource(name).is_ok()
    }

    /// Whether `name` is a primitive datatype.
    pub fn is_primitive(&self, name: &str) -> bool {
        self.type_def(name)
            .is_ok_and(|t| t.kind == TypeKind::Primitive)
    }

    /// A value set that some element binds REQUIRED, by URL (a `|version` suffix is ignored).
    ///
    /// # Errors
    /// [`LookupError::UnknownValueSet`] if no required binding uses it.
    pub fn value_set(&self, url: &str) -> Result<&ValueSet, LookupError> {
        let bare = url.split('|').next().unwrap_or(url);
        self.index
            .value_sets
            .get(bare)
            .map(|&i| &self.value_sets[i])
            .ok_or_else(|| LookupError::UnknownValueSet {
                url: url.to_owned(),
            })
    }

    /// The expansion of a required element binding, if the element has one.
    pub fn required_value_set(&self, element: &Element) -> Option<&ValueSet> {
        match element.binding() {
            Some(Binding {
                strength: BindingStrength::Required,
                value_set,
            }) => self.value_set(value_set).ok(),
            _ => None,
        }
    }

    /// Resolve a dotted element path, e.g. `Patient.name.given`, `Encounter.period.start`,
    /// `Encounter.location.location`, `Questionnaire.item.item.linkId`, `Observation.valueQuantity`.
    ///
    /// Steps go through the SD's own backbone children, then through the element's datatype
    /// (HumanName, Period, ...), following `contentReference`. Typed choice names select one type.
    ///
    /// # Errors
    /// [`LookupError::UnknownType`] for the first part, [`LookupError::UnknownElement`] (with
    /// close child names) for a later one, [`LookupError::ChoiceNotNarrowed`] when a step goes
    /// inside a choice element that was not narrowed to one type.
    pub fn element(&self, path: &str) -> Result<ResolvedElement<'_>, LookupError> {
        let mut parts = path.split('.');
        let root = parts.next().unwrap_or("");
        let td_index = self.type_index(root)?;
        let td = &self.types[td_index];
        let Some(root_el) = td.elements.first() else {
            return Err(LookupError::CorruptData {
                file: "fhir-r4.json".into(),
                message: format!("{root} has no elements"),
            });
        };
        let mut cur = ResolvedElement {
            definition: root_el,
            owner: td,
            choice_type: None,
            ancestor_repeats: false,
        };
        let mut walked = root.to_owned();
        for name in parts {
            let next = self.child_of(&cur, &walked, name)?;
            let repeats =
                cur.ancestor_repeats || (walked.contains('.') && cur.cardinality().is_repeating());
            cur = ResolvedElement {
                ancestor_repeats: repeats,
                ..next
            };
            walked.push('.');
            walked.push_str(name);
        }
        Ok(cur)
    }

    /// The child elements one step below a resolved path (for "did you mean" lists).
    ///
    /// # Errors
    /// As [`FhirSchema::element`], plus [`LookupError::ChoiceNotNarrowed`] when the path ends at
    /// an un-narrowed choice.
    pub fn children(&self, path: &str) -> Result<Vec<&Element>, LookupError> {
        let cur = self.element(path)?;
        let (ti, parent) = self.children_home(&cur, path)?;
        Ok(self.children_in(ti, &parent))
    }

    fn type_index(&self, name: &str) -> Result<usize, LookupError> {
        self.index
            .types
            .get(name)
            .copied()
            .ok_or_else(|| LookupError::UnknownType {
                name: name.to_owned(),
                suggestions: suggestions(name, self.types.iter().map(|t| t.name.as_str())),
            })
    }

    fn children_in(&self, ti: usize, parent: &str) -> Vec<&Element> {
        self.types[ti]
            .elements
            .iter()
            .filter(|e| e.path.rsplit_once('.').is_some_and(|(p, _)| p == parent))
            .collect()
    }

    /// Where the children of `cur` are defined: (type index, parent path in that type).
    fn children_home(
        &self,
        cur: &ResolvedElement<'_>,
        walked: &str,
    ) -> Result<(usize, String), LookupError> {
        let def = cur.definition;
        if let Some(target) = def.content_reference() {
            let target = target.trim_start_matches('#');
            let (ti, _) = self
                .find_element(target)
                .ok_or_else(|| LookupError::CorruptData {
                    file: "fhir-r4.json".into(),
                    message: format!("dangling contentReference {target}"),
                })?;
            return Ok((ti, target.to_owned()));
        }
        if cur.choice_type.is_none()
            && let Some(&ti) = self.index.types.get(cur.owner.name())
            && !self.children_in(ti, def.path()).is_empty()
        {
            return Ok((ti, def.path().to_owned()));
        }
        match cur.types() {
            [t] => {
                let ti = self.type_index(t.code())?;
                Ok((ti, t.code().to_owned()))
            }
            types => Err(LookupError::ChoiceNotNarrowed {
                path: walked.to_owned(),
                types: types.iter().map(|t| t.code.clone()).collect(),
            }),
        }
    }

    fn child_of<'s>(
        &'s self,
        cur: &ResolvedElement<'s>,
        walked: &str,
        name: &str,
    ) -> Result<ResolvedElement<'s>, LookupError> {
        let (ti, parent) = self.children_home(cur, walked)?;
        let owner = &self.types[ti];
        let kids = self.children_in(ti, &parent);
        // `value` names the choice `value[x]` itself, as in FHIRPath.
        if let Some(el) = kids.iter().find(|e| {
            e.name() == name || (e.is_choice() && e.name().trim_end_matches("[x]") == name)
        }) {
            return Ok(ResolvedElement {
                definition: el,
                owner,
                choice_type: None,
                ancestor_repeats: false,
            });
        }
        for el in kids.iter().filter(|e| e.is_choice()) {
            let stem = el.name().trim_end_matches("[x]");
            if let Some(rest) = name.strip_prefix(stem)
                && let Some(t) = el.types.iter().find(|t| upper_first(&t.code) == rest)
            {
                return Ok(ResolvedElement {
                    definition: el,
                    owner,
                    choice_type: Some(t),
                    ancestor_repeats: false,
                });
            }
        }
        let mut names: Vec<String> = Vec::new();
        for el in &kids {
            if el.is_choice() {
                let stem = el.name().trim_end_matches("[x]");
                names.push(el.name().to_owned());
                names.extend(
                    el.types
                        .iter()
                        .map(|t| format!("{stem}{}", upper_first(&t.code))),
                );
            } else {
                names.push(el.name().to_owned());
            }
        }
        Err(LookupError::UnknownElement {
            parent: walked.to_owned(),
            name: name.to_owned(),
            suggestions: suggestions(name, names.iter().map(String::as_str)),
        })
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(any(test, feature = "reduce"))]
#[doc(hidden)]
pub mod build {
    //! Constructors for the reduction (feature `reduce`).
    use super::*;

    /// `(code, display)` pairs of one system.
    pub type CodeList = Vec<(String, Option<String>)>;

    /// The whole schema.
    pub fn schema(version: String, types: Vec<TypeDef>, value_sets: Vec<ValueSet>) -> FhirSchema {
        FhirSchema {
            version,
            types,
            value_sets,
            index: FhirIndex::default(),
        }
    }

    /// A type.
    pub fn type_def(
        name: String,
        kind: TypeKind,
        is_abstract: bool,
        base: Option<String>,
        regex: Option<String>,
        elements: Vec<Element>,
    ) -> TypeDef {
        TypeDef {
            name,
            kind,
            is_abstract,
            base,
            regex,
            elements,
        }
    }

    /// An element.
    pub fn element(
        path: String,
        types: Vec<TypeRef>,
        min: u32,
        max: Option<u32>,
        content_reference: Option<String>,
        binding: Option<(BindingStrength, String)>,
    ) -> Element {
        let (binding_strength, value_set) = match binding {
            Some((s, v)) => (Some(s), Some(v)),
            None => (None, None),
        };
        Element {
            path,
            types,
            min,
            max,
            content_reference,
            binding_strength,
            value_set,
        }
    }

    /// A type reference.
    pub fn type_ref(code: String, targets: Vec<String>) -> TypeRef {
        TypeRef { code, targets }
    }

    /// A value set with its expansion (grouped by system) or the reason it has none.
    pub fn value_set(
        url: String,
        name: Option<String>,
        expansion: Result<Vec<(String, CodeList)>, String>,
    ) -> ValueSet {
        match expansion {
            Ok(systems) => ValueSet {
                url,
                name,
                not_enumerable: None,
                systems: systems
                    .into_iter()
                    .map(|(system, codes)| SystemCodes { system, codes })
                    .collect(),
            },
            Err(reason) => ValueSet {
                url,
                name,
                not_enumerable: Some(reason),
                systems: Vec::new(),
            },
        }
    }
}
