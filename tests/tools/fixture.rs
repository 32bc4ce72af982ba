//! Every record family and a dead letter published by the real `ruralsync once`: the
//! transactions from the simulator, a contract (and a contract dead letter: received +
//! owed > total), a ledger entry and an organisation from a small HTTP server. Declared by
//! test files that also declare `common`.

use std::path::PathBuf;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};

use crate::common::{bootstrap, ruralsync, start_sim, text, unique_prefix, RunningSim};

const VILLAGE: &str = "140702100200";
const COLLECTIVE: &str = "N2140702MFW8Q9FK61";

/// The topics of a run, by family name (`dead_letter` included), and what each holds.
pub const TOPICS: &[(&str, usize)] = &[
    ("property_rights_transaction", TRANSACTIONS),
    ("economic_contract", 1),
    ("collective_asset", 1),
    ("collective_organisation", 1),
    ("dead_letter", 1),
];

const TRANSACTIONS: usize = 12;

fn page(list: Vec<Value>) -> Value {
    json!({"code": 0, "msg": "成功", "data": {"total": list.len(), "list": list}})
}

fn contract(id: &str, received: &str, owed: &str) -> Value {
    json!({
        "合同编号": id, "合同名称": "鸣谦村耕地承包合同", "合同类型": "承包合同",
        "甲方": "鸣谦村股份经济合作社", "甲方证件号码": COLLECTIVE,
        "乙方": "张建国", "乙方类型": "自然人", "乙方证件号码": "140702196805120317",
        "乙方联系电话": "13935401268", "标的": "东坡耕地", "面积": "50", "面积单位": "亩",
        "合同总金额": "25万元", "年租金": "500元/亩/年", "起始日期": "2020年1月1日",
        "终止日期": "2029/12/31", "合同期限": "10年", "已收金额": received, "欠收金额": owed,
        "是否民主决策": "是", "是否进场交易": "否", "合同状态": "履行中",
        "行政区划代码": VILLAGE, "更新时间": "2024-03-01 10:30:00"
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

/// A configured daemon and its upstreams (kept alive as long as this is).
pub struct Run {
    pub prefix: String,
    pub config: PathBuf,
    _dir: tempfile::TempDir,
    _sim: RunningSim,
}

impl Run {
    /// `<prefix>.<name>.v1`.
    pub fn topic(&self, name: &str) -> String {
        format!("{}.{name}.v1", self.prefix)
    }
}

/// A config for every family, with `extra` appended (a `[schema_registry]` table).
pub async fn configure(test: &str, extra: &str) -> Run {
    let app = Router::new()
        .route(
            "/contracts",
            get(|| async {
                Json(page(vec![
                    contract("HT-1", "100000", "250000"),
                    contract("HT-2", "100000", "25000.00"),
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
    let sim = start_sim(14, TRANSACTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(test);
    let mut text_config = format!(
        "[kafka]\nbootstrap_servers = \"{}\"\ntopic_prefix = \"{prefix}\"\ntransactional_id_prefix = \"{prefix}\"\ntopic_partitions = 1\n\n{extra}\n",
        bootstrap()
    );
    for (name, family, url) in [
        ("exchange", "property_rights_transaction", sim.url.clone()),
        (
            "contracts",
            "economic_contract",
            format!("{base}/contracts"),
        ),
        ("ledger", "collective_asset", format!("{base}/assets")),
        (
            "organisations",
            "collective_organisation",
            format!("{base}/organisations"),
        ),
    ] {
        text_config += &format!(
            "\n[sources.{name}]\ntype = \"http_json\"\nfamily = \"{family}\"\nschedule = \"0 0 3 * * *\"\n[sources.{name}.http]\nurl = \"{url}\"\n"
        );
    }
    let config = dir.path().join("ruralsync.toml");
    std::fs::write(&config, text_config).unwrap();
    Run {
        prefix,
        config,
        _dir: dir,
        _sim: sim,
    }
}

/// `ruralsync once` of `run`, asserted to succeed with what [`TOPICS`] says.
pub async fn publish(run: &Run) -> String {
    let out = ruralsync(&["once", "--config", run.config.to_str().unwrap()]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("contracts: ok: 1 pages, 2 fetched, 1 published, 1 dead letters"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "exchange: ok: 1 pages, {TRANSACTIONS} fetched, {TRANSACTIONS} published"
        )),
        "{stdout}"
    );
    stderr
}
