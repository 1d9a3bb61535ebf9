//! `coffer`: the server binary and its command-line tools (all in the library).

fn main() -> std::process::ExitCode {
    coffer_server::cli::run()
}
