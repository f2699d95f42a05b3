//! Polling stations and the higher commissions that tabulate their results.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A station or commission code as the election administration writes it, e.g. `PEC-0412`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct StationCode(String);

impl StationCode {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim();
        if code.is_empty() {
            return Err("the station code is empty".into());
        }
        if code.len() > Self::MAX_LEN {
            return Err(format!(
                "station code '{code}' is longer than {} characters",
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = code
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(format!(
                "station code '{code}' contains '{bad}': use letters, digits, '-', '_', '.' or '/'"
            ));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StationCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<StationCode> for String {
    fn from(value: StationCode) -> Self {
        value.0
    }
}

impl fmt::Display for StationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// `pec`: a polling station (precinct commission); `tec`/`dec`: a territorial or district
/// commission where results are tabulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StationLevel {
    Pec,
    Tec,
    Dec,
}

impl StationLevel {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "pec" => Ok(Self::Pec),
            "tec" => Ok(Self::Tec),
            "dec" => Ok(Self::Dec),
            other => Err(format!(
                "level '{other}' is not known: use pec (polling station), tec or dec (commission)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pec => "pec",
            Self::Tec => "tec",
            Self::Dec => "dec",
        }
    }
}

/// Whether a station serves a town or the countryside: findings often differ between them,
/// so every report can be split by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Area {
    Urban,
    Rural,
}

impl Area {
    pub const ALL: [Area; 2] = [Area::Urban, Area::Rural];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "urban" => Ok(Self::Urban),
            "rural" => Ok(Self::Rural),
            other => Err(format!(
                "area '{other}' is not known: use urban or rural, or leave it empty"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urban => "urban",
            Self::Rural => "rural",
        }
    }

    /// How an optional area is kept in tally keys: empty when the list does not say.
    pub fn stored(area: Option<Area>) -> &'static str {
        area.map_or("", Area::as_str)
    }

    /// The inverse of [`Area::stored`]: empty is unknown; anything but a known area is an
    /// error.
    pub fn from_stored(raw: &str) -> Result<Option<Area>, String> {
        if raw.is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }
}

/// Regular polling stations, special ones (hospitals, prisons, military units, where
/// observers are often kept out) and stations abroad, reported apart.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StationKind {
    #[default]
    Regular,
    Special,
    Abroad,
}

impl StationKind {
    pub const ALL: [StationKind; 3] = [
        StationKind::Regular,
        StationKind::Special,
        StationKind::Abroad,
    ];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "regular" | "" => Ok(Self::Regular),
            "special" => Ok(Self::Special),
            "abroad" => Ok(Self::Abroad),
            other => Err(format!(
                "kind '{other}' is not known: use regular, special (hospital, prison, ...) or abroad"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Special => "special",
            Self::Abroad => "abroad",
        }
    }

    fn is_regular(&self) -> bool {
        *self == Self::Regular
    }
}

/// Where a station is, in WGS 84 degrees, for the mission's map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

impl Coordinates {
    /// From two stored columns: both or neither.
    pub fn from_columns(
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> Result<Option<Self>, String> {
        match (latitude, longitude) {
            (Some(latitude), Some(longitude)) => Self::new(latitude, longitude).map(Some),
            (None, None) => Ok(None),
            _ => Err("a station has only one of latitude and longitude".into()),
        }
    }

    /// Checked coordinates: both finite, latitude within ±90, longitude within ±180.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, String> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(format!(
                "latitude {latitude} is not between -90 and 90 (give degrees, e.g. 43.2389)"
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(format!(
                "longitude {longitude} is not between -180 and 180 (give degrees, e.g. 76.8897)"
            ));
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Station {
    pub code: StationCode,
    pub name: String,
    pub region: String,
    #[serde(default)]
    pub district: String,
    pub level: StationLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_voters: Option<u32>,
    /// Urban or rural, when the station list says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    #[serde(default, skip_serializing_if = "StationKind::is_regular")]
    pub kind: StationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_codes_are_trimmed_and_checked() {
        assert_eq!(
            StationCode::parse(" PEC-12 ").map(String::from),
            Ok("PEC-12".into())
        );
        assert!(StationCode::parse("").is_err());
        assert!(StationCode::parse("PEC 12").is_err());
        assert!(StationCode::parse(&"A".repeat(33)).is_err());
        assert!(StationCode::parse("ТИК/01").is_ok());
    }

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!(StationLevel::parse("PEC"), Ok(StationLevel::Pec));
        assert_eq!(StationLevel::parse("dec"), Ok(StationLevel::Dec));
        assert!(StationLevel::parse("precinct").is_err());
    }
}
