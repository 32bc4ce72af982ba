//! Committing a page: its transaction, retried with backoff through Kafka outages, the
//! producer replaced after an outcome in doubt, and the committed checkpoint read back to
//! tell whether the page landed.

use tokio_util::sync::CancellationToken;

use super::{SourceRunner, SyncError};
use crate::backoff::Backoff;
use crate::sink::kafka::{self, Checkpoint, Message, PublishError, Recovery};

impl SourceRunner {
    /// Publish one page's transaction, retrying through Kafka outages with backoff until
    /// it is committed, the producer is fenced, or shutdown interrupts the wait.
    ///
    /// After a failure whose outcome is in doubt, the producer is replaced and the
    /// committed checkpoint read back from Kafka: if it already covers this page, the page
    /// landed and is not published twice.
    pub(super) async fn commit(
        &mut self,
        messages: &[Message],
        checkpoint: &Message,
        next: &Checkpoint,
        page: u64,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        let mut backoff = Backoff::new(
            self.kafka.retry_backoff_initial,
            self.kafka.retry_backoff_max,
        );
        let mut reconnect = false;
        loop {
            let attempt = self.attempt(messages, checkpoint, next, reconnect);
            let result = attempt.await;
            if let Some(observer) = &self.observer {
                let failure = result.as_ref().err().map(PublishError::recovery);
                observer.transaction(&self.config.name, failure);
            }
            let error = match result {
                Ok(landed_before) => {
                    if backoff.attempt() > 0 {
                        tracing::info!(source = %self.config.name, page, attempts = backoff.attempt() + 1, landed_before, "Kafka is back; page committed");
                    }
                    return Ok(());
                }
                Err(e) => e,
            };
            match error.recovery() {
                Recovery::Fenced => return Err(self.fenced()),
                // Publishing the same messages again fails the same way.
                Recovery::TooLarge | Recovery::Stop => return Err(SyncError::Publish(error)),
                Recovery::Reconnect => reconnect = true,
                Recovery::Retry => {}
            }
            let delay = backoff.next_delay();
            tracing::warn!(
                source = %self.config.name,
                page,
                attempt = backoff.attempt(),
                retry_in_ms = delay.as_millis() as u64,
                replace_producer = reconnect,
                error = %error,
                "publishing a page failed; nothing of it is visible, it will be published again"
            );
            tokio::select! {
                () = stop.cancelled() => return Err(SyncError::Interrupted { source_name: self.config.name.clone() }),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// One try at publishing the page's transaction, the producer replaced first after
    /// an outcome in doubt; `true` when the page turns out to have landed before.
    async fn attempt(
        &mut self,
        messages: &[Message],
        checkpoint: &Message,
        next: &Checkpoint,
        reconnect: bool,
    ) -> Result<bool, PublishError> {
        if reconnect {
            self.producer.reconnect().await?;
            if self.page_landed(next).await? {
                return Ok(true);
            }
        }
        self.producer
            .publish_transaction(messages, checkpoint)
            .await
            .map(|()| false)
    }

    /// Another instance took this source's transactional id over.
    fn fenced(&self) -> SyncError {
        SyncError::Fenced {
            source_name: self.config.name.clone(),
            transactional_id: format!(
                "{}-{}",
                self.kafka.transactional_id_prefix, self.config.name
            ),
        }
    }

    /// Whether the checkpoint committed in Kafka is the one `next` would write. The
    /// running totals grow with every committed page, and the source's state moves with
    /// pages that publish nothing (a file moved, a full pull's next page), so together
    /// they tell this page's checkpoint from the previous one even when the position did
    /// not move.
    async fn page_landed(&self, next: &Checkpoint) -> Result<bool, PublishError> {
        let mut all = kafka::load_checkpoints(
            &self.kafka,
            &self.topics.checkpoints(),
            self.kafka.transaction_timeout,
        )
        .await?;
        Ok(all.remove(&self.config.name).is_some_and(|c| {
            (
                c.position.as_ref(),
                c.published_total,
                c.dead_letters_total,
                c.state.as_ref(),
            ) == (
                next.position.as_ref(),
                next.published_total,
                next.dead_letters_total,
                next.state.as_ref(),
            )
        }))
    }
}
