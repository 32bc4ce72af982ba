//! docs/consumers.md's copy-paste examples are the tested consumers: every code block
//! announced by `<!-- file: PATH -->` equals that file byte for byte, and both consumers
//! are there.

use std::path::Path;

#[test]
fn the_consumer_guide_shows_the_tested_consumers_verbatim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/consumers.md")).unwrap();
    let mut shown = Vec::new();
    for part in doc.split("<!-- file: ").skip(1) {
        let (path, rest) = part.split_once(" -->\n").expect("a marker on its own line");
        let block = rest
            .strip_prefix("```")
            .and_then(|b| b.split_once('\n'))
            .map(|(_, b)| b);
        let block = block.expect("a code block right after the marker");
        let code = &block[..block.find("\n```").expect("a closed code block") + 1];
        let file = std::fs::read_to_string(root.join(path)).unwrap();
        assert!(
            code == file,
            "docs/consumers.md's block of {path} differs from the file: copy the file into the doc"
        );
        shown.push(path.to_owned());
    }
    assert_eq!(
        shown,
        [
            "consumers/python/consume.py",
            "consumers/java/src/main/java/cn/ruralsync/consumer/Consume.java"
        ]
    );
}
