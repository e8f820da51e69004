//! # Hypha blob store (not yet built)
//!
//! Arrives with the issue "Deterministic compute" (the data plane).
