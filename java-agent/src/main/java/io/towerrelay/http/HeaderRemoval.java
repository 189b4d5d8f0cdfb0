package io.towerrelay.http;

import org.apache.hc.core5.http.HttpMessage;

/**
 * Removing a header that is usually absent. HttpCore5's {@code removeHeaders} makes an iterator even when nothing
 * matches, and the relay removes several absent headers from every message it forwards; {@code containsHeader}
 * scans the same list without allocating.
 */
public final class HeaderRemoval {
    private HeaderRemoval() {}

    /** Removes every header called {@code name} (any case) from {@code message}. */
    public static void removeAll(HttpMessage message, String name) {
        if (message.containsHeader(name)) {
            message.removeHeaders(name);
        }
    }
}
