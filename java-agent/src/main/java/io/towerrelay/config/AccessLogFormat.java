package io.towerrelay.config;

import java.util.Locale;

/** One line per request (and per WebSocket tunnel) on stdout, so journald keeps it. */
public enum AccessLogFormat {
    /** Apache/NGINX "combined": what log tools already parse. */
    COMBINED,
    /** One JSON object per line, with timings and upstream details. */
    JSON,
    OFF;

    public static AccessLogFormat parse(String text) {
        for (AccessLogFormat f : values()) {
            if (f.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not one of combined, json, off");
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
