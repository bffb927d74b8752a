//! Moving between databases: the document (`document`) and the tables it moves (`tables`).

mod document;
mod tables;

pub use document::Export;
