//! Persons' ID numbers and phones typed where they do not belong — in every free-text
//! field, as a record's native id, in a credit-code field, in a file's cells and in its
//! name — through the real binary into the real broker: every topic of the run, the
//! files left in `error/` and the log hold none of them in clear.

mod common;

use std::path::Path;

use axum::{routing::get, Json, Router};
use common::*;
use ruralsync::normalize::parse::resident_id_check_char;
use ruralsync::protect::Personal;
use serde_json::{json, Value};

const VILLAGE: &str = "140702100200";
const COLLECTIVE: &str = "N2140702MFW8Q9FK61";
/// GB 11643's test vector.
const P1: &str = "11010519491231002X";
const M1: &str = "13800138000";
const M2: &str = "15903546631";

/// A valid ID number: region, birth date, sequence, and the check character.
fn id_number(region: &str, born: &str, sequence: &str) -> String {
    let body = format!("{region}{born}{sequence}");
    format!("{body}{}", resident_id_check_char(&body).unwrap())
}

/// The redactor's marker for a number, computed here from the key the daemon runs with.
fn marker(kind: Personal, canonical: &str) -> String {
    let tag = match kind {
        Personal::IdNumber => "id",
        Personal::Phone => "phone",
    };
    format!("[{tag}:{}]", &protector().pseudonym(kind, canonical)[..16])
}

fn id_marker(id: &str) -> String {
    marker(Personal::IdNumber, id)
}

fn phone_marker(phone: &str) -> String {
    marker(Personal::Phone, phone)
}

/// A valid transaction of the exchange, its 受让方 a person (protected as a party).
fn transaction(id: &str, updated: &str) -> Value {
    json!({
        "项目编号": id, "项目名称": "鸣谦村耕地经营权出租", "交易品种": "农户承包土地经营权",
        "交易方式": "协议", "流转方式": "出租", "项目状态": "成交", "行政区划代码": VILLAGE,
        "坐落": "鸣谦村东坡", "面积": "10", "面积单位": "亩", "流转期限": "10年",
        "挂牌价(万元)": "1", "成交价(万元)": "1.2", "成交日期": "2023-03-31", "更新时间": updated,
        "转出方": "鸣谦村股份经济合作社", "转出方类型": "法人", "转出方证件号码": COLLECTIVE,
        "受让方": "王建军", "受让方类型": "自然人", "受让方证件号码": P1, "受让方联系电话": M1
    })
}

/// Run `ruralsync` with the debug log on (more lines to protect), stderr captured.
async fn run_debug(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(args)
        .env("RUST_LOG", "debug")
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
        .output()
        .await
        .unwrap()
}

fn assert_clean_log(out: &std::process::Output) {
    let stderr = text(&out.stderr);
    let found = clear_personal_numbers(&stderr);
    assert!(found.is_empty(), "{found:?} in the log:\n{stderr}");
}

#[test]
fn the_scan_sees_numbers_in_clear_and_not_digests() {
    let p2 = id_number("140702", "19800101", "001");
    for text in [
        "\"１１０１０５\\u{3000}１９４９１２３１\\u{3000}００２Ｘ\"".to_owned(),
        format!("名称{P1}"),
        format!("ID{P1}x"),
        "110105 19491231 002X".to_owned(),
        "１１０１０５１９４９１２３１００２Ｘ".to_owned(),
        format!("k:{p2}"),
        "tel 138-0013-8000".to_owned(),
        "+86 159 0354 6631".to_owned(),
    ] {
        assert!(!clear_personal_numbers(&text).is_empty(), "{text}");
    }
    for text in [
        id_marker(P1),
        protector().pseudonym(Personal::IdNumber, P1),
        "JZ140702202300001 140702100200 2023-03-31 08:00:00 12500000.00".to_owned(),
        format!("9{P1}"),
        "110105194912310021".to_owned(),
    ] {
        assert!(clear_personal_numbers(&text).is_empty(), "{text}");
    }
}

/// Regression (issue 10, points 1 and 3): the transaction family published an ID
/// number or phone in its project name, location and raw words, and an ID number used as
/// the native id in the record, its key and its `_fingerprints` key; a person's ID in a
/// credit-code field was quoted by the error, digits 9–17 included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_transactions_publish_no_persons_number_in_records_keys_or_dead_letters() {
    let p2 = id_number("140702", "19800101", "001");
    let p3 = id_number("140781", "19750903", "015");
    let mut h1 = transaction(&p2, "2024-01-01 10:00:09");
    h1["项目名称"] = json!(format!("王建军 {P1} 承包地流转"));
    h1["坐落"] = json!(format!(
        "鸣谦村 身份证号:110105 19491231 002X 电话138-0013-8000"
    ));
    h1["交易品种"] = json!(format!("土地ID{p3}"));
    h1["交易方式"] = json!(format!("协议 {M2}"));
    h1["流转方式"] = json!("出租１３８００１３８０００");
    h1["项目状态"] = json!(format!("成交 SFZ{p2}"));
    let mut h2 = transaction(M2, "2024-01-01 10:00:01");
    h2["项目名称"] = json!("１１０１０５１９４９１２３１００２Ｘ的耕地");
    let mut h3 = transaction(&format!("JZ-{p3}-01"), "2024-01-01 10:00:02");
    h3["项目名称"] = json!(format!("{}-{}-{}", &p2[..6], &p2[6..14], &p2[14..]));
    h3["坐落"] = json!("旧证110105491231002");
    // Dead letters: a bad term quoting a phone, under an ID as native id; a person's ID
    // in a credit-code field.
    let mut h4 = transaction(&p3, "2024-01-01 10:00:03");
    h4["流转期限"] = json!(format!("联系{M1}"));
    let mut h5 = transaction("JZ140702202300005", "2024-01-01 10:00:04");
    h5["受让方类型"] = json!("法人");
    h5["受让方证件号码"] = json!(p2);
    // Numbers that are not personal stay as they are.
    let h6 = transaction("JZ140702202300006", "2024-01-01 10:00:05");
    let mut h7 = transaction("JZ140702202300007", "2024-01-01 10:00:06");
    let land = "地块1407021002000100101 发包方14070210020001 2023年";
    h7["项目名称"] = json!(land);
    let list = vec![h2, h3, h4, h5, h6, h7, h1];
    let body = json!({"code": 0, "msg": "成功", "data": {"total": list.len(), "list": list}});
    let app = Router::new().route("/list", get(move || async move { Json(body.clone()) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/list", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("hostile-tx");
    let config = write_config(dir.path(), &prefix, "hostile", &url, 50);
    let config = config.to_str().unwrap();
    let out = run_debug(&["once", "--config", config]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("7 fetched, 5 published, 2 dead letters"),
        "{stdout}"
    );
    assert_clean_log(&out);

    let records = read_family(&prefix, "property_rights_transaction").await;
    let by_key = |key: &str| {
        records
            .iter()
            .find(|r| r.key == format!("hostile:{key}"))
            .unwrap_or_else(|| {
                panic!(
                    "no {key} in {:?}",
                    records.iter().map(|r| &r.key).collect::<Vec<_>>()
                )
            })
    };
    let h1 = by_key(&id_marker(&p2));
    assert_eq!(h1.str("native_id"), Some(id_marker(&p2)));
    assert_eq!(
        h1.str("project_name"),
        Some(format!("王建军 {} 承包地流转", id_marker(P1)))
    );
    assert_eq!(
        h1.str("location"),
        Some(format!(
            "鸣谦村 身份证号:{} 电话{}",
            id_marker(P1),
            phone_marker(M1)
        ))
    );
    assert_eq!(h1.str("category").as_deref(), Some("OTHER"));
    assert_eq!(
        h1.str("category_raw"),
        Some(format!("土地ID{}", id_marker(&p3)))
    );
    assert_eq!(
        h1.str("method_raw"),
        Some(format!("协议 {}", phone_marker(M2)))
    );
    assert_eq!(
        h1.str("transfer_type_raw"),
        Some(format!("出租{}", phone_marker(M1)))
    );
    assert_eq!(
        h1.str("status_raw"),
        Some(format!("成交 SFZ{}", id_marker(&p2)))
    );
    let h2 = by_key(&phone_marker(M2));
    assert_eq!(
        h2.str("project_name"),
        Some(format!("{}的耕地", id_marker(P1)))
    );
    let h3 = by_key(&format!("JZ-{}-01", id_marker(&p3)));
    assert_eq!(h3.str("project_name"), Some(id_marker(&p2)));
    assert_eq!(
        h3.str("location"),
        Some(format!("旧证{}", id_marker(P1))),
        "the old form pseudonymises like its upgrade"
    );
    assert_eq!(
        by_key("JZ140702202300006").str("native_id").as_deref(),
        Some("JZ140702202300006")
    );
    assert_eq!(
        by_key("JZ140702202300007").str("project_name").as_deref(),
        Some(land)
    );

    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 2, "{dead:?}");
    let term = dead
        .iter()
        .find(|d| d.str("reason").as_deref() == Some("bad_term"))
        .unwrap();
    assert_eq!(term.key, format!("hostile:{}", id_marker(&p3)));
    assert_eq!(term.str("native_id"), Some(id_marker(&p3)));
    let credit = dead
        .iter()
        .find(|d| d.str("reason").as_deref() == Some("bad_credit_code"))
        .unwrap();
    let message = credit.str("message").unwrap();
    assert!(
        message.contains("shaped like a resident ID number"),
        "{message}"
    );
    assert!(
        !message.contains(&p2[8..17]),
        "organisation code of an ID: {message}"
    );

    // The fingerprints are kept under the protected keys.
    let fingerprints = ruralsync::inspect::read_topic(
        &kafka_config(&prefix),
        &format!("{prefix}._fingerprints"),
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let keys: Vec<String> = fingerprints.into_iter().filter_map(|m| m.key).collect();
    for key in [
        format!("hostile:{}", id_marker(&p2)),
        format!("hostile:{}#dead_letter", id_marker(&p3)),
    ] {
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
    // The checkpoint's position is the last record's, whose id is a person's: its time
    // is kept, its id is not.
    let checkpoints = ruralsync::sink::kafka::load_checkpoints(
        &kafka_config(&prefix),
        &format!("{prefix}._checkpoints"),
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let position = checkpoints["hostile"].position.clone().unwrap();
    assert_eq!(position.native_id, "");
    assert_eq!(
        position.updated_at.to_rfc3339(),
        "2024-01-01T02:00:09+00:00"
    );

    // Read again from that second: nothing is published twice.
    let out = run_debug(&["once", "--config", config]).await;
    assert!(
        text(&out.stdout).contains("0 published, 0 dead letters"),
        "{}",
        text(&out.stdout)
    );
    assert_clean_log(&out);
    assert_no_personal_data(&prefix, 4).await;
}

/// Rows as a CSV file: the first row's fields are the header; every cell quoted.
fn csv(rows: &[Value]) -> String {
    let header: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = header
        .iter()
        .map(|h| quote(h))
        .collect::<Vec<_>>()
        .join(",")
        + "\r\n";
    for row in rows {
        let cells: Vec<String> = header
            .iter()
            .map(|h| quote(row[h.as_str()].as_str().unwrap_or_default()))
            .collect();
        out += &(cells.join(",") + "\r\n");
    }
    out
}

fn asset(id: &str) -> Value {
    json!({
        "资产编码": id, "资产名称": "村委会办公楼", "资产类别": "资产/固定资产/房屋及建筑物",
        "是否经营性": "否", "取得日期": "2015年6月30日", "原值": "1250000.00", "数量": "1栋",
        "计量单位": "栋", "面积": "860", "面积单位": "㎡", "坐落": "鸣谦村村委会院内",
        "行政区划代码": VILLAGE, "权证号": "晋(2016)榆次区不动产权第0001234号", "使用状态": "在用",
        "经营方式": "自营", "会计制度": "农村集体经济组织会计制度", "使用人": "张建国",
        "使用人类型": "自然人", "使用人证件号码": P1, "使用人联系电话": M1,
        "更新时间": "2024-03-01 10:30:00"
    })
}

fn contract(id: &str) -> Value {
    json!({
        "合同编号": id, "合同名称": "鸣谦村耕地承包合同", "合同类型": "承包合同",
        "甲方": "鸣谦村股份经济合作社", "甲方证件号码": COLLECTIVE,
        "乙方": "张建国", "乙方类型": "自然人", "乙方证件号码": P1, "乙方联系电话": M1,
        "标的": "东坡耕地", "面积": "50", "面积单位": "亩", "合同总金额": "25万元", "年租金": "500元/亩/年",
        "起始日期": "2020年1月1日", "终止日期": "2029/12/31", "合同期限": "10年",
        "已收金额": "100000", "欠收金额": "25000", "是否民主决策": "是", "是否进场交易": "否",
        "合同状态": "履行中", "行政区划代码": VILLAGE, "更新时间": "2024-03-01 10:30:00"
    })
}

fn file_drop_config(dir: &Path, prefix: &str, sources: &[(&str, &str, &Path)]) -> String {
    let mut config = format!(
        "[kafka]\nbootstrap_servers = \"{}\"\ntopic_prefix = \"{prefix}\"\ntransactional_id_prefix = \"{prefix}\"\ntopic_partitions = 2\n",
        bootstrap()
    );
    for (name, family, drop) in sources {
        config += &format!(
            "\n[sources.{name}]\ntype = \"file_drop\"\nfamily = \"{family}\"\nschedule = \"* * * * * *\"\n\n[sources.{name}.file]\ndir = \"{}\"\nmin_age_secs = 0\n",
            drop.display()
        );
    }
    let path = dir.join("ruralsync.toml");
    std::fs::write(&path, config).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Regression (issue 10, point 1, ledger families): every free-text field of a ledger
/// entry and a contract, and their native ids, hold persons' numbers; what is published
/// holds none in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ledger_files_publish_no_persons_number() {
    let p2 = id_number("140702", "19800101", "001");
    let p3 = id_number("140781", "19750903", "015");
    let mut a1 = asset(P1);
    a1["资产名称"] = json!(format!("张三{M1}仓库"));
    a1["资产类别"] = json!(format!("资产/固定资产/房屋{p2}"));
    a1["计量单位"] = json!(format!("间 {M2}"));
    a1["坐落"] = json!(format!("鸣谦村 {} {} {}", &p2[..6], &p2[6..14], &p2[14..]));
    a1["权证号"] = json!(format!("晋{p3}号"));
    a1["使用状态"] = json!(format!("出租给ID{P1}"));
    a1["经营方式"] = json!(format!("租赁{M1}"));
    a1["会计制度"] = json!(format!("2004 {p3}"));
    let mut a2 = asset("ZC140702100200-00002");
    a2["资产名称"] = json!("１３８００１３８０００的库房");
    let a3 = asset(M2);
    let mut c1 = contract(&p3);
    c1["合同名称"] = json!(format!("{P1}耕地承包合同"));
    c1["合同类型"] = json!(format!("承包 {M1}"));
    c1["标的"] = json!(format!("东坡耕地 联系人 +86 159 0354 6631 身份证 {p2}"));
    c1["合同状态"] = json!(format!("履行中{M2}"));
    c1["甲方"] = json!(format!("鸣谦村股份经济合作社 {M1}"));
    let dir = tempfile::tempdir().unwrap();
    let (assets, contracts) = (dir.path().join("assets"), dir.path().join("contracts"));
    std::fs::create_dir_all(&assets).unwrap();
    std::fs::create_dir_all(&contracts).unwrap();
    std::fs::write(assets.join("台账.csv"), csv(&[a1, a2, a3])).unwrap();
    std::fs::write(contracts.join("合同.csv"), csv(&[c1, contract("HT-2")])).unwrap();
    let prefix = unique_prefix("hostile-ledger");
    let config = file_drop_config(
        dir.path(),
        &prefix,
        &[
            ("assets", "collective_asset", &assets),
            ("contracts", "economic_contract", &contracts),
        ],
    );
    let out = run_debug(&["once", "--config", &config]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("assets: ok: 1 pages, 3 fetched, 3 published"),
        "{stdout}"
    );
    assert!(
        stdout.contains("contracts: ok: 1 pages, 2 fetched, 2 published"),
        "{stdout}"
    );
    assert_clean_log(&out);

    let ledger = read_family(&prefix, "collective_asset").await;
    let a1 = ledger
        .iter()
        .find(|a| a.key == format!("assets:{}", id_marker(P1)))
        .unwrap();
    assert_eq!(
        a1.str("asset_name"),
        Some(format!("张三{}仓库", phone_marker(M1)))
    );
    assert_eq!(
        a1.str("class_path"),
        Some(format!("资产/固定资产/房屋{}", id_marker(&p2)))
    );
    assert_eq!(
        a1.str("location"),
        Some(format!("鸣谦村 {}", id_marker(&p2)))
    );
    assert_eq!(
        a1.str("certificate_number"),
        Some(format!("晋{}号", id_marker(&p3)))
    );
    assert_eq!(
        a1.str("accounting_system_raw"),
        Some(format!("2004 {}", id_marker(&p3)))
    );
    assert!(ledger
        .iter()
        .any(|a| a.key == format!("assets:{}", phone_marker(M2))));
    assert!(ledger.iter().any(|a| a.key == "assets:ZC140702100200-00002"
        && a.str("asset_name") == Some(format!("{}的库房", phone_marker(M1)))));
    let contracts = read_family(&prefix, "economic_contract").await;
    let c1 = contracts
        .iter()
        .find(|c| c.key == format!("contracts:{}", id_marker(&p3)))
        .unwrap();
    assert_eq!(
        c1.str("subject"),
        Some(format!(
            "东坡耕地 联系人 {} 身份证 {}",
            phone_marker(M2),
            id_marker(&p2)
        ))
    );
    assert!(contracts.iter().any(|c| c.key == "contracts:HT-2"));
    assert_no_personal_data(&prefix, 5).await;
}

/// Regression (issue 10, point 2): refused files quoted cells and file names verbatim
/// in the dead letter's message and key, the checkpoint's manifest, `error/*.reason.txt`
/// and the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_files_leave_no_persons_number_in_dead_letters_checkpoint_reasons_or_log() {
    let p2 = id_number("140702", "19800101", "001");
    let p3 = id_number("140781", "19750903", "015");
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    // Named after a person, no header: its first row is a person.
    let person_row = format!("王建军,{P1},{M1}\r\n李四,{p2},{M2}\r\n");
    let named = format!("{P1}.csv");
    std::fs::write(drop.join(&named), &person_row).unwrap();
    // A stray column holding an ID and a phone.
    let mut stray = csv(&[asset("ZC1")]);
    stray = stray.replacen("\r\n", ",\"\"\r\n", 1);
    stray = stray.trim_end().to_owned() + &format!(",\"{p3} {M2}\"\r\n");
    std::fs::write(drop.join("台账-stray.csv"), &stray).unwrap();
    // The same, the ID typed with ideographic spaces (quoted as `\u{3000}` escapes).
    let spaced = stray.replace(
        &format!("{p3} {M2}"),
        "１１０１０５\u{3000}１９４９１２３１\u{3000}００２Ｘ",
    );
    std::fs::write(drop.join("台账-spaces.csv"), spaced).unwrap();
    let prefix = unique_prefix("hostile-refusals");
    let config = file_drop_config(
        dir.path(),
        &prefix,
        &[("refuse", "collective_asset", &drop)],
    );
    let out = run_debug(&["once", "--config", &config]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("3 dead letters"), "{stdout}");
    assert_clean_log(&out);

    // The operator's files keep their names in error/; what is written beside them does
    // not repeat what is in them.
    let error = drop.join("error");
    let reason = std::fs::read_to_string(error.join(format!("{named}.reason.txt"))).unwrap();
    assert!(error.join(&named).exists());
    assert!(
        reason.starts_with(&format!("{}.csv: no header row", id_marker(P1))),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "holds 王建军, {}, {})",
            id_marker(P1),
            phone_marker(M1)
        )),
        "{reason}"
    );
    let stray_reason = std::fs::read_to_string(error.join("台账-stray.csv.reason.txt")).unwrap();
    assert!(
        stray_reason.contains(&format!("{} {}", id_marker(&p3), phone_marker(M2))),
        "{stray_reason}"
    );
    let spaces_reason = std::fs::read_to_string(error.join("台账-spaces.csv.reason.txt")).unwrap();
    assert!(spaces_reason.contains(&id_marker(P1)), "{spaces_reason}");
    for text in [&reason, &stray_reason, &spaces_reason] {
        assert!(clear_personal_numbers(text).is_empty(), "{text}");
    }

    let dead = read_family(&prefix, "dead_letter").await;
    let mut keys: Vec<&str> = dead.iter().map(|d| d.key.as_str()).collect();
    keys.sort();
    let named_key = format!("refuse:{}.csv", id_marker(P1));
    assert_eq!(
        keys,
        [
            named_key.as_str(),
            "refuse:台账-spaces.csv",
            "refuse:台账-stray.csv"
        ]
    );
    let checkpoints = ruralsync::sink::kafka::load_checkpoints(
        &kafka_config(&prefix),
        &format!("{prefix}._checkpoints"),
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let manifest = checkpoints["refuse"].state.clone().unwrap().to_string();
    assert!(
        manifest.contains(&format!("{}.csv", id_marker(P1))),
        "{manifest}"
    );

    // The same content dropped again under the person's name: refused as before, its
    // reason naming the first refusal, redacted.
    std::fs::write(drop.join(&named), &person_row).unwrap();
    let out = run_debug(&["once", "--config", &config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean_log(&out);
    let again: Vec<String> = std::fs::read_dir(&error)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.starts_with(P1) && n.ends_with(".reason.txt") && *n != format!("{named}.reason.txt")
        })
        .collect();
    assert_eq!(again.len(), 1, "{again:?}");
    let second = std::fs::read_to_string(error.join(&again[0])).unwrap();
    assert!(second.contains("refused before as"), "{second}");
    assert!(clear_personal_numbers(&second).is_empty(), "{second}");
    assert_no_personal_data(&prefix, 3).await;
}

/// Regression (issue 10, point 12, the log): an upstream error body with newlines,
/// escape codes and an ID number forged log lines and printed the number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_error_body_cannot_forge_log_lines_or_leak_numbers() {
    let forged = "2024-01-01T00:00:00.000000Z ERROR ruralsync: forged";
    let body = format!("参数错误\n{forged} {P1}\r\u{1b}[31m电话 {M1}\u{1b}[0m");
    let app = Router::new().route(
        "/list",
        get(move || {
            let body = body.clone();
            async move { (axum::http::StatusCode::BAD_REQUEST, body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/list", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("hostile-log");
    let config = write_config(dir.path(), &prefix, "upstream", &url, 10);
    let config = config.to_str().unwrap();

    let out = run_debug(&["once", "--config", config]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("参数错误\\n2024-01-01T00:00:00.000000Z ERROR ruralsync: forged [id]\\r\\u{1b}[31m电话 [phone]"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr}"
    );
    let event = regex_like_event_start;
    for line in stderr.lines() {
        assert!(event(line), "not an event of its own: {line:?}");
        assert!(!line.starts_with(forged), "{line}");
    }
    assert_clean_log(&out);

    // JSON: one parsable object per line, masked too.
    let out = run_debug(&["--log-format", "json", "once", "--config", config]).await;
    let stderr = text(&out.stderr);
    assert!(stderr.contains("forged [id]"), "{stderr}");
    for line in stderr.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert_clean_log(&out);
}

/// The same through a path no source quotes: a dropped file's name, which the log
/// carries in several events (listing, refusal, move).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_name_cannot_forge_log_lines_or_leak_numbers() {
    let forged = "2024-01-01T00:00:00.000000Z ERROR ruralsync: forged";
    let name = format!("台账\n{forged} {P1}\u{1b}[31m\r.csv");
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    std::fs::write(drop.join(&name), format!("王建军,{P1},{M1}\r\n")).unwrap();
    let prefix = unique_prefix("hostile-name");
    let config = file_drop_config(dir.path(), &prefix, &[("named", "collective_asset", &drop)]);
    let out = run_debug(&["once", "--config", &config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        drop.join("error").join(&name).exists(),
        "moved under its own name"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("file=台账\\n{forged} [id]\\u{{1b}}[31m\\r.csv")),
        "{stderr}"
    );
    for line in stderr.lines() {
        assert!(
            regex_like_event_start(line),
            "not an event of its own: {line:?}"
        );
    }
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr}"
    );
    assert_clean_log(&out);
}

/// Whether a line starts as the text formatter starts an event:
/// `2024-01-02T03:04:05.678901Z  INFO …`.
fn regex_like_event_start(line: &str) -> bool {
    let Some((stamp, rest)) = line.split_once(' ') else {
        return false;
    };
    let stamp_ok = stamp.len() >= 20
        && stamp.ends_with('Z')
        && stamp.as_bytes()[4] == b'-'
        && stamp.as_bytes()[10] == b'T'
        && chrono::DateTime::parse_from_rfc3339(stamp).is_ok();
    let level = rest.trim_start();
    stamp_ok
        && ["TRACE ", "DEBUG ", "INFO ", "WARN ", "ERROR "]
            .iter()
            .any(|l| level.starts_with(l))
}
