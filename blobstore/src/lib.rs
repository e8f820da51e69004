//! # Hypha blob store
//!
//! Job inputs and outputs live off chain, addressed by their blake2-256
//! digest. This crate is the data plane:
//!
//! - [`store`]: an in-memory, content-addressed store with a size limit per
//!   blob; a blob may be restricted to a set of ed25519 reader keys (a job's
//!   client and its assigned verifiers);
//! - [`server`]: that store over HTTP (axum): `PUT /blobs`, `GET /blobs/{digest}`;
//! - [`client`]: a reqwest client that refuses a body over its size bound
//!   (before and while reading) and checks the digest before returning bytes;
//! - [`auth`]: the signed-request headers that unlock restricted blobs.
//!
//! ## Failure modes
//!
//! The client never hands out bytes whose digest it has not checked: a
//! wrong digest, an oversized body or an error status is a [`client::BlobError`].
//! The server answers 413 for oversized uploads, 404 for unknown digests, 401
//! for a restricted blob without a valid fresh signature and 403 for a valid
//! signature by a key that is not a reader.
//!
//! Plain HTTP for now: the digest protects integrity, the signature
//! authorizes reads, but bodies are not encrypted in transit.

pub mod auth;
pub mod client;
pub mod server;
pub mod store;

pub use client::{BlobClient, BlobError};
pub use server::{router, serve, ServerConfig};
pub use store::{BlobStore, Digest};
