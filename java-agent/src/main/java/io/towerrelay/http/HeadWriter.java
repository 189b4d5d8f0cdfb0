package io.towerrelay.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.impl.EnglishReasonPhraseCatalog;

/**
 * Writes HTTP/1.1 heads and chunk framing as bytes, one byte per character ({@link HeadBytes}): a start line, then
 * the message's fields in order. A CR, LF, FF or VT inside a field value becomes a space, as HttpCore5's formatter
 * does, so that no value can end a line (the edge refuses such requests before this).
 */
public final class HeadWriter {
    private static final byte[] CRLF = {'\r', '\n'};
    /** The standard reason phrase of each status code that has one (index: the code). */
    private static final String[] REASONS = new String[600];
    /**
     * {@code HTTP/1.1 NNN Reason\r\n} for each of those: nearly every answer's status line is one copy, with no
     * version, code or reason text formatted for it.
     */
    private static final byte[][] STATUS_LINES = new byte[600][];

    static {
        for (int code = 100; code < REASONS.length; code++) {
            String reason = EnglishReasonPhraseCatalog.INSTANCE.getReason(code, null);
            if (reason != null) {
                REASONS[code] = reason;
                STATUS_LINES[code] = ("HTTP/1.1 " + code + " " + reason + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            }
        }
    }

    private HeadWriter() {
    }

    /** Appends {@code request}'s head to {@code out} (fill mode); returns {@code out} or a larger copy of it. */
    public static ByteBuffer request(HttpRequest request, ByteBuffer out) {
        out = ascii(out, request.getMethod());
        out = ascii(out, " ");
        out = ascii(out, request.getRequestUri());
        out = ascii(out, " HTTP/1.1\r\n"); // the relay speaks HTTP/1.1 upstream whatever the client spoke
        return fields(request.headerIterator(), out);
    }

    /**
     * Appends {@code response}'s head, with {@code version} on its status line and the standard reason phrase when the
     * response has none; returns {@code out} or a larger copy of it.
     */
    public static ByteBuffer response(HttpResponse response, ProtocolVersion version, ByteBuffer out) {
        int code = response.getCode();
        String reason = response.getReasonPhrase();
        String standard = code >= 100 && code < REASONS.length ? REASONS[code] : null;
        if (standard != null && (reason == null || reason.equals(standard)) && HttpVersion.HTTP_1_1.equals(version)) {
            byte[] line = STATUS_LINES[code];
            out = room(out, line.length);
            out.put(line);
        } else {
            out = ascii(out, version.format());
            out = ascii(out, " ");
            out = ascii(out, Integer.toString(code));
            out = ascii(out, " ");
            out = value(out, reason != null ? reason : standard);
            out = ascii(out, "\r\n");
        }
        return fields(response.headerIterator(), out);
    }

    private static ByteBuffer fields(Iterator<Header> it, ByteBuffer out) {
        while (it.hasNext()) {
            Header h = it.next();
            out = ascii(out, h.getName());
            out = ascii(out, ": ");
            out = h instanceof CheckedHeader && h.getValue() != null ? ascii(out, h.getValue()) : value(out, h.getValue());
            out = ascii(out, "\r\n");
        }
        return ascii(out, "\r\n");
    }

    /** Appends the line that starts a chunk of {@code size} bytes. */
    public static ByteBuffer chunkStart(ByteBuffer out, int size) {
        out = ascii(out, Integer.toHexString(size));
        out = room(out, 2);
        return out.put(CRLF);
    }

    /** Appends the CRLF that ends a chunk's data. */
    public static ByteBuffer chunkEnd(ByteBuffer out) {
        out = room(out, 2);
        return out.put(CRLF);
    }

    /** Appends the last chunk, its trailer fields (may be null) and the empty line that ends the body. */
    public static ByteBuffer lastChunk(ByteBuffer out, List<? extends Header> trailers) {
        out = ascii(out, "0\r\n");
        if (trailers != null) {
            for (Header h : trailers) {
                out = ascii(out, h.getName());
                out = ascii(out, ": ");
                out = value(out, h.getValue());
                out = ascii(out, "\r\n");
            }
        }
        return chunkEnd(out);
    }

    /** Appends {@code s}, one byte per character; returns {@code out} or a larger copy of it. */
    public static ByteBuffer ascii(ByteBuffer out, String s) {
        int n = s.length();
        out = room(out, n);
        copy(s, out);
        return out;
    }

    private static ByteBuffer value(ByteBuffer out, String s) {
        if (s == null) {
            return out;
        }
        int n = s.length();
        out = room(out, n);
        byte[] a = out.array();
        int start = out.arrayOffset() + out.position();
        copy(s, out);
        for (int i = start; i < start + n; i++) {
            byte b = a[i];
            if (b == '\r' || b == '\n' || b == '\f' || b == 0x0b) {
                a[i] = ' ';
            }
        }
        return out;
    }

    /**
     * Copies the low byte of each character into {@code out}'s array (room is there). {@code String.getBytes(int,
     * int, byte[], int)} does exactly that, as one array copy for a Latin-1 string: writing byte by byte through the
     * buffer cost 14 % of the I/O threads' samples for small answers (JFR).
     */
    @SuppressWarnings("deprecation")
    private static void copy(String s, ByteBuffer out) {
        int n = s.length();
        s.getBytes(0, n, out.array(), out.arrayOffset() + out.position());
        out.position(out.position() + n);
    }

    /** {@code out}, or a larger copy of it, with room for {@code n} more bytes. */
    public static ByteBuffer room(ByteBuffer out, int n) {
        if (out.remaining() >= n) {
            return out;
        }
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + n + 256));
        return bigger.put(out.flip());
    }
}
