package io.towerrelay.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML value with the line it sits on. Jackson's own tree drops locations, and a config error that cannot say
 * where it is costs the user a search; so the loader builds this small tree from Jackson's token stream.
 */
sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {
    int line();

    /** What kind of value this is, for "expected a list, got a mapping" messages. */
    String kind();

    record Mapping(int line, Map<String, Entry> entries) implements YamlNode {
        Mapping(int line) {
            this(line, new LinkedHashMap<>());
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** A key with the line the key itself is on (a nested mapping's value starts on the next line). */
    record Entry(int keyLine, YamlNode value) {}

    record Sequence(int line, List<YamlNode> items) implements YamlNode {
        @Override
        public String kind() {
            return "a list";
        }
    }

    /** A scalar; {@code text} is null for YAML null ({@code ~}, or a key with nothing after it). */
    record Scalar(int line, String text) implements YamlNode {
        @Override
        public String kind() {
            return text == null ? "nothing" : "\"" + text + "\"";
        }
    }
}
