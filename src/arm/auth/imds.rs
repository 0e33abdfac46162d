//! The VM instance metadata service: a TCP probe before asking it for a token, so that a
//! machine outside Azure fails fast.

use super::*;

/// The Azure Instance Metadata Service (VM managed identity).
pub(super) const IMDS_ADDR: ([u8; 4], u16) = ([169, 254, 169, 254], 80);
pub(super) const IMDS_PROBE_AUTO: Duration = Duration::from_secs(1);
pub(super) const IMDS_PROBE_EXPLICIT: Duration = Duration::from_secs(3);
/// Is anything listening at IMDS? A TCP connect only; nothing is sent.
pub(super) async fn probe_imds(timeout: Duration) -> Result<(), String> {
    let addr = std::net::SocketAddr::from(IMDS_ADDR);
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "the VM instance metadata endpoint 169.254.169.254 is not reachable ({e}): not running on an Azure VM"
        )),
        Err(_) => Err(format!(
            "the VM instance metadata endpoint 169.254.169.254 did not answer within {} s: not running on an Azure VM",
            timeout.as_secs()
        )),
    }
}
