//! Regression tests, named after what broke.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ruralsync::sink::kafka::{self, Message, SourceProducer, Topics};

/// A `read_committed` reader was only told it reached the end when nothing at all
/// followed; while another source committed page after page into the shared checkpoint
/// topic, restoring checkpoints timed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_checkpoints_to_the_end_while_another_source_keeps_committing() {
    let prefix = unique_prefix("busy");
    let config = kafka_config(&prefix);
    let topics = Topics::new(&prefix);
    kafka::ensure_topics(&config, &topics, &[]).await.unwrap();
    let producer = SourceProducer::connect(&config, "busy").await.unwrap();
    let topic = topics.checkpoints();
    let checkpoint = move |n: u64| Message {
        topic: topic.clone(),
        key: "busy".into(),
        value: serde_json::to_vec(&serde_json::json!({
            "version": 1, "source": "busy", "position": null, "published_total": n,
            "dead_letters_total": 0, "committed_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap(),
        schema: "ruralsync.Checkpoint.json",
    };
    producer
        .publish_transaction(&[], &checkpoint(0))
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let writer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 1;
            while !stop.is_cancelled() {
                producer
                    .publish_transaction(&[], &checkpoint(n))
                    .await
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..5 {
        let started = Instant::now();
        let restored =
            kafka::load_checkpoints(&config, &topics.checkpoints(), Duration::from_secs(15))
                .await
                .unwrap();
        assert!(restored["busy"].published_total > 0);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }
    stop.cancel();
    let written = writer.await.unwrap();
    assert!(written > 5, "the writer kept committing: {written}");
}
