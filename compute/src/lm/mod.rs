//! # Integer-only transformer language models
//!
//! Llama-family decoders (RMSNorm, rotary positions, SwiGLU, multi-head and
//! grouped-query attention, tied or untied embeddings; Llama, Mistral and
//! Qwen2 checkpoints) run with int8 weights and activations, i32
//! accumulators and integer non-linear steps, so a `generate` or `score`
//! job gives the same bits on every backend.
//!
//! - [`config`]: the architecture and the Hugging Face `config.json` it is
//!   read from.
//! - [`ops`]: the integer steps (exp, ln, softmax, RMSNorm, rotary).
//! - [`model`]: the integer model, its file format and forward pass with a
//!   KV cache.
//! - [`sample`]: greedy and seeded sampling, generation, scoring.
//! - [`float`], [`import`]: the float checkpoint, its forward pass (the
//!   reference) and the calibration that turns it into an integer model.
//! - [`tokenizer`]: text ↔ tokens (`tokenizers`).
//!
//! `docs/COMPUTE.md` describes every step and its error bound;
//! `docs/MODELS.md` how to import a checkpoint.

pub mod config;
pub mod eval;
pub mod float;
pub mod import;
pub mod job;
pub mod model;
pub mod ops;
pub mod sample;
pub mod tokenizer;

pub use config::LmConfig;
pub use model::{IntLm, Logits};
pub use sample::{generate, generate_streaming, score, Sampling, Scored};
pub use tokenizer::Tokenizer;
