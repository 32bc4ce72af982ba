package cn.ruralsync.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * The evolution rules of ruralsync's schema catalogue, checked with Avro's own parser and
 * compatibility rules (nothing hand-written about what is compatible):
 *
 * <ol>
 *   <li>every {@code <dir>/*.avsc} parses with ONE {@link Schema.Parser}, so a named type
 *       defined in two files fails ("Can't redefine");
 *   <li>every named type and every field has a doc, every enum a default symbol;
 *   <li>every schema is BACKWARD (it reads data written with the release) and FORWARD (the
 *       release reads data written with it) compatible with every released version
 *       {@code <dir>/history/<name>/v<N>.avsc}, by {@link SchemaCompatibility}.
 * </ol>
 *
 * <p>Usage: {@code SchemaRules <schemas dir>}. Prints {@code ok: <n> schemas, <m> released
 * versions} and exits 0, or prints one line per broken rule (file, type or field, rule) and
 * exits 1.
 */
public final class SchemaRules {
  private SchemaRules() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: SchemaRules <schemas dir>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    List<String> problems = new ArrayList<>();
    Map<String, Schema> current = parseCatalogue(dir, problems);
    current.forEach((file, schema) -> checkDocsAndDefaults(file, schema, problems));
    int released = checkHistory(dir, current, problems);
    if (problems.isEmpty()) {
      System.out.println("ok: " + current.size() + " schemas, " + released + " released versions");
      return;
    }
    problems.forEach(System.out::println);
    System.exit(1);
  }

  /** The catalogue's files by name (without .avsc), parsed in name order by one parser. */
  static Map<String, Schema> parseCatalogue(Path dir, List<String> problems) throws IOException {
    Schema.Parser parser = new Schema.Parser();
    Map<String, Schema> schemas = new TreeMap<>();
    for (Path file : avscFiles(dir)) {
      String name = file.getFileName().toString().replaceFirst("\\.avsc$", "");
      try {
        schemas.put(name, parser.parse(file.toFile()));
      } catch (SchemaParseException e) {
        problems.add(file.getFileName() + ": one parser over every file: " + e.getMessage());
      }
    }
    return schemas;
  }

  private static List<Path> avscFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
    }
  }

  /** A doc on every named type and field, a default on every enum. */
  static void checkDocsAndDefaults(String file, Schema schema, List<String> problems) {
    walk(schema, new TreeSet<>(), named -> {
      String where = file + ".avsc: " + named.getFullName();
      if (named.getDoc() == null || named.getDoc().isBlank()) {
        problems.add(where + ": the type has no doc");
      }
      if (named.getType() == Schema.Type.ENUM && named.getEnumDefault() == null) {
        problems.add(where + ": the enum has no default (catch-all) symbol");
      }
      if (named.getType() == Schema.Type.RECORD) {
        for (Schema.Field field : named.getFields()) {
          if (field.doc() == null || field.doc().isBlank()) {
            problems.add(where + "." + field.name() + ": the field has no doc");
          }
        }
      }
    });
  }

  private static void walk(Schema schema, Set<String> seen, java.util.function.Consumer<Schema> named) {
    switch (schema.getType()) {
      case RECORD, ENUM, FIXED -> {
        if (!seen.add(schema.getFullName())) {
          return;
        }
        named.accept(schema);
        if (schema.getType() == Schema.Type.RECORD) {
          schema.getFields().forEach(f -> walk(f.schema(), seen, named));
        }
      }
      case UNION -> schema.getTypes().forEach(t -> walk(t, seen, named));
      case ARRAY -> walk(schema.getElementType(), seen, named);
      case MAP -> walk(schema.getValueType(), seen, named);
      default -> {}
    }
  }

  /**
   * Each released version against the current schema of the same file, both ways; returns
   * how many released versions there are. A release whose file is gone is a problem too.
   */
  static int checkHistory(Path dir, Map<String, Schema> current, List<String> problems)
      throws IOException {
    Path history = dir.resolve("history");
    if (!Files.isDirectory(history)) {
      problems.add("history/: no released versions (release 1 belongs in history/<name>/v1.avsc)");
      return 0;
    }
    int released = 0;
    try (Stream<Path> names = Files.list(history)) {
      for (Path folder : names.sorted().toList()) {
        String name = folder.getFileName().toString();
        for (Path version : avscFiles(folder)) {
          released++;
          String label = "history/" + name + "/" + version.getFileName();
          Schema now = current.get(name);
          if (now == null) {
            problems.add(label + ": released, but " + name + ".avsc is gone");
            continue;
          }
          // Each release on its own parser: it defines the same names as the current file.
          Schema old = new Schema.Parser().parse(version.toFile());
          compare(name + ".avsc", "BACKWARD", label, now, old, problems);
          compare(name + ".avsc", "FORWARD", label, old, now, problems);
        }
      }
    }
    return released;
  }

  /** Whether {@code reader} reads what {@code writer} wrote, by Avro's rules. */
  private static void compare(
      String file, String rule, String release, Schema reader, Schema writer, List<String> problems) {
    SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    for (Incompatibility i : result.getResult().getIncompatibilities()) {
      problems.add(
          file + ": not " + rule + " compatible with " + release + ": " + i.getType() + " at "
              + i.getLocation() + ": " + i.getMessage());
    }
  }
}
