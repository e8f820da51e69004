//! # hypha CLI
//!
//! The `hypha` binary, one module per command group; each module holds the
//! group's clap definitions, a `run` that prints for people, and the
//! functions behind it, which the tests call directly:
//!
//! - [`job`]: `hypha job submit | status | watch | fetch | run-local |
//!   digits-check` (narration of a job's events in [`job::narrate`]);
//! - [`stake`]: `hypha stake show | register-verifier | bond-extra | unbond |
//!   withdraw | deregister`;
//! - [`account`]: `hypha account balance`;
//! - [`store`]: `hypha store serve | put | get` (the durable blob store, docs/DATA.md);
//! - [`digits`]: the digits example (`hypha digits prepare | model |
//!   accuracy`, and the checks behind `hypha job digits-check`);
//! - [`model`]: language models (`hypha model import | check | generate |
//!   score`) and, in [`registry`], the model registry on chain (`hypha model
//!   register | push-version | evaluate | show | log | verify | deprecate |
//!   transfer`, docs/MODELS.md);
//! - [`gov`]: `hypha gov propose-params | vote | list | sudo-set-params`;
//! - [`explorer`]: `hypha explorer`, the market as live web pages
//!   (docs/EXPLORER.md);
//! - [`args`]: the flags the groups share (`--url`, `--seed`, `--backend`).
//!
//! Every amount flag takes HYPHA (`2`, `0.5`, `2 HYPHA`), the smallest unit
//! only with a suffix (`5 units`): one parser, `hypha_client::amount`.
//!
//! ## Failure modes
//!
//! Errors print as `hypha: what failed: why` and exit 1; chain refusals name
//! the pallet error and its documentation.

pub mod account;
pub mod args;
pub mod digits;
pub mod explorer;
pub mod gov;
pub mod job;
pub mod model;
pub mod registry;
pub mod stake;
pub mod store;
