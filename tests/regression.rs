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

/// Enabled sources whose families interleave in name order (an asset source, then a
/// transaction source, then another asset source) asked for the same record topic twice
/// in one CreateTopics request, and librdkafka crashed the process with a segmentation
/// fault before it logged anything. Every order of three sources of two families starts.
#[tokio::test]
async fn sources_of_interleaved_families_start_in_every_order() {
    let families = [
        [
            "collective_asset",
            "collective_asset",
            "property_rights_transaction",
        ],
        [
            "collective_asset",
            "property_rights_transaction",
            "collective_asset",
        ],
        [
            "property_rights_transaction",
            "collective_asset",
            "collective_asset",
        ],
    ];
    for order in families {
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix("interleaved");
        let mut toml = format!(
            "[kafka]\nbootstrap_servers = \"{}\"\ntopic_prefix = \"{prefix}\"\ntransactional_id_prefix = \"{prefix}\"\n",
            bootstrap()
        );
        for (i, family) in order.iter().enumerate() {
            let drop = dir.path().join(format!("drop{i}"));
            std::fs::create_dir(&drop).unwrap();
            toml += &format!(
                "\n[sources.s{i}]\ntype = \"file_drop\"\nfamily = \"{family}\"\nschedule = \"0 0 * * * *\"\n[sources.s{i}.file]\ndir = \"{}\"\n",
                drop.display()
            );
        }
        let path = dir.path().join("ruralsync.toml");
        std::fs::write(&path, toml).unwrap();
        let out = ruralsync(&["once", "--config", path.to_str().unwrap()]).await;
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "{order:?}: {:?}\n{stdout}\n{}",
            out.status,
            text(&out.stderr)
        );
        for i in 0..3 {
            assert!(stdout.contains(&format!("s{i}")), "{order:?}: {stdout}");
        }
    }
}
