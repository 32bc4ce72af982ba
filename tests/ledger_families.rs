//! The "three assets" families — ledger entries, economic contracts, collective economic
//! organisations — each from its own source through the real pipeline into its own
//! topic, decoded with its schema file.

mod common;

use axum::{routing::get, Json, Router};
use common::*;
use serde_json::{json, Value};

const VILLAGE: &str = "140702100200"; // 榆次区乌金山镇鸣谦村
const COLLECTIVE: &str = "N2140702MFW8Q9FK61"; // its 股份经济合作社
const PERSON_ID: &str = "140702196805120317";
const PERSON_PHONE: &str = "13935401268";

fn page(list: Vec<Value>) -> Value {
    json!({"code": 0, "msg": "成功", "data": {"total": list.len(), "list": list}})
}

fn contract(id: &str, received: &str, owed: &str) -> Value {
    json!({
        "合同编号": id, "合同名称": "鸣谦村耕地承包合同", "合同类型": "承包合同",
        "甲方": "鸣谦村股份经济合作社", "甲方证件号码": COLLECTIVE,
        "乙方": "张建国", "乙方类型": "自然人", "乙方证件号码": PERSON_ID, "乙方联系电话": PERSON_PHONE,
        "标的": "东坡耕地", "面积": "50", "面积单位": "亩", "合同总金额": "25万元", "年租金": "500元/亩/年",
        "起始日期": "2020年1月1日", "终止日期": "2029/12/31", "合同期限": "10年",
        "已收金额": received, "欠收金额": owed, "是否民主决策": "是", "是否进场交易": "否",
        "合同状态": "履行中", "行政区划代码": VILLAGE, "更新时间": "2024-03-01 10:30:00"
    })
}

fn asset() -> Value {
    json!({
        "资产编码": "ZC140702-0001", "资产名称": "村委会办公楼", "资产类别": "资产/固定资产/房屋及建筑物",
        "是否经营性": "否", "取得日期": "2015年6月30日", "原值": "1,250,000.00", "累计折旧": "312500",
        "净值": "93.75万元", "数量": "1栋", "面积": "860", "面积单位": "㎡", "坐落": "鸣谦村村委会院内",
        "行政区划代码": VILLAGE, "权证号": "晋(2016)榆次区不动产权第0001234号", "使用状态": "在用",
        "经营方式": "自营", "会计制度": "农村集体经济组织会计制度", "更新时间": "2024-03-01 10:30:00"
    })
}

fn organisation() -> Value {
    json!({
        "统一社会信用代码": COLLECTIVE, "组织名称": "榆次区乌金山镇鸣谦村股份经济合作社",
        "住所": "山西省晋中市榆次区乌金山镇鸣谦村", "法定代表人": "王建军", "成员数": "1,236人",
        "户数": "412", "登记日期": "2019-11-20", "赋码日期": "2019/11/20", "更新时间": "2024-03-01 10:30:00"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_contract_and_organisation_sources_publish_exact_records() {
    let app = Router::new()
        .route(
            "/contracts",
            get(|| async {
                Json(page(vec![
                    contract("HT-1", "100000", "25000.00"),
                    contract("HT-2", "200000", "100000"),
                ]))
            }),
        )
        .route("/assets", get(|| async { Json(page(vec![asset()])) }))
        .route(
            "/organisations",
            get(|| async { Json(page(vec![organisation()])) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("ledgers");
    let mut text_config = format!(
        "[kafka]\nbootstrap_servers = \"{}\"\ntopic_prefix = \"{prefix}\"\ntransactional_id_prefix = \"{prefix}\"\n",
        bootstrap()
    );
    for (name, family, path) in [
        ("contracts", "economic_contract", "contracts"),
        ("ledger", "collective_asset", "assets"),
        ("organisations", "collective_organisation", "organisations"),
    ] {
        text_config += &format!(
            "\n[sources.{name}]\ntype = \"http_json\"\nfamily = \"{family}\"\nschedule = \"0 0 3 * * *\"\n[sources.{name}.http]\nurl = \"{base}/{path}\"\n"
        );
    }
    let config = dir.path().join("ruralsync.toml");
    std::fs::write(&config, text_config).unwrap();
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("contracts: ok: 1 pages, 2 fetched, 1 published, 1 dead letters"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ledger: ok: 1 pages, 1 fetched, 1 published, 0 dead letters"),
        "{stdout}"
    );
    assert!(
        stdout.contains("organisations: ok: 1 pages, 1 fetched, 1 published, 0 dead letters"),
        "{stdout}"
    );

    let p = protector();
    let party = |d: &Decoded, name: &str| -> std::collections::HashMap<String, Option<String>> {
        let inner = ruralsync::avro::decode::nullable(d.get(name)).unwrap();
        ruralsync::avro::decode::fields(inner)
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_owned(),
                    ruralsync::avro::decode::string(v).map(str::to_owned),
                )
            })
            .collect()
    };

    let contracts = read_family(&prefix, "economic_contract").await;
    assert_eq!(contracts.len(), 1);
    let c = &contracts[0];
    assert_eq!(c.key, "contracts:HT-1");
    assert_eq!(c.str("contract_type").as_deref(), Some("CONTRACTING"));
    assert_eq!(c.decimal("area_m2").as_deref(), Some("33333.33"));
    assert_eq!(c.decimal("total_amount_yuan").as_deref(), Some("250000.00"));
    assert_eq!(c.decimal("received_yuan").as_deref(), Some("100000.00"));
    assert_eq!(c.decimal("owed_yuan").as_deref(), Some("25000.00"));
    assert_eq!(
        c.decimal("annual_rent_yuan"),
        None,
        "a unit price is not a yearly total"
    );
    let unit_price = ruralsync::avro::decode::nullable(c.get("unit_price_yuan")).unwrap();
    assert_eq!(
        ruralsync::avro::decode::decimal(unit_price, 4)
            .unwrap()
            .to_string(),
        "500.0000"
    );
    assert_eq!(c.str("unit_price_basis").as_deref(), Some("亩/年"));
    assert_eq!(c.date("start_date").as_deref(), Some("2020-01-01"));
    assert_eq!(c.date("end_date").as_deref(), Some("2029-12-31"));
    // The term is the `Term` record the transaction family has too.
    let term = ruralsync::avro::decode::nullable(c.get("term")).unwrap();
    let term = ruralsync::avro::decode::fields(term);
    assert_eq!(ruralsync::avro::decode::string(term["kind"]), Some("FIXED"));
    assert_eq!(term["months"], &apache_avro::types::Value::Int(120));
    assert_eq!(term["days"], &apache_avro::types::Value::Int(0));
    assert_eq!(c.str("status").as_deref(), Some("IN_FORCE"));
    assert_eq!(c.str("region_code").as_deref(), Some(VILLAGE));
    let a = party(c, "party_a");
    assert_eq!(a["credit_code"].as_deref(), Some(COLLECTIVE));
    assert_eq!(a["organisation_kind"].as_deref(), Some("N2"));
    let b = party(c, "party_b");
    assert_eq!(b["kind"].as_deref(), Some("PERSON"));
    assert_eq!(b["name"].as_deref(), Some("张**"));
    assert_eq!(
        b["id_number_pseudonym"],
        Some(p.pseudonym(ruralsync::protect::Personal::IdNumber, PERSON_ID))
    );
    assert_eq!(
        b["phone_pseudonym"],
        Some(p.pseudonym(ruralsync::protect::Personal::Phone, PERSON_PHONE))
    );

    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "contracts:HT-2");
    assert_eq!(
        dead[0].str("reason").as_deref(),
        Some("inconsistent_values"),
        "{:?}",
        dead[0].str("message")
    );
    assert_eq!(dead[0].str("family").as_deref(), Some("economic_contract"));
    let raw = dead[0].str("raw_record").unwrap();
    assert!(
        !raw.contains(PERSON_ID) && !raw.contains(PERSON_PHONE) && !raw.contains("张建国"),
        "{raw}"
    );

    let assets = read_family(&prefix, "collective_asset").await;
    assert_eq!(assets.len(), 1);
    let a = &assets[0];
    assert_eq!(a.key, "ledger:ZC140702-0001");
    assert_eq!(a.str("top_class").as_deref(), Some("ASSETS"));
    assert_eq!(a.str("sub_class").as_deref(), Some("FIXED_ASSET"));
    assert_eq!(
        a.decimal("original_value_yuan").as_deref(),
        Some("1250000.00")
    );
    assert_eq!(
        a.decimal("accumulated_depreciation_yuan").as_deref(),
        Some("312500.00")
    );
    assert_eq!(a.decimal("net_value_yuan").as_deref(), Some("937500.00"));
    assert_eq!(a.decimal("area_m2").as_deref(), Some("860.00"));
    assert_eq!(a.date("acquired_date").as_deref(), Some("2015-06-30"));
    assert_eq!(a.str("operating_mode").as_deref(), Some("SELF_OPERATED"));
    assert_eq!(a.str("region_code").as_deref(), Some(VILLAGE));

    let organisations = read_family(&prefix, "collective_organisation").await;
    assert_eq!(organisations.len(), 1);
    let o = &organisations[0];
    assert_eq!(o.key, format!("organisations:{COLLECTIVE}"));
    assert_eq!(o.str("level").as_deref(), Some("VILLAGE"));
    assert_eq!(o.str("region_code").as_deref(), Some(VILLAGE));
    assert_eq!(o.str("legal_representative").as_deref(), Some("王**"));
    assert_eq!(
        ruralsync::avro::decode::nullable(o.get("member_count")),
        Some(&apache_avro::types::Value::Int(1236))
    );
}
