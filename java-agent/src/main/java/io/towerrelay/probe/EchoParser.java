package io.towerrelay.probe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Reads the request headers out of the mock Tower's echo document. */
final class EchoParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EchoParser() {
    }

    /**
     * @return header name (lower case) to value, repeated headers joined (cookies with "; ", others with ", "),
     *         or null when the document has no {@code headers}
     */
    static Map<String, String> headers(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
        JsonNode headers = root == null ? null : root.get("headers");
        if (headers == null) {
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        if (headers.isObject()) {
            headers.fields().forEachRemaining(f -> {
                if (f.getValue().isArray()) {
                    f.getValue().forEach(v -> add(result, f.getKey(), v.asText()));
                } else {
                    add(result, f.getKey(), f.getValue().asText());
                }
            });
        } else if (headers.isArray()) {
            for (JsonNode h : headers) {
                if (h.isArray() && h.size() >= 2) {
                    add(result, h.get(0).asText(), h.get(1).asText());
                } else if (h.isObject() && h.has("name")) {
                    add(result, h.get("name").asText(), h.path("value").asText());
                }
            }
        } else {
            return null;
        }
        return result;
    }

    /** The request's HTTP version as the echo reports it ({@code http_version}), or null. */
    static String httpVersion(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            JsonNode version = root == null ? null : root.get("http_version");
            return version == null || version.isNull() ? null : version.asText();
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static void add(Map<String, String> result, String name, String value) {
        String key = name.toLowerCase(Locale.ROOT);
        String separator = key.equals("cookie") ? "; " : ", ";
        result.merge(key, value, (a, b) -> a + separator + b);
    }
}
