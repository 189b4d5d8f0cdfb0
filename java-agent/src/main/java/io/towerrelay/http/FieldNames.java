package io.towerrelay.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The names of the header fields and the methods nearly every request and answer carries, as constant strings:
 * a parser that meets one exactly as listed takes the constant instead of a new string of the same bytes. A
 * head's names are then neither allocated nor copied, and a lookup by the same constant (HttpCore5's
 * {@code HttpHeaders.CONTENT_LENGTH} is the same literal) matches at its identity check. Exact bytes only: a name
 * spelled otherwise is kept as it came, so nothing forwarded changes.
 */
public final class FieldNames {
    private static final String[] KNOWN = {
        // requests
        "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Connection", "Cookie", "Referer",
        "Origin", "Authorization", "Cache-Control", "Pragma", "Upgrade", "Content-Type", "Content-Length",
        "X-Requested-With", "X-CSRFToken", "If-None-Match", "If-Modified-Since", "Sec-WebSocket-Key",
        "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-Fetch-Site",
        "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
        "X-Forwarded-Port", "X-Real-IP", "Expect", "Transfer-Encoding", "TE", "Keep-Alive",
        "host", "user-agent", "accept", "accept-encoding", "content-type", "content-length", "connection", "cookie",
        // answers (AWX's among them)
        "Date", "Server", "Vary", "Allow", "ETag", "Expires", "Last-Modified", "Location", "Set-Cookie",
        "Content-Encoding", "Content-Language", "Content-Disposition", "X-Frame-Options", "X-Content-Type-Options",
        "Strict-Transport-Security", "Access-Control-Allow-Origin", "Sec-WebSocket-Accept", "X-API-Node",
        "X-API-Time", "X-API-Total-Time", "X-API-Product-Name", "X-API-Product-Version", "X-API-Query-Count",
        "X-API-Query-Time", "Referrer-Policy", "Cross-Origin-Opener-Policy",
        // methods
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
    };
    /** By length: the known names of that length and their bytes. */
    private static final String[][] NAMES = new String[64][];
    private static final byte[][][] BYTES = new byte[64][][];

    static {
        List<List<String>> byLength = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            byLength.add(new ArrayList<>());
        }
        for (String name : KNOWN) {
            byLength.get(name.length()).add(name);
        }
        for (int n = 0; n < NAMES.length; n++) {
            NAMES[n] = byLength.get(n).toArray(String[]::new);
            BYTES[n] = Arrays.stream(NAMES[n]).map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toArray(byte[][]::new);
        }
    }

    private FieldNames() {
    }

    /** The bytes {@code a[start, start + length)} as ISO-8859-1 text: a constant when they are one of the list. */
    public static String of(byte[] a, int start, int length) {
        if (length < NAMES.length) {
            byte[][] candidates = BYTES[length];
            for (int i = 0; i < candidates.length; i++) {
                if (Arrays.equals(a, start, start + length, candidates[i], 0, length)) {
                    return NAMES[length][i];
                }
            }
        }
        return new String(a, start, length, StandardCharsets.ISO_8859_1);
    }
}
