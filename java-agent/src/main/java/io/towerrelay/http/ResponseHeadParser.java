package io.towerrelay.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.message.BasicHttpResponse;

/**
 * Reads an upstream's HTTP/1.x response head from the bytes of a heap buffer, strictly: lines end in CRLF; a bare
 * CR or LF or another control character inside a line is an error (a client's parser could take it for a line
 * end, so a reason phrase or value would become extra header lines); so are obsolete line folding and whitespace
 * between a field name and its colon (RFC 9112 sections 5.1, 5.2: a proxy rejects or repairs them; the relay
 * rejects, with a 502). Field values are bytes, kept as ISO-8859-1 characters ({@link HeadBytes}).
 */
public final class ResponseHeadParser {
    /** A head longer than this is refused (NGINX's own limit from an upstream is 4-8 KiB by default). */
    public static final int MAX_HEAD = 64 * 1024;

    private ResponseHeadParser() {
    }

    /**
     * Where the head that starts at {@code in}'s position ends: the index just past its blank line, or -1 when the
     * buffer does not hold all of it yet. {@code from} is where to start looking (a previous call's {@code in.limit()}
     * minus 3, or the position), so that a head arriving in pieces is not scanned again from its start.
     */
    public static int headEnd(ByteBuffer in, int from) {
        byte[] a = in.array();
        int base = in.arrayOffset();
        for (int i = Math.max(from, in.position()); i + 3 < in.limit(); i++) {
            if (a[base + i + 3] == '\n' && a[base + i + 2] == '\r' && a[base + i + 1] == '\n' && a[base + i] == '\r') {
                return i + 4;
            }
        }
        return -1;
    }

    /** Parses the head from {@code in}'s position to {@code end} (from {@link #headEnd}) and moves past it. */
    public static BasicHttpResponse parse(ByteBuffer in, int end) throws ParseException {
        byte[] a = in.array();
        int base = in.arrayOffset();
        int lineStart = base + in.position();
        int headEnd = base + end - 2; // the final CRLF
        int lineEnd = lineEnd(a, lineStart, headEnd);
        BasicHttpResponse response = statusLine(a, lineStart, lineEnd);
        for (lineStart = lineEnd + 2; lineStart < headEnd; lineStart = lineEnd + 2) {
            lineEnd = lineEnd(a, lineStart, headEnd);
            int colon = lineStart;
            while (colon < lineEnd && a[colon] != ':') {
                if (!TokenChars.is(a[colon])) {
                    throw new ParseException(a[colon] == ' ' || a[colon] == '\t'
                            ? (colon == lineStart ? "Obsolete line folding in response head" : "Whitespace before a colon in response head")
                            : "Invalid field name in response head");
                }
                colon++;
            }
            if (colon == lineStart || colon == lineEnd) {
                throw new ParseException("Invalid header line in response head");
            }
            int v = colon + 1;
            int ve = lineEnd;
            while (v < ve && (a[v] == ' ' || a[v] == '\t')) {
                v++;
            }
            while (ve > v && (a[ve - 1] == ' ' || a[ve - 1] == '\t')) {
                ve--;
            }
            response.addHeader(new CheckedHeader(FieldNames.of(a, lineStart, colon - lineStart),
                    new String(a, v, ve - v, StandardCharsets.ISO_8859_1)));
        }
        in.position(end);
        return response;
    }

    /** The index of the CR ending the line at {@code start}; control characters inside it are refused. */
    private static int lineEnd(byte[] a, int start, int limit) throws ParseException {
        for (int i = start; i < limit; i++) {
            byte b = a[i];
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                if (b == '\r' && a[i + 1] == '\n') {
                    return i;
                }
                throw new ParseException("control character in the response head");
            }
        }
        return limit;
    }

    /** {@code HTTP/1.x NNN reason}; the reason may be empty or missing. */
    private static BasicHttpResponse statusLine(byte[] a, int s, int e) throws ParseException {
        if (e - s < 12 || a[s] != 'H' || a[s + 1] != 'T' || a[s + 2] != 'T' || a[s + 3] != 'P' || a[s + 4] != '/'
                || a[s + 5] != '1' || a[s + 6] != '.' || !digit(a[s + 7]) || a[s + 8] != ' '
                || !digit(a[s + 9]) || !digit(a[s + 10]) || !digit(a[s + 11]) || (e - s > 12 && a[s + 12] != ' ')) {
            throw new ParseException("invalid status line: " + new String(a, s, Math.min(e - s, 64), StandardCharsets.ISO_8859_1));
        }
        int code = (a[s + 9] - '0') * 100 + (a[s + 10] - '0') * 10 + (a[s + 11] - '0');
        if (code < 100) {
            throw new ParseException("invalid status code " + code);
        }
        String reason = e - s > 13 ? new String(a, s + 13, e - s - 13, StandardCharsets.ISO_8859_1) : "";
        BasicHttpResponse response = new RelayResponse(code, reason);
        response.setVersion(a[s + 7] == '1' ? HttpVersion.HTTP_1_1 : a[s + 7] == '0' ? HttpVersion.HTTP_1_0
                : HttpVersion.get(1, a[s + 7] - '0'));
        return response;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }
}
