//! Embedded HL7 v2 and FHIR R4 definitions: the ground truth Ferry's checker checks against.
#![forbid(unsafe_code)]
