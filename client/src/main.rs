use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let cli = eom_client::cli::Cli::parse();
    eom_client::cli::run(cli).await
}
