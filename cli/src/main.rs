//! `modelgate`: the command line for CI pipelines and deploy gates (see `cli/README.md`): the
//! `modelgate-cli` library with no policies of a host registered.

fn main() -> std::process::ExitCode {
    modelgate_cli::Cli::new().run()
}
