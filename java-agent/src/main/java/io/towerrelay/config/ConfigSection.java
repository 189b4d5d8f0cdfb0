package io.towerrelay.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One mapping of the config file, read key by key. Every value read is checked on the spot and any problem becomes
 * a {@link ConfigException} naming file, line and the full key; {@link #rejectUnknownKeys} makes typos errors
 * instead of silently ignored settings.
 */
final class ConfigSection {
    private final Path file;
    private final String path;
    private final YamlNode.Mapping mapping;
    private final Set<String> known = new HashSet<>();

    ConfigSection(Path file, String path, YamlNode.Mapping mapping) {
        this.file = file;
        this.path = path;
        this.mapping = mapping;
    }

    int line() {
        return mapping.line();
    }

    boolean has(String key) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        return entry != null && !(entry.value() instanceof YamlNode.Scalar s && s.text() == null);
    }

    /** The nested mapping at {@code key}; an absent key reads as an empty mapping (all defaults). */
    ConfigSection section(String key) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        if (entry == null || entry.value() instanceof YamlNode.Scalar s && s.text() == null) {
            return new ConfigSection(file, keyPath(key), new YamlNode.Mapping(line()));
        }
        if (!(entry.value() instanceof YamlNode.Mapping nested)) {
            throw error(entry.keyLine(), key, "expected a mapping of keys, got " + entry.value().kind());
        }
        return new ConfigSection(file, keyPath(key), nested);
    }

    /** A scalar converted by {@code parse}; its IllegalArgumentException message becomes the error text. */
    <T> T value(String key, Function<String, T> parse, T fallback) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        if (entry == null) {
            return fallback;
        }
        if (!(entry.value() instanceof YamlNode.Scalar scalar)) {
            throw error(entry.keyLine(), key, "expected a single value, got " + entry.value().kind());
        }
        if (scalar.text() == null) {
            return fallback;
        }
        try {
            return parse.apply(scalar.text());
        } catch (IllegalArgumentException e) {
            throw error(entry.keyLine(), key, e.getMessage());
        }
    }

    <T> T required(String key, Function<String, T> parse) {
        T value = value(key, parse, null);
        if (value == null) {
            YamlNode.Entry entry = mapping.entries().get(key);
            throw error(entry == null ? line() : entry.keyLine(), key, "is required");
        }
        return value;
    }

    /** A list of scalars; a single scalar is accepted as a one-item list. */
    <T> List<T> list(String key, Function<String, T> parse, List<T> fallback) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        if (entry == null) {
            return fallback;
        }
        List<YamlNode> items;
        if (entry.value() instanceof YamlNode.Sequence sequence) {
            items = sequence.items();
        } else if (entry.value() instanceof YamlNode.Scalar scalar) {
            if (scalar.text() == null) {
                return List.of();
            }
            items = List.of(scalar);
        } else {
            throw error(entry.keyLine(), key, "expected a list, got " + entry.value().kind());
        }
        List<T> values = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            YamlNode item = items.get(i);
            if (!(item instanceof YamlNode.Scalar scalar) || scalar.text() == null) {
                throw error(item.line(), key + "[" + i + "]", "expected a single value, got " + item.kind());
            }
            try {
                values.add(parse.apply(scalar.text()));
            } catch (IllegalArgumentException e) {
                throw error(item.line(), key + "[" + i + "]", e.getMessage());
            }
        }
        return values;
    }

    /** A list item with the line it is on. */
    record Item<T>(T value, int line) {}

    /**
     * A list whose items are each a scalar (converted by {@code scalar}) or a mapping (read by {@code mapping} as a
     * section named {@code key[i]}); a single scalar is accepted as a one-item list.
     */
    <T> List<Item<T>> mixedList(String key, Function<String, T> scalar, Function<ConfigSection, T> mappingItem) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        if (entry == null) {
            return List.of();
        }
        List<YamlNode> items;
        if (entry.value() instanceof YamlNode.Sequence sequence) {
            items = sequence.items();
        } else if (entry.value() instanceof YamlNode.Scalar s && s.text() != null) {
            items = List.of(s);
        } else if (entry.value() instanceof YamlNode.Scalar) {
            return List.of();
        } else {
            throw error(entry.keyLine(), key, "expected a list, got " + entry.value().kind());
        }
        List<Item<T>> values = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            YamlNode item = items.get(i);
            String itemKey = key + "[" + i + "]";
            if (item instanceof YamlNode.Mapping nested) {
                values.add(new Item<>(mappingItem.apply(new ConfigSection(file, keyPath(itemKey), nested)), item.line()));
            } else if (item instanceof YamlNode.Scalar s && s.text() != null) {
                try {
                    values.add(new Item<>(scalar.apply(s.text()), item.line()));
                } catch (IllegalArgumentException e) {
                    throw error(item.line(), itemKey, e.getMessage());
                }
            } else {
                throw error(item.line(), itemKey, "expected a value or a mapping, got " + item.kind());
            }
        }
        return values;
    }

    /** The line {@code key} is on, or this section's line when it is absent. */
    int lineOf(String key) {
        YamlNode.Entry entry = mapping.entries().get(key);
        return entry == null ? line() : entry.keyLine();
    }

    /** An error at {@code line} about {@code key} of this section. */
    ConfigException errorAt(int line, String key, String problem) {
        return error(line, key, problem);
    }

    /** Call after reading every key: anything not read is a typo or a setting this version does not have. */
    void rejectUnknownKeys() {
        for (Map.Entry<String, YamlNode.Entry> e : mapping.entries().entrySet()) {
            if (!known.contains(e.getKey())) {
                throw error(e.getValue().keyLine(), e.getKey(), "unknown key (valid here: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    /** An error about {@code key} in this section, e.g. for checks that involve two keys. */
    ConfigException error(String key, String problem) {
        YamlNode.Entry entry = mapping.entries().get(key);
        return error(entry == null ? line() : entry.keyLine(), key, problem);
    }

    private ConfigException error(int line, String key, String problem) {
        return new ConfigException(file, line, keyPath(key), problem);
    }

    private String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
