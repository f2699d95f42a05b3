//! `eom-server contests ...` and `eom-server results ...`.

use anyhow::Context;
use serde_json::json;

use crate::cli::{ContestsCommand, ResultsCommand};
use crate::forms::Published;
use crate::store::Store;

pub fn contests(store: &dyn Store, command: ContestsCommand) -> anyhow::Result<()> {
    match command {
        ContestsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let contests = eom_shared::contest::Contests::from_json(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{} was not imported", file.display()))?;
            let (form, published) = super::contests::import(store, &contests.contests)
                .with_context(|| format!("{} was not imported", file.display()))?;
            match published {
                Published::AlreadyInstalled => println!(
                    "Form '{}' version {} copies these contests already; nothing changed.",
                    form.id, form.version
                ),
                Published::New | Published::NewVersion { .. } => println!(
                    "Published version {} of form '{}' with {} contest(s): {}. Laptops receive it on their next sync; checklists filled on earlier versions are still accepted.",
                    form.version,
                    form.id,
                    form.contests.len(),
                    form.contests
                        .iter()
                        .map(|c| format!("{} ({} candidates)", c.id, c.candidates.len()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
            println!("Next: eom-server results import FILE.csv once results are published.");
            Ok(())
        }
        ContestsCommand::List { json: as_json } => {
            let Some(form) = super::contests::current(store)? else {
                println!("No contests yet: eom-server contests import FILE.json");
                return Ok(());
            };
            for contest in &form.contests {
                let lines = eom_shared::contest::protocol_lines(&form, contest);
                if as_json {
                    println!(
                        "{}",
                        json!({
                            "id": contest.id,
                            "title": contest.title,
                            "form": form.id.as_str(),
                            "version": form.version,
                            "stations": contest.stations,
                            "lines": lines,
                        })
                    );
                } else {
                    let stations = contest.stations.as_ref().map_or_else(
                        || "every station".to_owned(),
                        |s| format!("{} stations", s.len()),
                    );
                    println!(
                        "{}  {}  ({stations})\n  lines: {}",
                        contest.id,
                        contest.title.get("en"),
                        lines.join(", ")
                    );
                }
            }
            Ok(())
        }
    }
}

pub fn results(store: &dyn Store, command: ResultsCommand) -> anyhow::Result<()> {
    match command {
        ResultsCommand::Import { file, published_at } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let source = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let (publication, figures) =
                super::official::import(store, &source, &bytes, published_at)
                    .with_context(|| format!("{} was not imported", file.display()))?;
            println!(
                "Imported {figures} published figures from {} as version {} of the results{}.",
                file.display(),
                publication.version,
                if publication.version > 1 {
                    " (earlier versions are kept; the comparison reads the newest figure per station and contest)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        ResultsCommand::Compare {
            json: as_json,
            lang,
        } => {
            let lang = crate::reports::statement::language(Some(&lang));
            let Some(report) = super::report(store, None, lang)? else {
                println!("No contests yet: eom-server contests import FILE.json");
                return Ok(());
            };
            if as_json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            println!("{}", super::statement_line(&report, lang));
            for d in &report.discrepancies {
                println!(
                    "{}  {}  {}  {}: copied {}, published {}  (checklist {}, {})",
                    d.station,
                    d.region,
                    d.contest,
                    d.line,
                    d.observed,
                    d.official,
                    d.submission_id,
                    d.team
                );
            }
            for u in &report.unpublished {
                println!("{}  {}  {}: not published", u.station, u.region, u.contest);
            }
            for d in &report.disagreements {
                let values: Vec<String> = d
                    .copies
                    .iter()
                    .map(|c| format!("{} {}", c.team, c.value))
                    .collect();
                println!(
                    "{}  {}  {}: the copies disagree ({})",
                    d.station,
                    d.contest,
                    d.line,
                    values.join(", ")
                );
            }
            for a in &report.official_arithmetic {
                println!("{}  {}: {}", a.station, a.contest, a.message);
            }
            Ok(())
        }
    }
}
