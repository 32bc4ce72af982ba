//! Seeding a real database with the simulated exchange's tables. Being written.

/// `ruralsync-sim seed-sql …`
#[derive(Debug, clap::Args)]
pub struct SeedArgs {}

/// # Errors
/// Always, until written.
pub async fn run(_args: SeedArgs) -> anyhow::Result<()> {
    anyhow::bail!("seed-sql is not written yet")
}
