package io.towerrelay.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Reads a YAML document through Jackson's streaming parser into {@link YamlNode}s that remember their lines. */
final class YamlTreeReader {
    private static final YAMLFactory YAML = new YAMLFactory();

    private final Path file;

    YamlTreeReader(Path file) {
        this.file = file;
    }

    /** The document's root; an empty file is an empty mapping. */
    YamlNode read(Reader reader) throws IOException {
        try (JsonParser parser = YAML.createParser(reader)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return new YamlNode.Mapping(1);
            }
            YamlNode root = readValue(parser, "");
            if (parser.nextToken() != null) {
                throw new ConfigException(file, line(parser), "(document)", "only one YAML document is allowed");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();
            int line = where == null ? 1 : Math.max(1, where.getLineNr());
            throw new ConfigException(file, line, "(syntax)", "not valid YAML: " + problem(e));
        }
    }

    /** SnakeYAML's own words ("expected ',' or ']', but got <stream end>") without its multi-line excerpt. */
    private static String problem(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblem() != null) {
            return (marked.getContext() == null ? "" : marked.getContext() + ": ") + marked.getProblem();
        }
        return e.getOriginalMessage().replaceAll("\\s+", " ").trim();
    }

    private YamlNode readValue(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        int line = line(parser);
        switch (token) {
            case START_OBJECT: {
                YamlNode.Mapping mapping = new YamlNode.Mapping(line);
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = line(parser);
                    String keyPath = path.isEmpty() ? key : path + "." + key;
                    if (mapping.entries().containsKey(key)) {
                        throw new ConfigException(file, keyLine, keyPath, "given twice (first on line "
                                + mapping.entries().get(key).keyLine() + ")");
                    }
                    parser.nextToken();
                    mapping.entries().put(key, new YamlNode.Entry(keyLine, readValue(parser, keyPath)));
                }
                return mapping;
            }
            case START_ARRAY: {
                List<YamlNode> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(parser, path + "[" + items.size() + "]"));
                }
                return new YamlNode.Sequence(line, items);
            }
            case VALUE_NULL:
                return new YamlNode.Scalar(line, null);
            default:
                return new YamlNode.Scalar(line, parser.getText());
        }
    }

    private static int line(JsonParser parser) {
        return Math.max(1, parser.currentTokenLocation().getLineNr());
    }
}
