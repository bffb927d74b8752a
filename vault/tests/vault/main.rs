//! The vault's tests, in one binary (one link of sqlx, tantivy and argon2 instead of one
//! per file), a module per concern; `helpers` holds the one fixture and the one way to
//! assert a refusal. Every test runs on SQLite, and on PostgreSQL when
//! `PROMPTVAULT_TEST_DATABASE_URL` names a server.

mod accounts;
mod activity;
mod agents;
mod composition;
mod faults;
mod fleet;
mod from_langfuse;
mod fuzz;
mod helpers;
mod instances;
mod label_reads;
mod labels;
mod langfuse;
mod langfuse_writes;
mod limits;
mod logs;
mod model;
mod modules;
mod push;
mod quotas;
mod reviews;
mod roles;
mod rollout_requests;
mod rollouts;
mod rules;
mod search;
mod serving;
mod storage;
mod stream;
mod structured;
mod tags;
mod team;
mod transfer;
mod upgrade;
mod webhooks;
