//! The reports coordinators read: the same figures for the API, the dashboard and exports.

use chrono::{Duration, Utc};
use serde::Serialize;

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::reports::figures::{
    self, AccessFigure, AssessmentReport, CoverageReport, FindingsReport, ProtocolCheck,
    RestrictionKind, TimelineHour,
};
use crate::reports::statement;
use crate::reports::{self, Summary, timefmt};
use crate::store::{FormTally, ReportFilter};

/// Most silent teams listed (the total is always given).
const SILENT_LIMIT: u32 = 200;
/// An observer counts as silent after this long without a checklist, unless asked otherwise.
pub const DEFAULT_SILENT_MINUTES: u32 = 90;

/// The filter a report was computed with, echoed so an export or quote says what it covers.
#[derive(Debug, Serialize)]
pub struct FilterEcho {
    /// The region, or the regions joined by ", " (none: every region).
    pub region: Option<String>,
    pub area: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub form: Option<String>,
    pub from_hour: Option<String>,
    pub to_hour: Option<String>,
}

impl From<&ReportFilter> for FilterEcho {
    fn from(f: &ReportFilter) -> Self {
        Self {
            region: f.regions.as_ref().map(|r| r.join(", ")),
            area: f.area.map(eom_shared::Area::as_str),
            kind: f.kind.map(eom_shared::StationKind::as_str),
            form: f.form.clone(),
            from_hour: f.from_hour.map(timefmt::hour),
            to_hour: f.to_hour.map(timefmt::hour),
        }
    }
}

/// A station attribute reports can be split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitBy {
    Area,
    Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitValue {
    Area(eom_shared::Area),
    Kind(eom_shared::StationKind),
}

impl SplitValue {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Area(a) => a.as_str(),
            Self::Kind(k) => k.as_str(),
        }
    }
}

impl SplitBy {
    pub fn parse(raw: &str) -> Result<Self, ServiceError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "area" | "" => Ok(Self::Area),
            "kind" => Ok(Self::Kind),
            other => Err(ServiceError::invalid(
                format!("reports cannot be split by '{other}'"),
                "use by=area (urban, rural) or by=kind (regular, special, abroad)",
            )),
        }
    }

    pub fn values(self) -> Vec<SplitValue> {
        match self {
            Self::Area => eom_shared::Area::ALL.map(SplitValue::Area).to_vec(),
            Self::Kind => eom_shared::StationKind::ALL.map(SplitValue::Kind).to_vec(),
        }
    }
}

/// One value's figures in a split.
#[derive(Debug, Serialize)]
pub struct SplitGroup {
    /// `urban`, `rural`, or a kind.
    pub value: &'static str,
    /// Negative overall assessments per stage, per checklist.
    pub negative: Vec<figures::StageAssessment>,
    /// Observers restricted, all stages together and per stage.
    pub restricted: Vec<AccessFigure>,
    /// Per stage: stations visited of those on the list, and stations assessed negatively.
    pub coverage: Vec<figures::CoverageFigure>,
}

/// A report with the filter it was computed with.
#[derive(Debug, Serialize)]
pub struct Filtered<T> {
    pub filter: FilterEcho,
    #[serde(flatten)]
    pub report: T,
}

impl<T> Filtered<T> {
    pub fn new(filter: &ReportFilter, report: T) -> Self {
        Self {
            filter: filter.into(),
            report,
        }
    }
}

/// Texts by (form id, question or check id).
pub type FormTexts = std::collections::HashMap<(String, String), String>;

impl Service {
    /// Per form: checklists and negative overall assessments, over what `scope` sees.
    pub async fn summary(&self, scope: &Scope) -> Result<Summary, ServiceError> {
        let regional = scope.reports(ReportFilter::default())?;
        let tallies = self
            .store_call(move |s| {
                if regional.regions.is_none() {
                    return Ok(s.form_tallies()?);
                }
                // The regions' totals: their running totals, summed per form.
                let rows = s.assessment_rows(&regional)?;
                let mut counts: Vec<(String, u64, u64, u64)> = Vec::new();
                for row in rows {
                    match counts.iter_mut().find(|c| c.0 == row.form_id) {
                        Some(c) => {
                            c.1 += row.checklists;
                            c.2 += row.assessed;
                            c.3 += row.negative;
                        }
                        None => counts.push((
                            row.form_id.clone(),
                            row.checklists,
                            row.assessed,
                            row.negative,
                        )),
                    }
                }
                Ok(FormTally::for_forms(&s.latest_forms()?, &counts))
            })
            .await?;
        Ok(reports::summary(&tallies))
    }

    /// Every operator metric in the Prometheus text format.
    pub async fn metrics(&self) -> Result<String, ServiceError> {
        let tallies = self.store_call(|s| Ok(s.form_tallies()?)).await?;
        Ok(crate::telemetry::render(&tallies))
    }

    /// Negative assessments and observer access, from one read of the running totals.
    pub async fn assessment_and_access(
        &self,
        filter: &ReportFilter,
    ) -> Result<(AssessmentReport, Vec<AccessFigure>), ServiceError> {
        let f = filter.clone();
        let rows = self.store_call(move |s| Ok(s.assessment_rows(&f)?)).await?;
        Ok((figures::assessments(&rows), figures::access(&rows)))
    }

    /// Per question with a concern, and the newest critical findings.
    pub async fn findings(
        &self,
        filter: &ReportFilter,
        critical_limit: u32,
    ) -> Result<FindingsReport, ServiceError> {
        let f = filter.clone();
        let (rows, forms, critical) = self
            .store_call(move |s| {
                Ok((
                    s.finding_rows(&f)?,
                    s.latest_forms()?,
                    s.critical_findings(&f, critical_limit)?,
                ))
            })
            .await?;
        Ok(figures::findings(&rows, &forms, critical))
    }

    /// Stations visited against the station list, and teams silent for `silent_minutes`.
    pub async fn coverage(
        &self,
        filter: &ReportFilter,
        silent_minutes: u32,
    ) -> Result<CoverageReport, ServiceError> {
        let f = filter.clone();
        let before = Utc::now() - Duration::minutes(i64::from(silent_minutes));
        let (counts, silent) = self
            .store_call(move |s| {
                Ok((
                    s.coverage(&f)?,
                    s.silent_observers(before, f.regions.as_deref(), SILENT_LIMIT)?,
                ))
            })
            .await?;
        Ok(figures::coverage(&counts, silent_minutes, silent))
    }

    /// Checklists received per hour, by stage; the window selects hours of receipt.
    pub async fn timeline(&self, filter: &ReportFilter) -> Result<Vec<TimelineHour>, ServiceError> {
        let f = filter.clone();
        let rows = self.store_call(move |s| Ok(s.arrivals(&f)?)).await?;
        Ok(figures::timeline(&rows))
    }

    /// Each arithmetic check of the forms' protocols (failed in how many of the checklists
    /// where every figure it needs was copied), and the kinds of restriction observers met.
    pub async fn protocols_and_restrictions(
        &self,
        filter: &ReportFilter,
    ) -> Result<(Vec<ProtocolCheck>, Vec<RestrictionKind>), ServiceError> {
        let f = filter.clone();
        let (rows, forms) = self
            .store_call(move |s| Ok((s.finding_rows(&f)?, s.latest_forms()?)))
            .await?;
        Ok((
            figures::protocols(&rows, &forms),
            figures::restriction_kinds(&rows, &forms),
        ))
    }

    /// The figures as sentences ready to quote, in `lang` (see [`statement::language`]).
    pub async fn statement(
        &self,
        filter: &ReportFilter,
        lang: &str,
    ) -> Result<Vec<String>, ServiceError> {
        let (assessment, access) = self.assessment_and_access(filter).await?;
        let (protocols, restrictions) = self.protocols_and_restrictions(filter).await?;
        let coverage = self.coverage(filter, DEFAULT_SILENT_MINUTES).await?;
        let mut lines = statement::lines(
            &statement::Figures {
                assessment: &assessment,
                access: &access,
                coverage: &coverage.totals,
                protocols: &protocols,
                restrictions: &restrictions,
            },
            lang,
        );
        let regions = filter.regions.clone();
        let lang = statement::language(Some(lang));
        let results = self
            .store_call(move |store| {
                Ok(
                    crate::results::statement_figures(store, regions.as_deref(), lang)?
                        .filter(|r| r.stations_compared > 0),
                )
            })
            .await?;
        if let Some(report) = results {
            lines.push(crate::results::statement_line(&report, lang));
        }
        Ok(lines)
    }

    /// The main figures once per value of a station attribute (urban and rural, or each
    /// kind), within `filter`: negative assessments per stage (per checklist, and per
    /// distinct station), observers restricted, and coverage.
    pub async fn split(
        &self,
        filter: &ReportFilter,
        by: SplitBy,
    ) -> Result<Vec<SplitGroup>, ServiceError> {
        let mut groups = Vec::new();
        for value in by.values() {
            let mut within = filter.clone();
            match value {
                SplitValue::Area(a) => within.area = Some(a),
                SplitValue::Kind(k) => within.kind = Some(k),
            }
            let (assessment, access) = self.assessment_and_access(&within).await?;
            // Coverage only: the silent teams are not split, so they are not read.
            let f = within.clone();
            let counts = self.store_call(move |s| Ok(s.coverage(&f)?)).await?;
            let coverage = figures::coverage(&counts, DEFAULT_SILENT_MINUTES, (Vec::new(), 0));
            groups.push(SplitGroup {
                value: value.as_str(),
                negative: assessment.stages,
                restricted: access.into_iter().filter(|a| a.region.is_none()).collect(),
                coverage: coverage.totals,
            });
        }
        Ok(groups)
    }

    /// Checklists received per hour (of first receipt) and checklists and negative
    /// assessments per hour of observation, for the timeline chart.
    pub async fn hourly(
        &self,
        filter: &ReportFilter,
    ) -> Result<
        (
            Vec<crate::store::ArrivalRow>,
            Vec<crate::store::ObservedHour>,
        ),
        ServiceError,
    > {
        let f = filter.clone();
        self.store_call(move |s| Ok((s.arrivals(&f)?, s.observed_hours(&f)?)))
            .await
    }

    /// Stations with coordinates and what was observed there, for the map.
    pub async fn station_marks(
        &self,
        filter: &ReportFilter,
    ) -> Result<Vec<crate::store::StationMark>, ServiceError> {
        let f = filter.clone();
        self.store_call(move |s| Ok(s.station_marks(&f)?)).await
    }

    /// Each current form's title in `lang`, by form id.
    pub async fn form_titles(
        &self,
        lang: &str,
    ) -> Result<std::collections::HashMap<String, String>, ServiceError> {
        let lang = lang.to_owned();
        self.store_call(move |s| {
            Ok(s.latest_forms()?
                .into_iter()
                .map(|f| (f.id.to_string(), f.title.get(&lang).to_owned()))
                .collect())
        })
        .await
    }

    /// Every question's text in `lang`, by (form id, question id).
    pub async fn question_labels(&self, lang: &str) -> Result<FormTexts, ServiceError> {
        self.form_texts(lang, |f, lang| {
            f.questions
                .iter()
                .map(|q| (q.id.clone(), q.label.get(lang).to_owned()))
                .collect()
        })
        .await
    }

    /// Every protocol check's text in `lang`, by (form id, check id).
    pub async fn check_labels(&self, lang: &str) -> Result<FormTexts, ServiceError> {
        self.form_texts(lang, |f, lang| {
            f.checks
                .iter()
                .map(|c| (c.id.clone(), c.message.get(lang).to_owned()))
                .collect()
        })
        .await
    }

    /// Texts of the current forms' parts, keyed by (form id, part id): `pick` lists a form's
    /// parts with their text in `lang`.
    async fn form_texts(
        &self,
        lang: &str,
        pick: fn(&eom_shared::form::Form, &str) -> Vec<(String, String)>,
    ) -> Result<FormTexts, ServiceError> {
        let lang = lang.to_owned();
        self.store_call(move |s| {
            Ok(s.latest_forms()?
                .iter()
                .flat_map(|f| {
                    let form = f.id.to_string();
                    pick(f, &lang)
                        .into_iter()
                        .map(move |(id, text)| ((form.clone(), id), text))
                })
                .collect())
        })
        .await
    }

    /// The latest critical findings of each stage (at most `per_stage` each), in the order
    /// of the day: so that tabulation's findings never push voting day's off the page.
    pub async fn critical_by_stage(
        &self,
        filter: &ReportFilter,
        per_stage: u32,
    ) -> Result<Vec<(eom_shared::Stage, Vec<crate::store::CriticalFinding>)>, ServiceError> {
        let filter = filter.clone();
        self.store_call(move |s| {
            let mut by_stage: std::collections::BTreeMap<
                eom_shared::Stage,
                Vec<crate::store::CriticalFinding>,
            > = std::collections::BTreeMap::new();
            for form in s.latest_forms()? {
                let id = form.id.to_string();
                if filter.form.as_ref().is_some_and(|f| *f != id) {
                    continue;
                }
                let found = s.critical_findings(
                    &ReportFilter {
                        form: Some(id),
                        ..filter.clone()
                    },
                    per_stage,
                )?;
                by_stage.entry(form.stage).or_default().extend(found);
            }
            Ok(by_stage
                .into_iter()
                .filter(|(_, found)| !found.is_empty())
                .map(|(stage, mut found)| {
                    found.truncate(per_stage as usize);
                    (stage, found)
                })
                .collect())
        })
        .await
    }

    /// The regions of the station list and the ids of the current forms, for filter menus.
    pub async fn regions_and_forms(
        &self,
        scope: &Scope,
    ) -> Result<(Vec<String>, Vec<String>), ServiceError> {
        let scope = scope.clone();
        self.store_call(move |s| {
            let regions: Vec<String> = s.regions()?.into_iter().filter(|r| scope.sees(r)).collect();
            let forms = s
                .latest_forms()?
                .into_iter()
                .map(|f| f.id.to_string())
                .collect();
            Ok((regions, forms))
        })
        .await
    }
}
