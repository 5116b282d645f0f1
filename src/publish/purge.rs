//! Telling a CDN what changed: `serve --purge-hook COMMAND` runs the
//! operator's command after each sync that changed what readers see, with
//! the changed `Surrogate-Key`s as its arguments (`site` when every page
//! changed, as every page carries it). One `curl` to Fastly's or
//! Cloudflare's purge-by-key API, or a Varnish `xkey` ban, is then all a
//! deployment needs.
//!
//! The command runs through `sh -c`, in the background: a slow or failing
//! CDN never holds up publishing. Runs are one at a time, and changes that
//! come while one runs are merged into the next, so a burst of saves
//! becomes a few purges, not a queue of them. A failure is logged; pages
//! then stay stale at the CDN until their `s-maxage` runs out, which is
//! short (README, "Caching").

use std::time::Duration;

use tokio::sync::mpsc;

use crate::db::changes::Changes;

/// A hook that takes longer than this is stopped and logged.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where a sync's changes are sent for the hook.
#[derive(Debug, Clone)]
pub(crate) struct PurgeHook {
    changes: mpsc::UnboundedSender<Changes>,
}

impl PurgeHook {
    /// Starts the worker that runs `command`.
    pub(crate) fn start(command: String) -> Self {
        let (changes, mut received) = mpsc::unbounded_channel::<Changes>();
        tokio::spawn(async move {
            while let Some(mut pending) = received.recv().await {
                while let Ok(more) = received.try_recv() {
                    pending.merge(more);
                }
                run(&command, &keys(&pending)).await;
            }
        });
        Self { changes }
    }

    /// Has the hook told of `changes` (soon, in the background).
    pub(crate) fn changed(&self, changes: &Changes) {
        if !changes.is_empty() {
            // The worker only stops with the runtime.
            let _ = self.changes.send(changes.clone());
        }
    }
}

/// The hook's arguments: the keys changed, or `site` for everything.
fn keys(changes: &Changes) -> Vec<String> {
    if changes.is_everything() {
        vec!["site".to_string()]
    } else {
        changes.keys().iter().map(ToString::to_string).collect()
    }
}

/// Runs `command` with `keys` as `"$@"`, within `TIMEOUT`, and logs how it
/// went.
async fn run(command: &str, keys: &[String]) {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg("marquee-purge")
        .args(keys)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(TIMEOUT, child).await {
        Ok(Ok(output)) if output.status.success() => {
            tracing::info!(keys = %keys.join(" "), "purge hook ran");
        }
        Ok(Ok(output)) => tracing::warn!(
            status = %output.status,
            stderr = %String::from_utf8_lossy(&output.stderr).trim(),
            "purge hook failed; the CDN serves those pages until they expire"
        ),
        Ok(Err(error)) => tracing::warn!(%error, "purge hook could not run"),
        Err(_) => tracing::warn!(
            seconds = TIMEOUT.as_secs(),
            "purge hook took too long and was stopped"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::changes::SurrogateKey;

    #[test]
    fn everything_is_purged_as_the_key_every_page_carries() {
        assert_eq!(keys(&Changes::everything()), ["site"]);
        assert_eq!(
            keys(&Changes::of([
                SurrogateKey::Review("anora".into()),
                SurrogateKey::Catalog
            ])),
            ["catalog", "review:anora"]
        );
    }
}
