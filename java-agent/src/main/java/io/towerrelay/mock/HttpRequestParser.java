package io.towerrelay.mock;

import io.towerrelay.http.TokenChars;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses one HTTP/1.x request (head and body) from the front of a buffer. Strict where leniency lets
 * requests be smuggled (whitespace before the colon, folded lines, both Content-Length and
 * Transfer-Encoding): a mock that accepted those would hide proxy bugs.
 */
final class HttpRequestParser {

    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final int MAX_HEADERS = 100;
    static final int MAX_BODY_BYTES = 1024 * 1024;

    /** What parsing the bytes so far gave. */
    sealed interface Result permits Incomplete, Failed, Parsed {}

    /**
     * More bytes are needed. {@code awaitsContinue}: the head is complete, the body is not, and the
     * client sent {@code Expect: 100-continue}, so it may wait for a 100 before sending the body.
     */
    record Incomplete(boolean awaitsContinue) implements Result {}

    /** The request is malformed: answer with this status, then close. */
    record Failed(int status, String reason) implements Result {}

    /** A whole request; it took {@code consumed} bytes, of which {@code headLength} were the head. */
    record Parsed(HttpRequest request, int headLength, int consumed) implements Result {}

    private static final Incomplete INCOMPLETE = new Incomplete(false);

    private HttpRequestParser() {}

    /** Looks at {@code buf} from its position to its limit without moving either. */
    static Result parse(ByteBuffer buf, InetSocketAddress peer) {
        int start = buf.position();
        int available = buf.remaining();
        int headEnd = findHeadEnd(buf, start, Math.min(available, MAX_HEAD_BYTES));
        if (headEnd < 0) {
            return available >= MAX_HEAD_BYTES ? new Failed(431, "request head larger than " + MAX_HEAD_BYTES + " bytes") : INCOMPLETE;
        }
        int headLength = headEnd - start;
        byte[] headBytes = new byte[headLength];
        buf.duplicate().position(start).get(headBytes);
        String[] lines = new String(headBytes, StandardCharsets.ISO_8859_1).split("\r?\n", -1);

        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || !TokenChars.isToken(requestLine[0]) || requestLine[1].isEmpty()) {
            return new Failed(400, "malformed request line");
        }
        String version = requestLine[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            return new Failed(505, "unsupported HTTP version " + printable(version));
        }
        List<HttpHeader> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue; // the empty lines that end the head
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                return new Failed(400, "folded header line");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !TokenChars.isToken(line.substring(0, colon))) {
                return new Failed(400, "malformed header line");
            }
            if (headers.size() == MAX_HEADERS) {
                return new Failed(431, "more than " + MAX_HEADERS + " header lines");
            }
            headers.add(new HttpHeader(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        HttpRequest head = new HttpRequest(requestLine[0], requestLine[1], version, headers, new byte[0], peer);
        if (version.equals("HTTP/1.1") && head.headerValues("Host").size() != 1) {
            return new Failed(400, "HTTP/1.1 request needs exactly one Host header");
        }

        List<String> lengths = head.headerValues("Content-Length");
        List<String> encodings = head.headerValues("Transfer-Encoding");
        if (!lengths.isEmpty() && !encodings.isEmpty()) {
            return new Failed(400, "both Content-Length and Transfer-Encoding");
        }
        int bodyStart = headEnd;
        if (!encodings.isEmpty()) {
            if (encodings.size() != 1 || !encodings.get(0).equalsIgnoreCase("chunked")) {
                return new Failed(501, "unsupported Transfer-Encoding " + printable(String.join(", ", encodings)));
            }
            return parseChunked(buf, head, headLength, bodyStart);
        }
        long length = 0;
        if (!lengths.isEmpty()) {
            try {
                length = Long.parseLong(lengths.get(0));
            } catch (NumberFormatException e) {
                return new Failed(400, "bad Content-Length");
            }
            for (String other : lengths) {
                if (!other.equals(lengths.get(0))) {
                    return new Failed(400, "conflicting Content-Length headers");
                }
            }
            if (length < 0) {
                return new Failed(400, "bad Content-Length");
            }
            if (length > MAX_BODY_BYTES) {
                return new Failed(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
            }
        }
        int end = bodyStart + (int) length;
        if (buf.limit() < end) {
            return bodyPending(head);
        }
        byte[] body = new byte[(int) length];
        buf.duplicate().position(bodyStart).get(body);
        return new Parsed(withBody(head, body), headLength, end - start);
    }

    private static Result parseChunked(ByteBuffer buf, HttpRequest head, int headLength, int pos) {
        ByteBuffer body = ByteBuffer.allocate(0);
        int limit = buf.limit();
        while (true) {
            int lineEnd = findLineEnd(buf, pos, limit);
            if (lineEnd < 0) {
                return bodyPending(head);
            }
            String sizeLine = new String(bytes(buf, pos, lineEnd), StandardCharsets.ISO_8859_1);
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                return new Failed(400, "bad chunk size");
            }
            if (size < 0 || body.position() + (long) size > MAX_BODY_BYTES) {
                return new Failed(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            pos = skipLineBreak(buf, lineEnd);
            if (size == 0) {
                // Trailer section: lines until an empty one. Trailers are read and dropped.
                while (true) {
                    int trailerEnd = findLineEnd(buf, pos, limit);
                    if (trailerEnd < 0) {
                        return bodyPending(head);
                    }
                    boolean empty = trailerEnd == pos;
                    pos = skipLineBreak(buf, trailerEnd);
                    if (empty) {
                        byte[] all = new byte[body.position()];
                        body.flip().get(all);
                        return new Parsed(withBody(head, all), headLength, pos - buf.position());
                    }
                }
            }
            if (limit < pos + size + 2) {
                return bodyPending(head);
            }
            if (body.remaining() < size) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(body.capacity() * 2, body.position() + size));
                body.flip();
                bigger.put(body);
                body = bigger;
            }
            body.put(bytes(buf, pos, pos + size));
            pos += size;
            if (buf.get(pos) == '\r' && buf.get(pos + 1) == '\n') {
                pos += 2;
            } else {
                return new Failed(400, "chunk not followed by CRLF");
            }
        }
    }

    private static Incomplete bodyPending(HttpRequest head) {
        return new Incomplete(head.header("Expect").map(v -> v.equalsIgnoreCase("100-continue")).orElse(false));
    }

    private static HttpRequest withBody(HttpRequest head, byte[] body) {
        return new HttpRequest(head.method(), head.target(), head.version(), head.headers(), body, head.peer());
    }

    /** Index just past the blank line that ends the head, or -1. Accepts CRLF and bare LF. */
    private static int findHeadEnd(ByteBuffer buf, int start, int length) {
        int end = start + length;
        for (int i = start; i < end; i++) {
            if (buf.get(i) != '\n') {
                continue;
            }
            if (i + 1 < end && buf.get(i + 1) == '\n') {
                return i + 2;
            }
            if (i + 2 < end && buf.get(i + 1) == '\r' && buf.get(i + 2) == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** Index of the CR (or LF) ending the line that starts at {@code from}, or -1. */
    private static int findLineEnd(ByteBuffer buf, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (buf.get(i) == '\n') {
                return i > from && buf.get(i - 1) == '\r' ? i - 1 : i;
            }
        }
        return -1;
    }

    private static int skipLineBreak(ByteBuffer buf, int lineEnd) {
        return buf.get(lineEnd) == '\r' ? lineEnd + 2 : lineEnd + 1;
    }

    private static byte[] bytes(ByteBuffer buf, int from, int to) {
        byte[] out = new byte[to - from];
        buf.duplicate().position(from).get(out);
        return out;
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
