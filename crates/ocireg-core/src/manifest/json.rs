//! Serde helpers for JSON written by Go programs, which encode an empty
//! list or map as `null`.

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default (an empty list or map). Use with
/// `#[serde(default, deserialize_with = "null_as_default")]` so a missing
/// field reads the same way.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads `schemaVersion` and requires it to be 2 (OCI manifests and
/// indexes, Docker schema 2 manifests and lists).
pub(crate) fn schema_version_2<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u32, D::Error> {
    expect_schema_version(deserializer, 2)
}

/// Reads `schemaVersion` and requires it to be 1 (Docker schema 1).
pub(crate) fn schema_version_1<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u32, D::Error> {
    expect_schema_version(deserializer, 1)
}

fn expect_schema_version<'de, D: Deserializer<'de>>(
    deserializer: D,
    expected: u32,
) -> Result<u32, D::Error> {
    let found = u64::deserialize(deserializer)?;
    if found == u64::from(expected) {
        Ok(expected)
    } else {
        Err(serde::de::Error::custom(format_args!(
            "schemaVersion must be {expected}, found {found}"
        )))
    }
}
