//! Embedded HL7 v2 and FHIR R4 definitions (the ground truth of the checker).
