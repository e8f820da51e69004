//! # hypha CLI (not yet built)
//!
//! The `hypha` command-line client arrives with the issues "Deterministic
//! compute" (`hypha job run-local`) and "The marketplace end to end".
