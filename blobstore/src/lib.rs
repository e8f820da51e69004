//! # Hypha blob store
//!
//! Job programs, inputs and outputs live off chain, addressed by their
//! blake2-256 digest (the digest a job's spec holds on chain). This crate is
//! the data plane:
//!
//! - [`store`]: a durable content-addressed store: uploads stream to an
//!   invisible upload, are hashed as they arrive and become a blob in one
//!   atomic step, so a crash leaves whole blobs or none; quotas per
//!   uploader and in total; who may read each blob; a retention sweep;
//! - [`backend`]: where the bytes live: a directory ([`backend::Disk`]) or
//!   an S3-compatible bucket ([`s3::S3`], through `object_store`);
//! - [`server`]: that store over HTTP (axum): `PUT /blobs/{digest}`,
//!   `GET /blobs/{digest}` (with `Range` to resume), streamed both ways;
//! - [`chunks`]: BLAKE3 chunk manifests, so that downloads are checked MiB
//!   by MiB as they arrive (a bad byte stops a download at its chunk);
//! - [`client`]: a reqwest client with timeouts, no redirects and TLS, that
//!   refuses a body over its size bound (before and while reading) and
//!   checks the digest before returning bytes or renaming a download into
//!   place;
//! - [`auth`]: sr25519-signed requests bound to the store, the blob and a
//!   short time window, with replay protection.
//!
//! ## Failure modes
//!
//! The client never hands out bytes whose digest it has not checked: a
//! wrong digest, an oversized body or an error status is a [`client::BlobError`]
//! naming the store. The server answers `401` for an unsigned, stale,
//! replayed or misdirected request, `403` for a signer who may not read a
//! private blob, `404` for unknown digests, `411` for an upload without a
//! length, `413` over the per-blob limit, `507` over a quota, and `400` for
//! bytes that are not what the upload declared (nothing of them is kept).
//! See `docs/DATA.md` for the whole picture.

pub mod auth;
pub mod backend;
pub mod chunks;
pub mod client;
pub mod s3;
pub mod server;
pub mod store;

pub use client::{BlobClient, BlobError, Progress};
pub use s3::{S3Config, S3};
pub use server::{router, serve, Authorizer, ServerConfig};
pub use store::{Access, Account, Backend, BlobMeta, BlobStore, Digest, Disk, Limits};
