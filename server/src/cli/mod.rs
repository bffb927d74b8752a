//! The command line's client side: `promptvault prompts pull|push|diff|dependents|rollout|fleet` and
//! `promptvault import --from-langfuse`, which talk to a PromptVault server over its
//! management API with a personal access token. The rules stay the server's (its vault);
//! this is files, requests and words.

mod dependents;
mod file;
mod folder;
mod langfuse;
mod prompts;
mod remote;
mod rollouts;

pub use dependents::dependents;
pub use file::{Content, Pulled};
pub use langfuse::import_from_langfuse;
pub use prompts::{PullChannel, PushOptions, diff, pull, push};
pub use remote::Remote;
pub use rollouts::{RolloutAction, fleet, rollout};

/// How a command ended, as its exit status says it: a CI job acts on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: done (a pull).
    Done,
    /// 0: everything was as asked already (no differences, nothing pushed or imported).
    NothingToDo,
    /// 2: something changed (or, in a dry run or a diff, would change).
    Changed,
}

/// Why a command stopped without doing its work; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 3: the input was refused (a bad file, a role without the right, a conflict).
    Refused(String),
    /// 1: the work could not be done (the server unreachable or failing, a disk error).
    Error(String),
}

/// The process's exit status for a command's result, after printing a failure's reason.
pub fn exit_code(result: Result<Outcome, Failure>) -> std::process::ExitCode {
    let code = match result {
        Ok(Outcome::Done | Outcome::NothingToDo) => 0,
        Ok(Outcome::Changed) => 2,
        Err(Failure::Refused(reason)) => {
            eprintln!("refused: {}", printable(&reason));
            3
        }
        Err(Failure::Error(reason)) => {
            eprintln!("error: {}", printable(&reason));
            1
        }
    };
    std::process::ExitCode::from(code)
}

/// Text from a server (a name, a reason) as it may reach a terminal: control characters
/// other than line breaks and tabs escaped, so that no answer can move the cursor, recolour
/// the screen or hide a line.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_from_a_server_are_escaped() {
        assert_eq!(super::printable("a\u{1b}[2Jb\rc\nd"), "a\\u{1b}[2Jb\\rc\nd");
    }
}
