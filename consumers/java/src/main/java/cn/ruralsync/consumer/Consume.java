package cn.ruralsync.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one of ruralsync's topics and prints each value decoded, as JSON lines, finding the
 * writer schema as ruralsync publishes it:
 *
 * <ul>
 *   <li>{@code --registry URL}: the Confluent wire format (magic byte 0, 4-byte big-endian
 *       schema id); the schema is fetched once per id from {@code GET /schemas/ids/<id>};
 *   <li>{@code --schemas-topic TOPIC}: Avro single-object encoding ({@code C3 01}, the
 *       8-byte CRC-64-AVRO fingerprint, little-endian); the writer schema is looked up by
 *       fingerprint (16 hex digits, the topic's key) in {@code <prefix>._schemas}.
 * </ul>
 *
 * <p>{@code --reader-schema FILE} decodes with that schema (Avro schema resolution); by
 * default the writer's. Decimals print as exact strings, dates as {@code YYYY-MM-DD},
 * timestamps as RFC 3339 UTC with milliseconds. Each line: {@code {"partition", "offset",
 * "key", "writer", "value"}}. Reads committed messages from the beginning until {@code
 * --expect} messages (exit 0) or {@code --timeout} seconds (exit 1).
 *
 * <p>Usage: {@code Consume --bootstrap HOST:PORT --topic TOPIC (--registry URL |
 * --schemas-topic TOPIC) [--reader-schema FILE] --expect N [--timeout 60]}
 */
public final class Consume {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** Decimals, dates and timestamps as Java types rather than bytes and numbers. */
  private static final GenericData DATA = new GenericData();

  static {
    DATA.addLogicalTypeConversion(new Conversions.DecimalConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.DateConversion());
    DATA.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
  }

  private Consume() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = options(args);
    String bootstrap = opt.get("bootstrap");
    String topic = opt.get("topic");
    int expect = Integer.parseInt(opt.getOrDefault("expect", "-1"));
    Duration timeout = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("timeout", "60")));
    if (bootstrap == null || topic == null || expect < 0
        || (opt.containsKey("registry") == opt.containsKey("schemas-topic"))) {
      System.err.println("usage: Consume --bootstrap B --topic T (--registry URL | --schemas-topic T) [--reader-schema F] --expect N [--timeout S]");
      System.exit(2);
    }
    Schema reader = opt.containsKey("reader-schema")
        ? new Schema.Parser().parse(new File(opt.get("reader-schema"))) : null;
    Writers writers = opt.containsKey("registry")
        ? new Registry(opt.get("registry"))
        : new SchemasTopic(readSchemas(bootstrap, opt.get("schemas-topic"), timeout));
    System.exit(consume(bootstrap, topic, writers, reader, expect, timeout));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    return opt;
  }

  /** Where a message's writer schema comes from, and where its datum starts. */
  interface Writers {
    /** The writer's label (registry id, or fingerprint as hex) and schema for a message. */
    Map.Entry<Object, Schema> writer(byte[] message) throws IOException, InterruptedException;

    int headerLength();
  }

  /** The Confluent wire format: schemas fetched by id, each once. */
  static final class Registry implements Writers {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final Map<Integer, Schema> byId = new HashMap<>();

    Registry(String base) {
      this.base = base.replaceFirst("/$", "");
    }

    @Override
    public Map.Entry<Object, Schema> writer(byte[] message) throws IOException, InterruptedException {
      if (message.length < 5 || message[0] != 0) {
        throw new IOException("not the Confluent wire format (no magic byte 0)");
      }
      int id = ByteBuffer.wrap(message, 1, 4).getInt();
      Schema schema = byId.get(id);
      if (schema == null) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/schemas/ids/" + id))
            .timeout(Duration.ofSeconds(10)).header("Accept", "application/vnd.schemaregistry.v1+json").build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
          throw new IOException("schema id " + id + ": registry answered " + response.statusCode() + ": " + response.body());
        }
        schema = new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText());
        byId.put(id, schema);
      }
      return Map.entry(id, schema);
    }

    @Override
    public int headerLength() {
      return 5;
    }
  }

  /** Single-object encoding: schemas by fingerprint, from the _schemas topic. */
  record SchemasTopic(Map<String, Schema> byFingerprint) implements Writers {
    @Override
    public Map.Entry<Object, Schema> writer(byte[] message) throws IOException {
      if (message.length < 10 || (message[0] & 0xff) != 0xC3 || message[1] != 0x01) {
        throw new IOException("not an Avro single-object message (no C3 01 marker)");
      }
      String fingerprint = HexFormat.of().formatHex(message, 2, 10);
      Schema schema = byFingerprint.get(fingerprint);
      if (schema == null) {
        throw new IOException("fingerprint " + fingerprint + " is not in the _schemas topic");
      }
      return Map.entry(fingerprint, schema);
    }

    @Override
    public int headerLength() {
      return 10;
    }
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "ruralsync-consumer-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Every schema of the compacted _schemas topic, by fingerprint; the latest per key. */
  static Map<String, Schema> readSchemas(String bootstrap, String topic, Duration timeout) throws IOException {
    Map<String, Schema> schemas = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = consumer(bootstrap)) {
      List<TopicPartition> partitions = c.partitionsFor(topic, timeout).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = c.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IOException(topic + " not read to its end within " + timeout.toSeconds() + "s");
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.value() != null) {
            schemas.put(r.key(), new Schema.Parser().parse(new String(r.value(), StandardCharsets.UTF_8)));
          }
        }
      }
    }
    return schemas;
  }

  private static int consume(String bootstrap, String topic, Writers writers, Schema reader, int expect, Duration timeout)
      throws IOException, InterruptedException {
    try (KafkaConsumer<String, byte[]> c = consumer(bootstrap)) {
      c.subscribe(List.of(topic));
      int read = 0;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (read < expect) {
        if (System.nanoTime() > deadline) {
          System.err.println("Consume: " + read + " of " + expect + " messages of " + topic + " within " + timeout.toSeconds() + "s");
          return 1;
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          Map.Entry<Object, Schema> writer = writers.writer(r.value());
          GenericDatumReader<Object> datumReader =
              new GenericDatumReader<>(writer.getValue(), reader != null ? reader : writer.getValue(), DATA);
          int header = writers.headerLength();
          BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(r.value(), header, r.value().length - header, null);
          ObjectNode line = JSON.createObjectNode();
          line.put("partition", r.partition());
          line.put("offset", r.offset());
          line.put("key", r.key());
          line.set("writer", json(writer.getKey()));
          line.set("value", json(datumReader.read(null, decoder)));
          System.out.println(JSON.writeValueAsString(line));
          read++;
        }
      }
      return 0;
    }
  }

  /** A decoded value as JSON: exact decimals, ISO dates, UTC timestamps in ms. */
  static JsonNode json(Object value) {
    if (value == null) {
      return JSON.nullNode();
    }
    if (value instanceof GenericRecord record) {
      ObjectNode node = JSON.createObjectNode();
      for (Schema.Field field : record.getSchema().getFields()) {
        node.set(field.name(), json(record.get(field.pos())));
      }
      return node;
    }
    if (value instanceof List<?> list) {
      ArrayNode node = JSON.createArrayNode();
      list.forEach(item -> node.add(json(item)));
      return node;
    }
    if (value instanceof BigDecimal d) {
      return JSON.getNodeFactory().textNode(d.toPlainString());
    }
    if (value instanceof LocalDate d) {
      return JSON.getNodeFactory().textNode(d.toString());
    }
    if (value instanceof Instant t) {
      return JSON.getNodeFactory().textNode(MILLIS.format(t));
    }
    if (value instanceof Integer || value instanceof Long) {
      return JSON.getNodeFactory().numberNode(((Number) value).longValue());
    }
    if (value instanceof Boolean b) {
      return JSON.getNodeFactory().booleanNode(b);
    }
    // Strings (Utf8) and enum symbols.
    return JSON.getNodeFactory().textNode(value.toString());
  }
}
