//! The figures as the sentences a statement quotes, in the language asked for: "Counting was
//! assessed negatively in 18 of 53 counts observed." Counts rather than intervals (the share
//! is added from 100 on): a mission's deployment is not a random sample and visits cluster by
//! team, so the 95% intervals stay in the API and the analyst's tables.
//!
//! Opening, counting and tabulation happen once per station, so they are counted per distinct
//! station or commission (one where any team assessed it negatively counts as negative);
//! voting is observed many times a day at one station, so it is counted per observation, as
//! statements do. The coverage line says how many stations of the list were observed. Every
//! word comes from the server's message catalogues (`server/locales/*.yml`).

use eom_shared::Stage;
use rust_i18n::t;

use super::figures::{
    AccessFigure, AssessmentReport, CoverageFigure, ProtocolCheck, RestrictionKind, Share, percent,
};

/// Languages the statement is written in; anything else gets English.
pub const LANGUAGES: [&str; 3] = ["en", "ru", "kk"];

/// What the statement is made from: one filter's figures.
pub struct Figures<'a> {
    pub assessment: &'a AssessmentReport,
    pub access: &'a [AccessFigure],
    /// Coverage per stage over the whole filter (`CoverageReport::totals`).
    pub coverage: &'a [CoverageFigure],
    pub protocols: &'a [ProtocolCheck],
    pub restrictions: &'a [RestrictionKind],
}

/// The language of a `?lang=` tag: its primary subtag if the catalogues have it, else English.
pub fn language(tag: Option<&str>) -> &'static str {
    let primary = tag
        .and_then(|t| t.split(['-', '_']).next())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    LANGUAGES
        .into_iter()
        .find(|l| *l == primary)
        .unwrap_or("en")
}

fn stage_key(stage: Stage) -> &'static str {
    stage.as_str()
}

/// "one" or "many": which form of a noun follows "of N" (Russian: "из 21 участка", "из 53
/// участков"; Kazakh nouns after a numeral stay singular).
fn plural(lang: &str, whole: u64) -> &'static str {
    match lang {
        "ru" if whole % 10 == 1 && whole % 100 != 11 => "one",
        "ru" => "many",
        "kk" => "one",
        _ if whole == 1 => "one",
        _ => "many",
    }
}

/// "18 of 53 counts observed", with "(34%)" from 100 on.
pub fn counted(share: &Share, noun: &str, lang: &str) -> String {
    let noun = t!(
        format!("statement.noun.{noun}.{}", plural(lang, share.whole)),
        locale = lang
    );
    match share.share {
        Some(p) if share.whole >= 100 => t!(
            "statement.counted_share",
            part = share.part,
            whole = share.whole,
            noun = noun,
            percent = percent(p),
            locale = lang
        )
        .into_owned(),
        _ => t!(
            "statement.counted",
            part = share.part,
            whole = share.whole,
            noun = noun,
            locale = lang
        )
        .into_owned(),
    }
}

/// A label as it reads inside a sentence: its first letter in lower case.
fn inline(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn lines(figures: &Figures<'_>, lang: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for s in &figures.assessment.stages {
        let key = stage_key(s.stage);
        let per_station = figures
            .coverage
            .iter()
            .find(|c| c.stage == s.stage && c.assessed_negatively.whole > 0)
            .filter(|_| s.stage != Stage::Voting);
        let counted = match per_station {
            Some(c) => {
                let noun = if s.stage == Stage::Tabulation {
                    "commission"
                } else {
                    "station"
                };
                counted(&c.assessed_negatively, noun, lang)
            }
            None if s.negative.whole > 0 => counted(&s.negative, key, lang),
            None => continue,
        };
        lines.push(
            t!(
                format!("statement.negative.{key}"),
                counted = counted,
                locale = lang
            )
            .into_owned(),
        );
    }
    for c in figures.coverage {
        if c.visited.part > 0 {
            lines.push(
                t!(
                    format!("statement.coverage.{}", stage_key(c.stage)),
                    visited = c.visited.part,
                    stations = c.visited.whole,
                    locale = lang
                )
                .into_owned(),
            );
        }
    }
    for a in figures.access.iter().filter(|a| a.region.is_none()) {
        if a.restricted.whole == 0 {
            continue;
        }
        let (key, noun) = match a.stage {
            None => ("all", "all"),
            Some(stage) => (stage_key(stage), stage_key(stage)),
        };
        lines.push(
            t!(
                format!("statement.restricted.{key}"),
                counted = counted(&a.restricted, noun, lang),
                locale = lang
            )
            .into_owned(),
        );
    }
    let said_how = figures
        .restrictions
        .iter()
        .map(|k| k.seen.whole)
        .max()
        .unwrap_or(0);
    let named: Vec<String> = figures
        .restrictions
        .iter()
        .filter(|k| k.seen.part > 0)
        .map(|k| format!("{} ({})", inline(k.label.get(lang)), k.seen.part))
        .collect();
    if said_how > 0 && !named.is_empty() {
        lines.push(
            t!(
                "statement.kinds",
                whole = said_how,
                kinds = named.join(", "),
                locale = lang
            )
            .into_owned(),
        );
    }
    for p in figures.protocols.iter().filter(|p| p.failed.part > 0) {
        let noun = if p.stage == Stage::Counting {
            "protocol_counting"
        } else {
            "protocol"
        };
        lines.push(
            t!(
                "statement.protocol",
                label = p.labels.get(lang),
                counted = counted(&p.failed, noun, lang),
                locale = lang
            )
            .into_owned(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::figures::StageAssessment;

    fn stage(stage: Stage, part: u64, whole: u64) -> StageAssessment {
        StageAssessment {
            stage,
            negative: Share::of(part, whole),
        }
    }

    fn report(stages: Vec<StageAssessment>) -> AssessmentReport {
        AssessmentReport {
            stages,
            regions: Vec::new(),
        }
    }

    #[test]
    fn lines_count_as_a_statement_does_in_three_languages() {
        // 60 counting checklists (two teams at some stations) from 53 distinct stations.
        let assessment = report(vec![
            stage(Stage::Counting, 20, 60),
            stage(Stage::Voting, 31, 412),
            stage(Stage::Opening, 1, 21),
        ]);
        let coverage = [CoverageFigure {
            region: String::new(),
            stage: Stage::Counting,
            visited: Share::of(52, 400),
            assessed_negatively: Share::of(18, 53),
        }];
        let figures = Figures {
            assessment: &assessment,
            access: &[],
            coverage: &coverage,
            protocols: &[],
            restrictions: &[],
        };
        let en = lines(&figures, "en");
        assert_eq!(
            en[..4],
            [
                "Counting was assessed negatively in 18 of 53 polling stations observed.",
                "Voting was assessed negatively in 31 of 412 observations (8%).",
                "Opening was assessed negatively in 1 of 21 polling stations observed.",
                "Counts were observed in 52 of the 400 polling stations on the list.",
            ]
        );
        let ru = lines(&figures, "ru");
        assert_eq!(
            ru[0],
            "Подсчёт голосов был оценён негативно в 18 из 53 наблюдавшихся участков."
        );
        assert_eq!(
            ru[2],
            "Открытие было оценено негативно в 1 из 21 наблюдавшегося участка."
        );
        let kk = lines(&figures, "kk");
        assert_eq!(
            kk[0],
            "Дауыстарды санау теріс бағаланды: 53 бақыланған учаскенің 18."
        );
        assert!(!en.iter().any(|l| l.contains("CI")), "no intervals: {en:?}");
    }

    #[test]
    fn the_language_follows_the_tag_with_english_as_the_fallback() {
        assert_eq!(language(Some("ru-KZ")), "ru");
        assert_eq!(language(Some("KK")), "kk");
        assert_eq!(language(Some("de")), "en");
        assert_eq!(language(None), "en");
    }
}
