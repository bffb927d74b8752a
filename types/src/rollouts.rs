//! Rollouts on the wire, and the one way a unit is assigned a side (PRODUCT.md "Rollouts"):
//! the server, the Rust SDK and any application that reads over plain HTTP compute the
//! same, so an SDK decides locally from the split it already holds.
//!
//! A unit's *bucket* is the first 8 bytes of SHA-256(`seed` + "\n" + `prompt` + "\n" +
//! `unit`), read as a big-endian integer, modulo 10,000; the unit reads the rollout's new
//! version when its bucket is below the share in basis points (0.01 %). As the share grows
//! every unit already on the new version stays there.

use serde::{Deserialize, Serialize};

/// A share of units in basis points: 10,000 is all of them.
pub const ALL: u32 = 10_000;

/// What a read of a label under a rollout carries, so that an SDK assigns units itself:
/// `{"from":"v3","to":"v4","percent":10.0,"seed":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitJson {
    pub from: String,
    pub to: String,
    /// The share of units that read `to`, in percent (0.01 steps).
    pub percent: f64,
    pub seed: String,
}

/// A share given in percent as basis points: refused (with words) unless it is between 0
/// and 100 in steps of 0.01.
pub fn basis_points(percent: f64) -> Result<u32, String> {
    let scaled = percent * 100.0;
    let rounded = scaled.round();
    if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
        return Err(format!("a rollout's percent is between 0 and 100, not {percent}"));
    }
    if (scaled - rounded).abs() > 1e-6 {
        return Err(format!("a rollout's percent goes in steps of 0.01, not {percent}"));
    }
    // In range and whole: the cast is exact.
    Ok(rounded as u32)
}

/// Basis points as a percent, for the wire.
pub fn percent(basis_points: u32) -> f64 {
    f64::from(basis_points) / 100.0
}

/// The bucket (0 to 9,999) of `unit` reading prompt `prompt` under the rollout of `seed`.
#[cfg(feature = "rollouts")]
pub fn bucket(seed: &str, prompt: &str, unit: &str) -> u32 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update(b"\n")
        .chain_update(prompt.as_bytes())
        .chain_update(b"\n")
        .chain_update(unit.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // Below 10,000: the cast is exact.
    (u64::from_be_bytes(first) % u64::from(ALL)) as u32
}

/// Whether `unit` reads the rollout's new version at a share of `basis_points`.
#[cfg(feature = "rollouts")]
pub fn reads_new(seed: &str, prompt: &str, unit: &str, basis_points: u32) -> bool {
    bucket(seed, prompt, unit) < basis_points
}

#[cfg(all(test, feature = "rollouts"))]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_hit_within_half_a_point_and_no_unit_ever_goes_back() {
        let units: Vec<String> = (0..100_000).map(|i| format!("user-{i}")).collect();
        let mut on_new = vec![false; units.len()];
        for percent in [0.01, 1.0, 5.0, 10.0, 25.0, 33.33, 50.0, 75.0, 99.99, 100.0] {
            let share = basis_points(percent).expect("a share");
            let mut count = 0;
            for (i, unit) in units.iter().enumerate() {
                let new = reads_new("seed-1", "support/triage", unit, share);
                assert!(new || !on_new[i], "{unit} went back at {percent} %");
                on_new[i] = new;
                count += usize::from(new);
            }
            let got = count as f64 / units.len() as f64 * 100.0;
            assert!((got - percent).abs() <= 0.5, "{percent} % asked, {got} % got");
        }
        assert!(on_new.iter().all(|&new| new), "at 100 % every unit reads the new version");
    }

    #[test]
    fn the_bucket_is_the_documented_hash() {
        // Computed apart, with Python: int.from_bytes(sha256(b"s\np\nu").digest()[:8], "big") % 10000.
        assert_eq!(bucket("s", "p", "u"), 3415);
        assert_eq!(bucket("seed-1", "support/triage", "user-42"), 698);
        assert_ne!(bucket("seed-1", "a", "u"), bucket("seed-2", "a", "u"), "another rollout, another split");
    }

    #[test]
    fn a_percent_is_between_0_and_100_in_steps_of_a_hundredth() {
        assert_eq!(basis_points(10.0), Ok(1000));
        assert_eq!(basis_points(0.01), Ok(1));
        assert_eq!(basis_points(33.33), Ok(3333));
        assert_eq!(basis_points(100.0), Ok(ALL));
        assert!(basis_points(10.005).is_err_and(|e| e.contains("steps of 0.01")));
        assert!(basis_points(-1.0).is_err_and(|e| e.contains("between 0 and 100")));
        assert!(basis_points(f64::NAN).is_err());
        assert_eq!(percent(1234), 12.34);
    }
}

/// A rollout as the API shows it:
/// `{"label","from","to","percent","state","seed","schedule","guard","reason","started_by","started_at","ended_at"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloutJson {
    pub prompt: String,
    pub label: String,
    /// The version the label points at, which the units outside the share read.
    pub from: String,
    /// The new version, which the share reads.
    pub to: String,
    pub percent: f64,
    /// `running`, `completed` (the label points at `to`) or `aborted` (at `from` alone).
    pub state: String,
    pub seed: String,
    /// The steps still to come: the server raises the share to each `percent` once
    /// `after_minutes` have passed since the step before.
    #[serde(default)]
    pub schedule: Vec<StepJson>,
    /// When the next step is due (RFC 3339), while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardJson>,
    /// Why it was aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub started_by: String,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
}

/// One step of a ramp: `{"percent": 25.0, "after_minutes": 30}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepJson {
    pub percent: f64,
    pub after_minutes: u32,
}

/// The automatic stop: abort once the new version's failure rate exceeds the old one's by
/// more than `max_failure_increase` (0.02: two points), after at least `min_uses` uses of
/// the new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuardJson {
    pub max_failure_increase: f64,
    pub min_uses: u64,
}

/// What a request for a rollout asks (under review): the share, and the ramp and guard of a
/// rollout it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloutAskJson {
    pub percent: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<StepJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardJson>,
}

/// Shares are checked numbers (never NaN) when a request is opened, so equality is total.
impl Eq for RolloutAskJson {}

/// What a rollout's event carries besides the versions: `{"percent","state","reason"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloutEventJson {
    pub percent: f64,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A share is never NaN (it is made from basis points), so equality is total.
impl Eq for RolloutEventJson {}

/// As for [`RolloutEventJson`]: a share made from basis points is never NaN.
impl Eq for SplitJson {}
