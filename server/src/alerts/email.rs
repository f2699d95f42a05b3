//! Alerts by e-mail through the mission's SMTP server: each critical finding to the core
//! team and to the coordinators of its region, in the language the mission chose.

use std::collections::BTreeMap;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rust_i18n::t;
use sha2::{Digest, Sha256};

use super::{Alert, Destination};

/// Who receives alerts: the core team every one, a region's coordinators their region's.
#[derive(Debug, Clone, Default)]
pub struct Recipients {
    pub core: Vec<Mailbox>,
    pub regions: BTreeMap<String, Vec<Mailbox>>,
}

impl Recipients {
    /// The addresses an alert from `region` goes to, each once.
    pub fn for_region(&self, region: &str) -> Vec<Mailbox> {
        let mut out: Vec<Mailbox> = self.core.clone();
        for m in self.regions.get(region).into_iter().flatten() {
            if !out.iter().any(|o| o.email == m.email) {
                out.push(m.clone());
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.core.is_empty() && self.regions.values().all(Vec::is_empty)
    }
}

/// An address as given on the command line.
pub fn parse_address(raw: &str) -> Result<Mailbox, String> {
    raw.trim().parse::<Mailbox>().map_err(|e| {
        format!("'{raw}' is not an e-mail address ({e}); give e.g. core@mission.example")
    })
}

/// `REGION=ADDRESS`, for `--alert-email-region`.
pub fn parse_region_address(raw: &str) -> Result<(String, Mailbox), String> {
    let (region, address) = raw.split_once('=').ok_or_else(|| {
        format!("'{raw}' is not REGION=ADDRESS; give e.g. North=north-desk@mission.example")
    })?;
    let region = region.trim();
    if region.is_empty() {
        return Err(format!(
            "'{raw}' names no region; give e.g. North=north-desk@mission.example"
        ));
    }
    Ok((region.to_owned(), parse_address(address)?))
}

pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    recipients: Recipients,
    lang: String,
    channel: String,
}

impl Email {
    /// `smtp_url` as lettre reads it: `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS), or `smtp://host:25` (a relay on the mission's
    /// own network).
    pub fn new(
        smtp_url: &str,
        from: Mailbox,
        recipients: Recipients,
        lang: &str,
    ) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("the SMTP address is not usable ({e}); give e.g. smtps://user:password@mail.example:465"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        // The outbox names the channel by a digest: the URL holds the SMTP password.
        let mut digest = Sha256::new();
        digest.update(smtp_url.as_bytes());
        digest.update(from.to_string().as_bytes());
        for m in &recipients.core {
            digest.update(m.email.to_string().as_bytes());
        }
        for (region, list) in &recipients.regions {
            digest.update(region.as_bytes());
            for m in list {
                digest.update(m.email.to_string().as_bytes());
            }
        }
        Ok(Self {
            transport,
            from,
            recipients,
            lang: lang.to_owned(),
            channel: format!("email:{}", &hex::encode(digest.finalize())[..16]),
        })
    }

    fn message(&self, alert: &Alert, to: &[Mailbox]) -> Result<Message, String> {
        let l = self.lang.as_str();
        let question = alert
            .question
            .as_ref()
            .map_or_else(|| alert.question_id.clone(), |q| q.get(l).to_owned());
        let subject = t!(
            "alert.subject",
            question = question,
            station = alert.station,
            region = alert.region,
            locale = l
        );
        let body = t!(
            "alert.body",
            question = question,
            station = alert.station,
            station_name = alert.station_name,
            region = alert.region,
            observer = alert.observer,
            observed_at = alert.observed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            submission = alert.submission_id,
            locale = l
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject.into_owned())
            .header(ContentType::TEXT_PLAIN);
        for m in to {
            builder = builder.to(m.clone());
        }
        builder
            .body(body.into_owned())
            .map_err(|e| format!("could not write the e-mail: {e}"))
    }
}

impl Destination for Email {
    fn channel(&self) -> &str {
        &self.channel
    }

    async fn deliver(&self, alert: &Alert) -> Result<(), String> {
        let to = self.recipients.for_region(&alert.region);
        if to.is_empty() {
            // Nobody is to hear of this region's findings: the dashboard shows them.
            return Ok(());
        }
        let message = self.message(alert, &to)?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("the SMTP server did not take the e-mail: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_goes_to_the_core_team_and_its_regions_coordinators_once_each() {
        let address = |a: &str| parse_address(a).expect("address");
        let recipients = Recipients {
            core: vec![address("core@m.example")],
            regions: BTreeMap::from([
                (
                    "North".to_owned(),
                    vec![address("north@m.example"), address("core@m.example")],
                ),
                ("South".to_owned(), vec![address("south@m.example")]),
            ]),
        };
        let to = |region: &str| {
            recipients
                .for_region(region)
                .into_iter()
                .map(|m| m.email.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(to("North"), ["core@m.example", "north@m.example"]);
        assert_eq!(to("East"), ["core@m.example"]);
        assert!(parse_region_address("North=north@m.example").is_ok());
        assert!(parse_region_address("north@m.example").is_err());
        assert!(parse_region_address("=north@m.example").is_err());
        assert!(parse_address("not an address").is_err());
    }
}
