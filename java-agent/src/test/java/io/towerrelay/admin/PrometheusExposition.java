package io.towerrelay.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, as Prometheus's own parser applies it to a
 * scrape: every sample belongs to a family declared by one {@code # TYPE} line before it, a family's lines are
 * contiguous, no family is declared twice, no series (name and labels) appears twice, names and values are
 * well formed. Throws {@link IllegalArgumentException} naming the line that breaks a rule.
 */
final class PrometheusExposition {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern META = Pattern.compile("# (HELP|TYPE) (\\S+)(?: (.*))?");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)(?: (-?\\d+))?");
    private static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\[\\\\\"n])*)\"\\s*(,|$)");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    record Sample(String name, Map<String, String> labels, double value) {}

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusExposition() {
    }

    static PrometheusExposition parse(String text) {
        PrometheusExposition exposition = new PrometheusExposition();
        exposition.read(text);
        return exposition;
    }

    /** Family name to type, in the order declared. */
    Map<String, String> types() {
        return types;
    }

    List<Sample> samples() {
        return samples;
    }

    /** The value of the one sample with this name and exactly these labels. */
    double value(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels)).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + labels + " in the scrape"))
                .value();
    }

    private void read(String text) {
        Set<String> helps = new HashSet<>();
        Set<String> closed = new HashSet<>();
        Set<String> series = new HashSet<>();
        Map<String, String> owner = new HashMap<>();
        String current = null;
        int lineNumber = 0;
        for (String line : text.split("\n", -1)) {
            lineNumber++;
            String where = "line " + lineNumber + " '" + line + "': ";
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                Matcher meta = META.matcher(line);
                if (!meta.matches()) {
                    continue; // a plain comment
                }
                String family = meta.group(2);
                require(NAME.matcher(family).matches(), where + "bad metric name");
                if (!family.equals(current)) {
                    require(!closed.contains(family), where + family + " continues after other families");
                    if (current != null) {
                        closed.add(current);
                    }
                    current = family;
                }
                if (meta.group(1).equals("HELP")) {
                    require(helps.add(family), where + "second HELP for " + family);
                } else {
                    require(!types.containsKey(family), where + "second TYPE for " + family);
                    require(TYPES.contains(meta.group(3)), where + "unknown type");
                    types.put(family, meta.group(3));
                    for (String name : sampleNames(family, meta.group(3))) {
                        String previous = owner.putIfAbsent(name, family);
                        require(previous == null, where + "sample name " + name + " is also family " + previous + "'s");
                    }
                }
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            require(sample.matches(), where + "not a sample line");
            String name = sample.group(1);
            String family = owner.get(name);
            require(family != null, where + name + " has no TYPE before it");
            require(family.equals(current), where + name + " is outside its family " + family + "'s block");
            Map<String, String> labels = labels(sample.group(2), where);
            require(series.add(name + labels), where + "series " + name + labels + " appears twice");
            samples.add(new Sample(name, labels, value(sample.group(3), where)));
        }
    }

    private static List<String> sampleNames(String family, String type) {
        return switch (type) {
            case "histogram" -> List.of(family + "_bucket", family + "_sum", family + "_count");
            case "summary" -> List.of(family, family + "_sum", family + "_count");
            default -> List.of(family);
        };
    }

    private static Map<String, String> labels(String text, String where) {
        Map<String, String> labels = new TreeMap<>();
        if (text == null || text.isEmpty()) {
            return labels;
        }
        Matcher label = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            require(label.find(at) && label.start() == at, where + "bad label list");
            require(labels.put(label.group(1), label.group(2)) == null, where + "label " + label.group(1) + " twice");
            at = label.end();
        }
        return labels;
    }

    private static double value(String text, String where) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "bad value");
                }
        }
    }

    private static void require(boolean condition, String problem) {
        if (!condition) {
            throw new IllegalArgumentException(problem);
        }
    }
}
