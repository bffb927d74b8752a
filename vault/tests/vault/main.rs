//! The vault's tests, in one binary (one link of sqlx, tantivy and argon2 instead of one
//! per file), a module per concern.

mod modules;
