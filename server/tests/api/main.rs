//! Integration tests: the real server on port 0 with a fresh SQLite database, over HTTP.

mod dashboard;
mod helpers;
mod manage;
mod openapi;
mod reads;
mod receiver;
mod roles;
mod team;
mod webhooks;
