//! `verity-executor`: see `docs/executor.md`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	verity_executor::cli::run().await
}
