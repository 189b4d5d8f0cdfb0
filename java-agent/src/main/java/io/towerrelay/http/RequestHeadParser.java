package io.towerrelay.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.UnsupportedHttpVersionException;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.message.BasicHttpRequest;

/**
 * Reads a client's HTTP/1.x request head from the bytes of a heap buffer. It only splits the head: the request line
 * into method, target and version, the rest into fields. What is in them is judged afterwards, by
 * {@link RequestFraming} (body length) and the edge's request screen (tokens, controls, Host, limits), so that every
 * refusal names its reason in one place.
 *
 * <p>Two things RFC 9112 lets a server accept are accepted and normalised (sections 2.2 and 5.2): a bare LF as a line
 * end, and obsolete line folding, joined to the field's value with one space. Empty lines before the request line
 * are skipped (section 2.2). The head sent upstream is always written again from what was parsed, in CRLF lines, so
 * no upstream can read it otherwise. Refused here, with a 400: a request line that is not three parts split by
 * single spaces, a field line without a colon or with whitespace before it (section 5.1), and a fold with no field
 * before it; with a 505, an HTTP major version other than 1.
 */
public final class RequestHeadParser {

    private RequestHeadParser() {
    }

    /** Moves {@code in}'s position past empty lines (CR or LF bytes) before a request line. */
    public static void skipEmptyLines(ByteBuffer in) {
        byte[] a = in.array();
        int base = in.arrayOffset();
        int p = in.position();
        while (p < in.limit() && (a[base + p] == '\r' || a[base + p] == '\n')) {
            p++;
        }
        in.position(p);
    }

    /** Longest method accepted before its space arrives (the longest registered method has 17 characters). */
    static final int MAX_METHOD = 32;

    /**
     * Whether the bytes at {@code in}'s position can still start a request line: a method of token characters,
     * then a space. False at once for what is not HTTP at all (a TLS ClientHello sent to a plain listener starts
     * with byte 0x16), so that it is answered before the head's end, which may never come.
     */
    public static boolean mayStartRequest(ByteBuffer in) {
        byte[] a = in.array();
        int base = in.arrayOffset();
        int end = Math.min(in.limit(), in.position() + MAX_METHOD + 1);
        for (int i = in.position(); i < end; i++) {
            byte b = a[base + i];
            if (b == ' ') {
                return i > in.position();
            }
            if (!TokenChars.is(b)) {
                return false;
            }
        }
        return end < in.position() + MAX_METHOD + 1;
    }

    /**
     * Where the head that starts at {@code in}'s position ends: the index just past its empty line, or -1 when the
     * buffer does not hold all of it yet. {@code from} is where to start looking ({@code in.limit() - 2} after a call
     * that found no end, so that a head arriving in pieces is not scanned again from its start).
     */
    public static int headEnd(ByteBuffer in, int from) {
        byte[] a = in.array();
        int base = in.arrayOffset();
        int limit = in.limit();
        for (int i = Math.max(from, in.position()); i < limit; i++) {
            if (a[base + i] != '\n') {
                continue;
            }
            if (i + 1 < limit && a[base + i + 1] == '\n') {
                return i + 2;
            }
            if (i + 2 < limit && a[base + i + 1] == '\r' && a[base + i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** Parses the head from {@code in}'s position to {@code end} (from {@link #headEnd}) and moves past it. */
    public static BasicHttpRequest parse(ByteBuffer in, int end) throws ProtocolException {
        byte[] a = in.array();
        int base = in.arrayOffset();
        int start = base + in.position();
        int headEnd = base + end;
        int lineEnd = lineEnd(a, start, headEnd);
        BasicHttpRequest request = requestLine(a, start, contentEnd(a, start, lineEnd));
        String name = null;
        String value = null;
        for (start = lineEnd + 1; start < headEnd; start = lineEnd + 1) {
            lineEnd = lineEnd(a, start, headEnd);
            int e = contentEnd(a, start, lineEnd);
            if (e == start) {
                break; // the empty line
            }
            if (a[start] == ' ' || a[start] == '\t') {
                if (name == null) {
                    throw new ProtocolException("Folded line with no header field before it");
                }
                String more = trimmed(a, start, e);
                if (!more.isEmpty()) {
                    value = value.isEmpty() ? more : value + " " + more;
                }
                continue;
            }
            if (name != null) {
                request.addHeader(new BasicHeader(name, value));
            }
            int colon = start;
            while (colon < e && a[colon] != ':') {
                if (a[colon] == ' ' || a[colon] == '\t') {
                    throw new ProtocolException("Whitespace between a header field name and its colon");
                }
                colon++;
            }
            if (colon == start || colon == e) {
                throw new ProtocolException("Invalid header line: " + printable(a, start, e));
            }
            name = FieldNames.of(a, start, colon - start);
            value = trimmed(a, colon + 1, e);
        }
        if (name != null) {
            request.addHeader(new BasicHeader(name, value));
        }
        in.position(end);
        return request;
    }

    /** The index of the LF ending the line at {@code start} ({@code limit} if none). */
    private static int lineEnd(byte[] a, int start, int limit) {
        for (int i = start; i < limit; i++) {
            if (a[i] == '\n') {
                return i;
            }
        }
        return limit;
    }

    /** The end of the line's content: before its LF, and before a CR just before that. */
    private static int contentEnd(byte[] a, int start, int lf) {
        return lf > start && a[lf - 1] == '\r' ? lf - 1 : lf;
    }

    /** {@code METHOD SP request-target SP HTTP-version}. */
    private static BasicHttpRequest requestLine(byte[] a, int s, int e) throws ProtocolException {
        int sp1 = indexOf(a, s, e, (byte) ' ');
        int sp2 = sp1 < 0 ? -1 : indexOf(a, sp1 + 1, e, (byte) ' ');
        if (sp1 <= s || sp2 <= sp1 + 1 || indexOf(a, sp2 + 1, e, (byte) ' ') >= 0) {
            throw new ProtocolException("Invalid request line: " + printable(a, s, e));
        }
        int v = sp2 + 1;
        if (e - v != 8 || a[v] != 'H' || a[v + 1] != 'T' || a[v + 2] != 'T' || a[v + 3] != 'P' || a[v + 4] != '/'
                || !digit(a[v + 5]) || a[v + 6] != '.' || !digit(a[v + 7])) {
            throw new ProtocolException("Invalid protocol version in the request line: " + printable(a, v, e));
        }
        int major = a[v + 5] - '0';
        int minor = a[v + 7] - '0';
        HttpVersion version = HttpVersion.get(major, minor);
        if (major != 1) {
            throw new UnsupportedHttpVersionException(version);
        }
        String method = FieldNames.of(a, s, sp1 - s);
        String target = new String(a, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
        // An origin-form target ("/path?query") is the path as it is. Anything else (absolute-form, "//...", a
        // fragment) is read as a URI, as HttpCore5's parser does, so that the screen sees its scheme and authority:
        // that parse is most of a small request's head parsing (JFR), so it is only done where it tells something.
        boolean originForm = target.length() > 1 ? target.charAt(0) == '/' && target.charAt(1) != '/'
                : target.equals("/");
        BasicHttpRequest request = originForm && target.indexOf('#') < 0
                ? new RelayRequest(method, (HttpHost) null, target)
                : new RelayRequest(method, target);
        request.setVersion(version);
        return request;
    }

    private static int indexOf(byte[] a, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** The bytes as ISO-8859-1 characters, without leading and trailing spaces and tabs. */
    private static String trimmed(byte[] a, int s, int e) {
        while (s < e && (a[s] == ' ' || a[s] == '\t')) {
            s++;
        }
        while (e > s && (a[e - 1] == ' ' || a[e - 1] == '\t')) {
            e--;
        }
        return new String(a, s, e - s, StandardCharsets.ISO_8859_1);
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static String printable(byte[] a, int s, int e) {
        StringBuilder out = new StringBuilder();
        for (int i = s; i < e && out.length() < 64; i++) {
            out.append(a[i] >= 0x20 && a[i] < 0x7f ? (char) a[i] : '?');
        }
        return out.toString();
    }
}
