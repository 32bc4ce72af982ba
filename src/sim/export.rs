//! Ledger exports as Chinese Windows writes them (GBK CSV, XLSX). Being written.

/// `ruralsync-sim export …`
#[derive(Debug, clap::Args)]
pub struct ExportArgs {}

/// # Errors
/// Always, until written.
pub fn run(_args: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("export is not written yet")
}
