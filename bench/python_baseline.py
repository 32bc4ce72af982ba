#!/usr/bin/env python3
"""The hand-written pipeline `scripts/bench` compares ruralsync with (issue 5).

What a competent engineer would write in an afternoon with the usual libraries, doing the
same work on the same data with the same Kafka settings:

    requests.Session (keep-alive) → json (Decimal for numbers, so digits stay exact)
    → normalise the same fields the same way (NFKC on numeric/unit text; 万元 → 元 exact
      with Decimal, refusing sub-fen values; area → m² with the one half-even rounding;
      deal dates in the five published forms; 更新时间 as Asia/Shanghai → UTC;
      12-digit village code checked against the bundled 2023 table, 140726 → 140703;
      vocabularies → enum symbols with the raw word kept; the two parties: kind from
      the type word or the identifier's shape, credit codes and resident ID numbers
      with their check characters verified, ID numbers and phones as HMAC-SHA256
      pseudonyms under RURALSYNC_PII_KEY, persons' names masked)
    → fastavro.schemaless_writer with the schema file from schemas/, behind the
      single-object header (C3 01 + CRC-64-AVRO fingerprint, little-endian)
    → confluent_kafka transactional producer (acks=all, idempotence, linger.ms,
      compression), one transaction per page: the page's records (bad ones as dead
      letters) + a JSON checkpoint, as ruralsync commits a page. With --fingerprints,
      change detection as ruralsync does it: the first 8 bytes of SHA-256 of the datum
      without its last field (the update time), kept in a dict, published before each
      record to a compacted `_fingerprints` topic in the same transaction, and a record
      whose fingerprint did not change is not published again.

Pages are fetched one after another (no prefetch thread): the simple way. Schema fields
this baseline does not compute are written with their schema default; the `run` output
lists them, so a reader knows what was left out.

Subcommands:
    run     the pipeline; prints one JSON line of counts, bytes and seconds
    verify  decode the first messages of two topics (ruralsync's and this one's) and
            compare, key by key, the fields this baseline computes
"""

import argparse
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import sys
import time
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
CENT = Decimal("0.01")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Upstream field names (ruralsync's defaults for this family).
F_ID, F_NAME, F_CATEGORY, F_METHOD = "项目编号", "项目名称", "交易品种", "交易方式"
F_TRANSFER, F_STATUS, F_REGION, F_LOCATION = "流转方式", "项目状态", "行政区划代码", "坐落"
F_AREA, F_AREA_UNIT, F_TERM = "面积", "面积单位", "流转期限"
F_LISTING, F_DEAL, F_DEAL_DATE, F_UPDATED = "挂牌价(万元)", "成交价(万元)", "成交日期", "更新时间"
PARTIES = {
    "transferor": ("转出方", "转出方类型", "转出方证件号码", "转出方联系电话"),
    "transferee": ("受让方", "受让方类型", "受让方证件号码", "受让方联系电话"),
}
PERSON_WORDS = {"自然人", "个人", "农户"}
ORGANISATION_WORDS = {"法人", "组织", "企业", "单位", "法人或其他组织", "集体经济组织"}
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECKS = "10X98765432"
PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
             "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
             "63", "64", "65", "71", "81", "82", "83", "91"}
DOMAIN_ID, DOMAIN_PHONE = b"ruralsync/v1/id-number\0", b"ruralsync/v1/phone\0"

# Vocabularies: platform word → Avro symbol (the same lists as src/normalize/vocab.rs).
CATEGORY = {
    **dict.fromkeys(["农户承包土地经营权", "土地经营权", "承包土地经营权"], "LAND_MANAGEMENT_RIGHT"),
    "林权": "FOREST_RIGHT",
    **dict.fromkeys(["四荒使用权", '"四荒"使用权', "“四荒”使用权", "四荒地使用权"], "FOUR_WASTELANDS_USE_RIGHT"),
    **dict.fromkeys(["农村集体经营性资产", "集体经营性资产"], "COLLECTIVE_OPERATING_ASSET"),
    "农业生产设施设备": "AGRICULTURAL_FACILITY_EQUIPMENT",
    "小型水利设施使用权": "SMALL_WATER_CONSERVANCY_USE_RIGHT",
    "农业类知识产权": "AGRICULTURAL_INTELLECTUAL_PROPERTY",
    "养殖水面经营权": "AQUACULTURE_WATER_SURFACE_RIGHT",
    "农民住房财产权": "FARMER_HOUSING_PROPERTY_RIGHT",
    "集体资产股权": "COLLECTIVE_ASSET_EQUITY",
}
METHOD = {
    **dict.fromkeys(["协议", "协商", "协议转让"], "AGREEMENT"),
    **dict.fromkeys(["公开竞价", "网络竞价", "现场竞价", "竞价"], "PUBLIC_BIDDING"),
    "拍卖": "AUCTION",
    "招标": "TENDER",
    "挂牌": "LISTING",
}
TRANSFER = {
    **dict.fromkeys(["出租", "租赁"], "LEASE"),
    **dict.fromkeys(["转让", "出让"], "TRANSFER"),
    "出售": "SALE",
    "入股": "SHARE_CONTRIBUTION",
    "抵押": "MORTGAGE",
    "互换": "EXCHANGE",
}
STATUS = {
    "立项": "INITIATED",
    **dict.fromkeys(["审核", "待审核", "审核中"], "UNDER_REVIEW"),
    **dict.fromkeys(["挂牌", "公告", "挂牌中"], "LISTED"),
    **dict.fromkeys(["报名", "保证金"], "REGISTRATION"),
    **dict.fromkeys(["竞价", "竞价中"], "BIDDING"),
    **dict.fromkeys(["成交", "结果公示", "已成交"], "DEAL_CONCLUDED"),
    **dict.fromkeys(["合同签订", "已签约"], "CONTRACT_SIGNED"),
    **dict.fromkeys(["鉴证", "已鉴证"], "CERTIFIED"),
    "流拍": "FAILED_NO_BID",
    "变更": "CHANGED",
    "中止": "SUSPENDED",
    **dict.fromkeys(["终止", "撤销"], "TERMINATED"),
}

# m² per unit × 15 (亩 = 10000/15 m² is not a finite decimal: divide by 15 once, at the end).
AREA_NUMERATOR = {
    "亩": Decimal(10_000), "分": Decimal(1_000),
    "公顷": Decimal(150_000), "ha": Decimal(150_000), "hm2": Decimal(150_000),
    "平方米": Decimal(15), "平米": Decimal(15), "m2": Decimal(15),
    "平方公里": Decimal(15_000_000), "平方千米": Decimal(15_000_000), "km2": Decimal(15_000_000),
}
RETIRED_COUNTIES = {"140726": "140703"}

# Fields of the record schema this baseline computes (the rest get their defaults).
COMPUTED = [
    "key", "source", "native_id", "project_name", "category", "category_raw", "method",
    "method_raw", "transfer_type", "transfer_type_raw", "status", "status_raw",
    "region_code", "county_code", "location", "area_m2", "area_published",
    "area_unit_published", "term_published", "listing_price_yuan", "deal_price_yuan",
    "deal_date", "source_updated_at", "transferor", "transferee",
]


class Rejected(Exception):
    def __init__(self, field, reason, message):
        super().__init__(message)
        self.field, self.reason, self.message = field, reason, message


def text_of(value):
    """The text of a JSON scalar (numbers exactly as written); None for null or blank."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (int, Decimal)):
        return str(value)
    return None


def compact(text):
    """Numeric, code and unit text in normal form: NFKC, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def decimal_of(text, field):
    t = compact(text).replace(",", "")
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise Rejected(field, "bad_amount", f"{text!r} is not a decimal number") from None
    if not d.is_finite():
        raise Rejected(field, "bad_amount", f"{text!r} is not a decimal number")
    return d


def amount_yuan(text, field):
    t = compact(text)
    factor = Decimal(10_000)  # the field's unit: 万元
    if t.endswith("万元"):
        t = t[:-2]
    elif t.endswith("元"):
        t, factor = t[:-1], Decimal(1)
    value = decimal_of(t, field) * factor
    if value < 0:
        raise Rejected(field, "bad_amount", f"{text!r} is negative")
    yuan = value.normalize()
    if yuan.as_tuple().exponent < -2:
        raise Rejected(field, "bad_amount", f"{text!r} is finer than a fen")
    return yuan.quantize(CENT)


def area_m2(text, unit):
    numerator = AREA_NUMERATOR.get(compact(unit).lower())
    if numerator is None:
        raise Rejected(F_AREA, "bad_area", f"unknown area unit {unit!r}")
    value = decimal_of(text, F_AREA)
    if value < 0:
        raise Rejected(F_AREA, "bad_area", f"{text!r} is negative")
    return (value * numerator / 15).quantize(CENT, rounding=ROUND_HALF_EVEN)


def date_of(text):
    t = unicodedata.normalize("NFKC", text).strip().split(" ")[0].split("T")[0]
    try:
        if len(t) == 8 and t.isdigit():
            return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
        for sep in "/.年月":
            t = t.replace(sep, "-")
        parts = t.removesuffix("日").split("-")
        if len(parts) == 3:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        pass
    raise Rejected(F_DEAL_DATE, "bad_date", f"{text!r} is not a date")


def local_timestamp(text):
    text = text.strip()
    try:
        # fromisoformat reads exactly "%Y-%m-%d %H:%M:%S" (19 characters) many times
        # faster than strptime; anything else goes through strptime for its error.
        if len(text) == 19 and text[10] == " ":
            naive = dt.datetime.fromisoformat(text)
        else:
            naive = dt.datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise Rejected(F_UPDATED, "bad_timestamp", f"{text!r} does not match {TIME_FORMAT}") from None
    return naive.replace(tzinfo=SHANGHAI).astimezone(UTC)


def load_villages(path):
    with open(path, encoding="utf-8") as f:
        return {row["code"] for row in csv.DictReader(f) if row["level"] == "village"}


def resolve_village(code, villages):
    if len(code) != 12 or not code.isdigit():
        return None
    if code in villages:
        return code
    mapped = RETIRED_COUNTIES.get(code[:6])
    if mapped and mapped + code[6:] in villages:
        return mapped + code[6:]
    return None


def required(record, field):
    text = text_of(record.get(field))
    if text is None:
        raise Rejected(field, "missing_field", f"field {field!r} is missing, null or empty")
    return text


def normalise(source, record, villages, template, protector):
    native_id = required(record, F_ID)
    updated = local_timestamp(required(record, F_UPDATED))
    region_text = required(record, F_REGION)
    region = resolve_village(region_text, villages)
    if region is None:
        raise Rejected(F_REGION, "unknown_region", f"{region_text!r} is not a village code")
    category_raw = required(record, F_CATEGORY)
    status_raw = required(record, F_STATUS)
    method_raw = text_of(record.get(F_METHOD))
    transfer_raw = text_of(record.get(F_TRANSFER))
    area_published = text_of(record.get(F_AREA))
    area_unit = text_of(record.get(F_AREA_UNIT))
    if area_published is not None and area_unit is None:
        raise Rejected(F_AREA_UNIT, "missing_field", "area is published without its unit")
    area = area_m2(area_published, area_unit) if area_published is not None else None
    deal_date_text = text_of(record.get(F_DEAL_DATE))
    listing = text_of(record.get(F_LISTING))
    deal = text_of(record.get(F_DEAL))
    t = dict(template)
    t.update(
        key=f"{source}:{native_id}",
        source=source,
        native_id=native_id,
        project_name=required(record, F_NAME),
        category=CATEGORY.get(category_raw, "OTHER"),
        category_raw=category_raw,
        method=None if method_raw is None else METHOD.get(method_raw, "OTHER"),
        method_raw=method_raw,
        transfer_type=None if transfer_raw is None else TRANSFER.get(transfer_raw, "OTHER"),
        transfer_type_raw=transfer_raw,
        status=STATUS.get(status_raw, "OTHER"),
        status_raw=status_raw,
        region_code=region,
        county_code=region[:6],
        location=text_of(record.get(F_LOCATION)),
        area_m2=area,
        area_published=area_published,
        area_unit_published=area_unit,
        term_published=text_of(record.get(F_TERM)),
        listing_price_yuan=None if listing is None else amount_yuan(listing, F_LISTING),
        deal_price_yuan=None if deal is None else amount_yuan(deal, F_DEAL),
        deal_date=None if deal_date_text is None else date_of(deal_date_text),
        transferor=party(record, PARTIES["transferor"], protector),
        transferee=party(record, PARTIES["transferee"], protector),
        source_updated_at=updated,
    )
    return t, (updated, native_id)


def varint_len(n):
    """Bytes of Avro's zig-zag varint encoding of the long n."""
    z = (n << 1) ^ (n >> 63)
    length = 1
    while z >= 0x80:
        z >>= 7
        length += 1
    return length


def position(record):
    try:
        return (local_timestamp(required(record, F_UPDATED)), required(record, F_ID))
    except Rejected:
        return None


# --- parties ---------------------------------------------------------------------------

def credit_code(text):
    t = compact(text).replace("-", "").upper()
    if len(t) != 18 or any(c not in CREDIT_VALUE for c in t) or not t[2:8].isdigit():
        return None
    org = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(t[8:16], ORG_WEIGHTS))
    org_check = {10: "X", 11: "0"}.get(11 - org % 11, str(11 - org % 11))
    if t[16] != org_check:
        return None
    total = sum(CREDIT_VALUE[c] * w for c, w in zip(t[:17], CREDIT_WEIGHTS))
    if t[17] != CREDIT_ALPHABET[(31 - total % 31) % 31]:
        return None
    return t


def resident_id(text):
    t = compact(text).replace("-", "").upper()
    if len(t) == 15 and t.isdigit():
        body = t[:6] + "19" + t[6:]
    elif len(t) == 18 and t[:17].isdigit() and (t[17].isdigit() or t[17] == "X"):
        body = t[:17]
    else:
        return None
    if body[:2] not in PROVINCES:
        return None
    try:
        year = int(body[6:10])
        if not 1900 <= year <= 2199:
            return None
        dt.date(year, int(body[10:12]), int(body[12:14]))
    except ValueError:
        return None
    check = ID_CHECKS[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]
    if len(t) == 18 and t[17] != check:
        return None
    return body + check


def phone_digits(text):
    t = compact(text)
    d = t.replace("-", "")
    for prefix in ("+86", "0086"):
        if d.startswith(prefix):
            d = d[len(prefix):]
            break
    else:
        if d.startswith("86") and len(d) == 13:
            d = d[2:]
    if len(d) == 11 and d[0] == "1" and d[1] in "3456789" and d.isdigit():
        return d
    if t.startswith("("):
        area, sep, local = t[1:].partition(")")
        if not sep:
            return None
        t = f"{area}-{local}"
    area, sep, local = t.partition("-")
    if not sep:
        return t if 10 <= len(t) <= 12 and t.startswith("0") and t.isdigit() else None
    if 3 <= len(area) <= 4 and area.startswith("0") and 7 <= len(local) <= 8 and area.isdigit() and local.isdigit():
        return area + local
    return None


class Protector:
    def __init__(self, key):
        self.mac = hmac.new(key, digestmod=hashlib.sha256)

    def pseudonym(self, domain, canonical):
        mac = self.mac.copy()
        mac.update(domain)
        mac.update(canonical.encode())
        return mac.hexdigest()


def party(record, fields, protector):
    name_f, kind_f, id_f, phone_f = fields
    name, kind_word = text_of(record.get(name_f)), text_of(record.get(kind_f))
    ident, phone = text_of(record.get(id_f)), text_of(record.get(phone_f))
    if name is None and ident is None and phone is None:
        return None
    kind = "UNKNOWN"
    if kind_word is not None:
        w = kind_word.strip()
        kind = "PERSON" if w in PERSON_WORDS else "ORGANISATION" if w in ORGANISATION_WORDS else "UNKNOWN"
    if kind == "UNKNOWN" and ident is not None:
        if credit_code(ident):
            kind = "ORGANISATION"
        elif resident_id(ident):
            kind = "PERSON"
    p = {"kind": kind, "name": None, "credit_code": None, "organisation_kind": None,
         "id_number_pseudonym": None, "phone_pseudonym": None}
    if ident is not None:
        if kind == "ORGANISATION":
            code = credit_code(ident)
            if code is None:
                raise Rejected(id_f, "bad_credit_code", "is not a valid unified social credit code")
            p["credit_code"], p["organisation_kind"] = code, code[:2]
        elif kind == "PERSON":
            number = resident_id(ident)
            if number is None:
                raise Rejected(id_f, "bad_id_number", "is not a valid resident ID number")
            p["id_number_pseudonym"] = protector.pseudonym(DOMAIN_ID, number)
        else:
            raise Rejected(id_f, "bad_id_number", "is neither a credit code nor a resident ID number")
    if kind == "ORGANISATION":
        p["name"] = name
    elif name is not None:
        n = name.strip()
        p["name"] = n[0] + "*" * (len(n) - 1) if n else None
    if phone is not None:
        digits = phone_digits(phone)
        if digits is None:
            raise Rejected(phone_f, "bad_phone", "is not a mainland mobile or landline number")
        p["phone_pseudonym"] = protector.pseudonym(DOMAIN_PHONE, digits)
    return p


# --- Avro single-object encoding -------------------------------------------------------

def crc64_avro_table():
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    return empty, table


def single_object_header(parsing_canonical_form):
    fp, table = crc64_avro_table()
    for b in parsing_canonical_form.encode("utf-8"):
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return b"\xc3\x01" + fp.to_bytes(8, "little")


class AvroWriter:
    def __init__(self, path):
        import fastavro
        from fastavro.schema import to_parsing_canonical_form

        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        self.schema = fastavro.parse_schema(raw)
        self.header = single_object_header(to_parsing_canonical_form(self.schema))
        self.name = raw["namespace"] + "." + raw["name"]
        self.defaults = {f["name"]: f.get("default") for f in raw["fields"]}
        self._write = fastavro.schemaless_writer

    def encode(self, record):
        buf = io.BytesIO()
        buf.write(self.header)
        self._write(buf, self.schema, record)
        return buf.getvalue()


# --- run -------------------------------------------------------------------------------

def create_topics(bootstrap, names_partitions):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [
        NewTopic(name, num_partitions=n, replication_factor=1, config=config)
        for name, n, config in names_partitions
    ]
    for name, future in admin.create_topics(topics, operation_timeout=30).items():
        try:
            future.result()
        except Exception as e:  # noqa: BLE001 — an existing topic is fine
            if "TOPIC_ALREADY_EXISTS" not in str(e) and "already exists" not in str(e):
                raise


def run(args):
    import requests
    from confluent_kafka import KafkaException, Producer

    setup_started = time.perf_counter()
    records_w = AvroWriter(args.schema)
    dead_w = AvroWriter(args.dead_letter_schema)
    villages = load_villages(args.divisions)
    key = os.environ.get("RURALSYNC_PII_KEY", "")
    if len(key.encode()) < 32:
        raise SystemExit("set RURALSYNC_PII_KEY to the pseudonym key ruralsync uses (at least 32 bytes)")
    protector = Protector(key.encode())
    template = {name: records_w.defaults.get(name) for name in records_w.defaults}
    left_default = [f for f in records_w.defaults if f not in COMPUTED]
    records_topic = f"{args.prefix}.property_rights_transaction.v1"
    dead_topic = f"{args.prefix}.dead_letter.v1"
    checkpoint_topic = f"{args.prefix}._checkpoints"
    fingerprint_topic = f"{args.prefix}._fingerprints"
    compacted = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
    create_topics(
        args.bootstrap,
        [
            (records_topic, args.partitions, {}),
            (dead_topic, args.partitions, {}),
            (checkpoint_topic, 1, compacted),
        ] + ([(fingerprint_topic, 1, compacted)] if args.fingerprints else []),
    )
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "transactional.id": f"{args.prefix}-{args.source}",
        "transaction.timeout.ms": args.transaction_timeout_ms,
        "linger.ms": args.linger_ms,
        "compression.type": args.compression,
    })
    producer.init_transactions(args.transaction_timeout_ms / 1000)
    session = requests.Session()
    setup_secs = time.perf_counter() - setup_started

    started = time.perf_counter()
    header_records = [("ruralsync.schema", records_w.name.encode())]
    header_dead = [("ruralsync.schema", dead_w.name.encode())]
    header_checkpoint = [("ruralsync.schema", b"ruralsync.Checkpoint.json")]
    header_fingerprint = [("ruralsync.schema", b"ruralsync.Fingerprint.u64be")]
    known = {}  # record key → fingerprint of what was last published
    unchanged = 0
    pages = fetched = published = dead = json_bytes = produced_bytes = 0
    cursor = None  # (updated_at, native_id) of the last record published
    page = 1

    def produce(topic, key, value, headers):
        nonlocal produced_bytes
        produced_bytes += len(key) + len(value) + sum(len(k) + len(v) for k, v in headers)
        while True:
            try:
                producer.produce(topic, value=value, key=key, headers=headers)
                return
            except BufferError:
                producer.poll(0.01)

    while True:
        response = session.get(
            args.url, params={"pageNo": page, "pageSize": args.page_size}, timeout=30
        )
        response.raise_for_status()
        body = response.content
        json_bytes += len(body)
        doc = json.loads(body, parse_float=Decimal)
        if doc.get("code") != 0:
            raise SystemExit(f"page {page}: API status {doc.get('code')}: {doc.get('msg')}")
        records = (doc.get("data") or {}).get("list") or []
        fetched += len(records)
        if not records:  # past the last page: nothing to commit
            break
        producer.begin_transaction()
        try:
            for record in records:
                try:
                    t, at = normalise(args.source, record, villages, template, protector)
                    value = records_w.encode(t)
                    if args.fingerprints:
                        ms = (t["source_updated_at"] - EPOCH) // dt.timedelta(milliseconds=1)
                        fp = hashlib.sha256(value[10:len(value) - varint_len(ms)]).digest()[:8]
                        if known.get(t["key"]) == fp:
                            unchanged += 1
                            continue
                        known[t["key"]] = fp
                        produce(fingerprint_topic, t["key"], fp, header_fingerprint)
                    produce(records_topic, t["key"], value, header_records)
                    published += 1
                except Rejected as r:
                    at = position(record)
                    native_id = text_of(record.get(F_ID)) if isinstance(record, dict) else None
                    letter = {
                        **dead_w.defaults,
                        "source": args.source,
                        "family": "property_rights_transaction",
                        "native_id": native_id,
                        "field": r.field,
                        "reason": r.reason,
                        "message": r.message,
                        "page": page,
                        "observed_at": dt.datetime.now(UTC),
                    }
                    produce(dead_topic, f"{args.source}:{native_id or ''}", dead_w.encode(letter), header_dead)
                    dead += 1
                if at is not None and (cursor is None or at > cursor):
                    cursor = at
                producer.poll(0)
            checkpoint = json.dumps({
                "version": 1,
                "source": args.source,
                "position": None if cursor is None else {
                    "updated_at": cursor[0].isoformat().replace("+00:00", "Z"),
                    "native_id": cursor[1],
                },
                "published_total": published,
                "dead_letters_total": dead,
                "committed_at": dt.datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }).encode()
            produce(checkpoint_topic, args.source, checkpoint, header_checkpoint)
            producer.commit_transaction(args.transaction_timeout_ms / 1000)
        except KafkaException:
            producer.abort_transaction()
            raise
        pages += 1
        if len(records) < args.page_size:
            break
        page += 1
    secs = time.perf_counter() - started
    print(json.dumps({
        "pages": pages,
        "fetched": fetched,
        "published": published,
        "dead_letters": dead,
        "unchanged": unchanged,
        "json_bytes": json_bytes,
        "produced_bytes": produced_bytes,
        "secs": secs,
        "setup_secs": setup_secs,
        "fields_left_default": left_default,
    }))


# --- verify ----------------------------------------------------------------------------

def first_messages(bootstrap, topic, per_partition):
    """The first `per_partition` committed messages of every partition, by key."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "bench-verify",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
    })
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    wanted = {p: per_partition for p in partitions}
    out = {}
    deadline = time.time() + 60
    while any(n > 0 for n in wanted.values()) and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                wanted[m.partition()] = 0
                continue
            raise SystemExit(f"{topic}: {m.error()}")
        if wanted[m.partition()] > 0:
            wanted[m.partition()] -= 1
            out[m.key().decode()] = m.value()
    consumer.close()
    return out


def verify(args):
    import fastavro

    with open(args.schema, encoding="utf-8") as f:
        schema = fastavro.parse_schema(json.load(f))
    a = first_messages(args.bootstrap, args.topic_a, args.per_partition)
    b = first_messages(args.bootstrap, args.topic_b, args.per_partition)
    common = sorted(set(a) & set(b))
    mismatches, identical_datums, examples = 0, 0, []
    headers_a, headers_b = set(), set()
    for key in common:
        headers_a.add(a[key][:10].hex())
        headers_b.add(b[key][:10].hex())
        if a[key][10:] == b[key][10:]:
            identical_datums += 1
        ra = fastavro.schemaless_reader(io.BytesIO(a[key][10:]), schema)
        rb = fastavro.schemaless_reader(io.BytesIO(b[key][10:]), schema)
        diff = [f for f in COMPUTED if ra.get(f) != rb.get(f)]
        if diff:
            mismatches += 1
            if len(examples) < 5:
                examples.append({"key": key, "fields": diff,
                                 "a": {f: str(ra.get(f)) for f in diff},
                                 "b": {f: str(rb.get(f)) for f in diff}})
    print(json.dumps({
        "compared": len(common),
        "only_in_a": len(set(a) - set(b)),
        "only_in_b": len(set(b) - set(a)),
        "computed_fields_mismatched": mismatches,
        "identical_datums": identical_datums,
        "fields_compared": len(COMPUTED),
        "headers_a": sorted(headers_a),
        "headers_b": sorted(headers_b),
        "spec_header": AvroWriter(args.schema).header.hex(),
        "examples": examples,
    }, ensure_ascii=False))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--url", required=True)
    r.add_argument("--bootstrap", default="127.0.0.1:9092")
    r.add_argument("--prefix", required=True)
    r.add_argument("--source", default="jinzhong_exchange")
    r.add_argument("--page-size", type=int, default=1000)
    r.add_argument("--schema", default="schemas/property_rights_transaction.avsc")
    r.add_argument("--dead-letter-schema", default="schemas/dead_letter.avsc")
    r.add_argument("--divisions", default="data/shanxi-divisions-2023.csv")
    r.add_argument("--partitions", type=int, default=3)
    r.add_argument("--linger-ms", type=int, default=20)
    r.add_argument("--compression", default="none")
    r.add_argument("--transaction-timeout-ms", type=int, default=60000)
    r.add_argument("--fingerprints", action="store_true",
                   help="change detection with a _fingerprints topic, as ruralsync does")
    v = sub.add_parser("verify")
    v.add_argument("--bootstrap", default="127.0.0.1:9092")
    v.add_argument("--topic-a", required=True)
    v.add_argument("--topic-b", required=True)
    v.add_argument("--schema", default="schemas/property_rights_transaction.avsc")
    v.add_argument("--per-partition", type=int, default=2000)
    args = p.parse_args()
    {"run": run, "verify": verify}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
