//! Alerts as an HTTP POST of JSON to a URL the mission chose (a chat bot, an on-call tool,
//! a script that sends SMS).

use sha2::{Digest, Sha256};

use super::{Alert, Destination};

pub struct Webhook {
    url: reqwest::Url,
    channel: String,
    client: reqwest::Client,
}

/// A webhook URL: http or https.
pub fn parse_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| {
        format!("'{raw}' is not a URL ({e}); give e.g. https://alerts.example.org/eom")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "'{raw}' is not an http or https URL; give e.g. https://alerts.example.org/eom"
        ));
    }
    Ok(url)
}

impl Webhook {
    pub fn new(url: reqwest::Url) -> anyhow::Result<Self> {
        // The outbox names the channel by a digest: a URL can hold the receiver's secret.
        let digest = Sha256::digest(url.as_str().as_bytes());
        let channel = format!("webhook:{}", &hex::encode(digest)[..16]);
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("eom-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            url,
            channel,
            client,
        })
    }
}

impl Destination for Webhook {
    fn channel(&self) -> &str {
        &self.channel
    }

    async fn deliver(&self, alert: &Alert) -> Result<(), String> {
        let response = self
            .client
            .post(self.url.clone())
            .header("Idempotency-Key", &alert.id)
            .json(alert)
            .send()
            .await
            .map_err(|e| format!("could not reach the webhook: {e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered {status}"))
        }
    }
}
