//! Integration tests: the real server on port 0 with a fresh database (SQLite, or PostgreSQL
//! in the suite's second pass), over HTTP.

mod code;
mod code_hostile;
mod code_workflow;
mod composition;
mod connections;
mod crash;
mod dashboard;
mod disk;
mod helpers;
mod history;
mod instances;
mod labels;
mod langfuse;
mod limits;
mod manage;
mod mcp;
mod openapi;
mod reads;
mod receiver;
mod roles;
mod rollouts;
mod stream;
mod structured;
mod team;
mod transfer;
mod webhooks;
