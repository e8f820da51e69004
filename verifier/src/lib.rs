//! # hypha-verifier (not yet built)
//!
//! The verifier daemon arrives with the issue "The marketplace end to end".
//! Until then this crate only holds its place in the workspace.
