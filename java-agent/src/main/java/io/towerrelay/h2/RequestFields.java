package io.towerrelay.h2;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.Header;

/**
 * RFC 9113 §8.2 and §8.3 on a decoded request header block, where HttpCore5 5.4.4 lets malformed requests through:
 * pseudo-header fields (only the four of a request, once each, before the others, never in trailers), field names
 * in lower case, no connection-specific fields, {@code te} only as {@code trailers}, and a Content-Length that is
 * one number. A malformed request is a stream error of type PROTOCOL_ERROR.
 */
final class RequestFields {
    private static final Set<String> REQUEST_PSEUDO = Set.of(":method", ":scheme", ":authority", ":path");
    private static final Set<String> CONNECTION_SPECIFIC = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade");

    /** What the screen keeps of a request: its declared body length, or -1. */
    record Head(long contentLength) {
    }

    private RequestFields() {
    }

    /** Checks a request's header block; throws {@link Malformed} naming the problem. */
    static Head request(List<Header> fields) throws Malformed {
        Set<String> pseudo = new HashSet<>();
        boolean regularSeen = false;
        long contentLength = -1;
        String method = null;
        String path = null;
        for (Header field : fields) {
            String name = field.getName();
            checkName(name);
            if (name.startsWith(":")) {
                if (regularSeen) {
                    throw new Malformed("pseudo-header " + name + " after a regular field");
                }
                if (!REQUEST_PSEUDO.contains(name)) {
                    throw new Malformed("pseudo-header " + name + " is not a request's");
                }
                if (!pseudo.add(name)) {
                    throw new Malformed("pseudo-header " + name + " twice");
                }
                if (name.equals(":method")) {
                    method = field.getValue();
                } else if (name.equals(":path")) {
                    path = field.getValue();
                }
                continue;
            }
            regularSeen = true;
            checkRegular(field);
            if (name.equals("content-length")) {
                long length = parseLength(field.getValue());
                if (contentLength >= 0 && contentLength != length) {
                    throw new Malformed("two different content-length values");
                }
                contentLength = length;
            }
        }
        if (method == null) {
            throw new Malformed("no :method");
        }
        if (!"CONNECT".equals(method)) {
            if (!pseudo.contains(":scheme")) {
                throw new Malformed("no :scheme");
            }
            if (path == null || path.isEmpty()) {
                throw new Malformed(path == null ? "no :path" : "empty :path");
            }
        }
        return new Head(contentLength);
    }

    /** Checks a trailer block (a second HEADERS on a stream). */
    static void trailers(List<Header> fields) throws Malformed {
        for (Header field : fields) {
            checkName(field.getName());
            if (field.getName().startsWith(":")) {
                throw new Malformed("pseudo-header " + field.getName() + " in trailers");
            }
            checkRegular(field);
        }
    }

    private static void checkName(String name) throws Malformed {
        if (name.isEmpty() || !name.toLowerCase(Locale.ROOT).equals(name)) {
            throw new Malformed("field name \"" + name + "\" is not in lower case");
        }
    }

    private static void checkRegular(Header field) throws Malformed {
        String name = field.getName();
        if (CONNECTION_SPECIFIC.contains(name)) {
            throw new Malformed("connection-specific field " + name);
        }
        if (name.equals("te") && !field.getValue().trim().equalsIgnoreCase("trailers")) {
            throw new Malformed("te other than trailers");
        }
    }

    private static long parseLength(String value) throws Malformed {
        String v = value.trim();
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Malformed("invalid content-length");
        }
        return Long.parseLong(v);
    }

    /** A malformed request (a stream error of type PROTOCOL_ERROR). */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
