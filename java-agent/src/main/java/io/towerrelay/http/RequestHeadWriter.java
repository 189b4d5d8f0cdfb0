package io.towerrelay.http;

import java.nio.ByteBuffer;
import java.util.Iterator;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;

/**
 * Writes an HTTP/1.1 request head as bytes, one byte per character ({@link HeadBytes}): the request line with the
 * request's own target, then its fields in order. A CR, LF, FF or VT inside a field value becomes a space, as
 * HttpCore5's formatter does, so that no value can end a line (the edge refuses such requests before this).
 */
public final class RequestHeadWriter {

    private RequestHeadWriter() {
    }

    /** Appends {@code request}'s head to {@code out} (fill mode); returns {@code out} or a larger copy of it. */
    public static ByteBuffer append(HttpRequest request, ByteBuffer out) {
        out = ascii(out, request.getMethod());
        out = ascii(out, " ");
        out = ascii(out, request.getRequestUri());
        out = ascii(out, " HTTP/1.1\r\n"); // the relay speaks HTTP/1.1 upstream whatever the client spoke
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header h = it.next();
            out = ascii(out, h.getName());
            out = ascii(out, ": ");
            out = value(out, h.getValue());
            out = ascii(out, "\r\n");
        }
        return ascii(out, "\r\n");
    }

    /** Appends {@code s}, one byte per character; returns {@code out} or a larger copy of it. */
    public static ByteBuffer ascii(ByteBuffer out, String s) {
        out = room(out, s.length());
        for (int i = 0; i < s.length(); i++) {
            out.put((byte) s.charAt(i));
        }
        return out;
    }

    private static ByteBuffer value(ByteBuffer out, String s) {
        if (s == null) {
            return out;
        }
        out = room(out, s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.put(c == '\r' || c == '\n' || c == '\f' || c == 0x0b ? (byte) ' ' : (byte) c);
        }
        return out;
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
