//! `eom receipts verify`: checks every receipt the server gave this laptop against the
//! server's public key saved at setup, so an observer can show what they delivered and when.

use std::io::Write;
use std::process::ExitCode;

use anyhow::anyhow;
use eom_shared::receipt::ReceiptKey;
use rust_i18n::t;
use serde_json::json;

use crate::store::LocalStore;
use crate::sync::RECEIPT_KEY_SETTING;

pub fn verify(
    store: &LocalStore,
    lang: &str,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let Some(public_key) = store.setting(RECEIPT_KEY_SETTING)? else {
        return Err(anyhow!(t!("receipts.no_key", locale = lang).into_owned()));
    };
    let key = ReceiptKey {
        algorithm: "ed25519".to_owned(),
        public_key,
    }
    .parse()
    .map_err(|e| anyhow!(e))?;
    let receipts = store.receipts()?;
    let bad: Vec<_> = receipts.iter().filter(|r| !r.verify(&key)).collect();
    if as_json {
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({
                "key": hex::encode(key.to_bytes()),
                "receipts": receipts.len(),
                "failed": bad.iter().map(|r| json!({"id": r.id, "revision": r.revision})).collect::<Vec<_>>(),
                "receipts_list": receipts,
            }),
        )?;
        writeln!(out)?;
    } else if bad.is_empty() {
        writeln!(
            out,
            "{}",
            t!("receipts.all_good", count = receipts.len(), locale = lang)
        )?;
    } else {
        writeln!(
            out,
            "{}",
            t!(
                "receipts.bad",
                count = bad.len(),
                total = receipts.len(),
                locale = lang
            )
        )?;
        for r in &bad {
            writeln!(out, "  {} rev {}", r.id, r.revision)?;
        }
    }
    Ok(if bad.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
