package io.towerrelay.probe;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The head of an HTTP response as it arrived on the WebSocket connection (Java-WebSocket drops it when the
 * answer is not 101, and it is the best evidence of what the proxy did).
 *
 * @param status     status code, 0 when the bytes are not an HTTP response
 * @param statusLine the first line
 * @param headers    header fields, names in lower case, repeated fields joined with ", "
 * @param body       what followed the head in the same bytes (at most {@link #MAX_BODY} characters)
 */
record HttpHead(int status, String statusLine, Map<String, String> headers, String body) {
    static final int MAX_BODY = 600;

    static HttpHead parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        int sep = 4;
        if (end < 0) {
            end = text.indexOf("\n\n");
            sep = 2;
        }
        String head = end < 0 ? text : text.substring(0, end);
        String body = end < 0 ? "" : text.substring(end + sep);
        if (body.length() > MAX_BODY) {
            body = body.substring(0, MAX_BODY);
        }
        String[] lines = head.split("\r?\n");
        String statusLine = lines.length == 0 ? "" : lines[0].strip();
        int status = 0;
        String[] parts = statusLine.split(" ", 3);
        if (parts.length >= 2 && parts[0].startsWith("HTTP/")) {
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                status = 0;
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip(), (a, b) -> a + ", " + b);
            }
        }
        return new HttpHead(status, statusLine, headers, new String(body.getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8));
    }
}
