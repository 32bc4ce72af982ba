package cn.ruralsync.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;

/**
 * Proves the Java consumer toolchain (kafka-clients, Avro, java.net.http, Jackson on Java
 * 17): lists the broker's topics and, when a registry URL is given, each subject's latest
 * schema resolved by id and parsed by Avro. The real consumers come with issue 14.
 *
 * <p>Usage: {@code ListTopics <bootstrap> [<registry base URL, .../apis/ccompat/v7>]}.
 * Prints {@code topics: N} then one topic per line, then {@code subject: <s> id=<id>
 * schema=<full name>} per subject. Exits 1 with a message naming what failed.
 */
public final class ListTopics {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ListTopics() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: ListTopics <bootstrap> [<registry base URL>]");
      System.exit(2);
    }
    try {
      listTopics(args[0]);
      if (args.length == 2) {
        listSubjects(args[1]);
      }
    } catch (Exception e) {
      StringBuilder message = new StringBuilder("ListTopics: ").append(e);
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        message.append(": ").append(cause);
      }
      System.err.println(message);
      System.exit(1);
    }
  }

  private static void listTopics(String bootstrap) throws IOException, InterruptedException {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    // The API timeout may not be shorter than the request timeout: both bounded alike.
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    try (Admin admin = Admin.create(props)) {
      Set<String> names;
      try {
        names = admin.listTopics(new ListTopicsOptions().timeoutMs((int) TIMEOUT.toMillis()))
            .names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("listing the topics of " + bootstrap + " failed within "
            + TIMEOUT.toSeconds() + "s", e);
      }
      System.out.println("topics: " + names.size());
      new TreeSet<>(names).forEach(System.out::println);
    }
  }

  /** Each subject's latest version, its schema fetched by id as a consumer would. */
  private static void listSubjects(String registry) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    for (JsonNode subject : get(http, registry + "/subjects")) {
      String name = subject.asText();
      String path = "/subjects/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/versions/latest";
      int id = get(http, registry + path).path("id").asInt();
      String text = get(http, registry + "/schemas/ids/" + id).path("schema").asText();
      Schema schema = new Schema.Parser().parse(text);
      System.out.println("subject: " + name + " id=" + id + " schema=" + schema.getFullName());
    }
  }

  private static JsonNode get(HttpClient http, String url) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
        .header("Accept", "application/vnd.schemaregistry.v1+json").GET().build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }
}
