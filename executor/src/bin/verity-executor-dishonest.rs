//! TEST ONLY: `verity-executor` with `--lie-probability`, which falsifies signed-tier results, for
//! the end-to-end tests of challenges (`node/tests/executor.rs`). It is built only with the cargo
//! feature `dishonest` (`scripts/common.sh` builds it for the tests); `verity-executor`, the
//! binary every release ships, has no such switch, and a test checks that it has none.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	verity_executor::cli::run().await
}
