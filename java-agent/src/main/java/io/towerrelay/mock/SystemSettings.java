package io.towerrelay.mock;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proxy-related part of AWX's {@code /api/v2/settings/system/}, with AWX's defaults. A PATCH
 * changes only the keys it names; keys the mock does not model are ignored, as Django REST framework
 * ignores unknown fields.
 */
final class SystemSettings {

    static final List<String> KEYS = List.of("REMOTE_HOST_HEADERS", "PROXY_IP_ALLOWED_LIST", "CSRF_TRUSTED_ORIGINS");

    private final Map<String, List<String>> values = new LinkedHashMap<>();

    SystemSettings() {
        values.put("REMOTE_HOST_HEADERS", List.of("REMOTE_ADDR", "REMOTE_HOST"));
        values.put("PROXY_IP_ALLOWED_LIST", List.of());
        values.put("CSRF_TRUSTED_ORIGINS", List.of());
    }

    synchronized Map<String, List<String>> snapshot() {
        return new LinkedHashMap<>(values);
    }

    synchronized List<String> get(String key) {
        return values.get(key);
    }

    /**
     * Applies a PATCH body. Returns field errors in DRF's shape ({@code {"KEY": ["message"]}}); when
     * there are any, nothing changes.
     */
    synchronized Map<String, List<String>> patch(JsonNode body) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        Map<String, List<String>> updates = new LinkedHashMap<>();
        for (String key : KEYS) {
            JsonNode value = body.get(key);
            if (value == null) {
                continue;
            }
            if (!value.isArray()) {
                errors.put(key, List.of("Expected a list of items but got type \"" + typeName(value) + "\"."));
                continue;
            }
            List<String> items = new ArrayList<>();
            for (JsonNode item : value) {
                if (!item.isTextual()) {
                    errors.put(key, List.of("Not a valid string."));
                    break;
                }
                items.add(item.asText());
            }
            updates.put(key, List.copyOf(items));
        }
        if (errors.isEmpty()) {
            values.putAll(updates);
        }
        return errors;
    }

    private static String typeName(JsonNode value) {
        if (value.isTextual()) {
            return "str";
        }
        if (value.isNumber()) {
            return value.isIntegralNumber() ? "int" : "float";
        }
        if (value.isBoolean()) {
            return "bool";
        }
        if (value.isObject()) {
            return "dict";
        }
        return "NoneType";
    }
}
