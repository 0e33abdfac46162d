//! Why a fix could not be applied, and the stand-in prefix: shared by `apply` and
//! `apply_more`.

/// Why a fix could not be applied to the data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ApplyError {
    #[error("{0} is not in the data")]
    Missing(String),
    #[error("{0}")]
    Shape(String),
}

/// The stand-in address as the prefix that replaces `<YOUR-PUBLIC-IP>/32`.
pub(crate) fn stand_in_prefix(stand_in: &str) -> String {
    if stand_in.contains(':') {
        format!("{stand_in}/128")
    } else {
        format!("{stand_in}/32")
    }
}
