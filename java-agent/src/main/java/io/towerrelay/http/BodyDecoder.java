package io.towerrelay.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * Takes a response body off the wire (RFC 9112 section 6.3): by {@code Content-Length}, chunked, or until the
 * upstream closes. Only the payload comes out, in place: {@link #payloadAhead} steps over framing and says how many
 * payload bytes follow in the input, so the caller hands on a slice of its own buffer instead of a copy. A chunked
 * body's trailer fields are kept ({@link #trailers}).
 */
public abstract class BodyDecoder {
    /** A chunk-size or trailer line longer than this is an error. */
    private static final int MAX_LINE = 4096;
    private static final int MAX_TRAILERS = 100;

    /**
     * Steps over framing at {@code in}'s position (read mode) and returns how many payload bytes follow there now.
     * 0 when more input is needed or the body is complete ({@link #complete()}). The caller moves {@code in} past
     * the bytes it takes and says so with {@link #took}.
     *
     * @param endOfStream the peer closed after what {@code in} holds
     * @throws ProtocolException on bad framing, or a close before the body's end
     */
    public abstract int payloadAhead(ByteBuffer in, boolean endOfStream) throws ProtocolException;

    /** The caller took {@code n} of the payload bytes {@link #payloadAhead} announced. */
    public abstract void took(int n);

    /** The whole body, and for chunked its trailer section, was read. */
    public abstract boolean complete();

    /**
     * How many of the next bytes on the wire are payload with no framing among them, once the caller's input holds
     * nothing more of the body: that many may be read from the socket straight into the consumer's buffer, and
     * reported with {@link #took}. 0 when framing comes next (a chunk-size line, trailers) or the body is complete.
     */
    public abstract long payloadOnWire();

    /** The body's length, -1 when not known in advance. */
    public abstract long length();

    /** The body is chunked. */
    public boolean chunked() {
        return false;
    }

    /** A chunked body's trailer fields, once {@link #complete()}; none for the others. */
    public List<Header> trailers() {
        return List.of();
    }

    /**
     * Moves payload bytes from {@code in} (read mode) to {@code out} (fill mode) while both allow.
     *
     * @return true when the body is complete
     */
    public boolean decode(ByteBuffer in, ByteBuffer out, boolean endOfStream) throws ProtocolException {
        for (;;) {
            int n = Math.min(payloadAhead(in, endOfStream), out.remaining());
            if (n == 0) {
                return complete();
            }
            out.put(out.position(), in, in.position(), n);
            out.position(out.position() + n);
            in.position(in.position() + n);
            took(n);
        }
    }

    /** The body of a response to a GET (a refused WebSocket handshake). */
    public static BodyDecoder forResponse(HttpResponse response) throws ProtocolException {
        return forResponse(response, false);
    }

    /**
     * The body of {@code response} (RFC 9112 section 6.3); an empty one ({@link #length()} 0) for a response to HEAD
     * and for 204 and 304. {@code Transfer-Encoding} wins over {@code Content-Length}; a transfer coding that does
     * not end in chunked runs until the close; several {@code Content-Length} values must agree.
     */
    public static BodyDecoder forResponse(HttpResponse response, boolean headRequest) throws ProtocolException {
        int code = response.getCode();
        if (headRequest || code == 204 || code == 304) {
            return new Sized(0);
        }
        Header te = response.getLastHeader("Transfer-Encoding");
        if (te != null) {
            return te.getValue().trim().toLowerCase(Locale.ROOT).endsWith("chunked") ? new Chunked() : new UntilClose();
        }
        long length = contentLength(response);
        return length >= 0 ? new Sized(length) : new UntilClose();
    }

    /**
     * The body of a request whose framing {@link RequestFraming#check} accepted: chunked with Transfer-Encoding,
     * else as long as its Content-Length; null when it has none (no Content-Length, or 0).
     */
    public static BodyDecoder forRequest(HttpRequest request) throws ProtocolException {
        if (request.containsHeader("Transfer-Encoding")) {
            return new Chunked();
        }
        Header length = request.getFirstHeader("Content-Length");
        if (length == null) {
            return null;
        }
        long n = parseLength(length.getValue().trim());
        return n == 0 ? null : new Sized(n);
    }

    /** The response's Content-Length, or -1 without one. */
    private static long contentLength(HttpResponse response) throws ProtocolException {
        // Nearly every answer has one plain number: read it without the lists and splits of the general case.
        Header only = response.countHeaders("Content-Length") == 1 ? response.getFirstHeader("Content-Length") : null;
        if (only != null && only.getValue().indexOf(',') < 0) {
            return parseLength(only.getValue().trim());
        }
        long length = -1;
        for (Header h : response.getHeaders("Content-Length")) {
            for (String part : h.getValue().split(",", -1)) {
                long value = parseLength(part.trim());
                if (length >= 0 && value != length) {
                    throw new ProtocolException("Content-Length values disagree in upstream response");
                }
                length = value;
            }
        }
        return length;
    }

    private static long parseLength(String digits) throws ProtocolException {
        if (digits.isEmpty() || digits.length() > 18) {
            throw new ProtocolException("Invalid Content-Length in upstream response");
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProtocolException("Invalid Content-Length in upstream response");
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    static final class Sized extends BodyDecoder {
        private final long length;
        private long remaining;

        Sized(long length) {
            this.length = length;
            this.remaining = length;
        }

        @Override
        public int payloadAhead(ByteBuffer in, boolean endOfStream) throws ProtocolException {
            int n = (int) Math.min(remaining, in.remaining());
            if (n == 0 && remaining > 0 && endOfStream) {
                throw new ProtocolException("Upstream closed with " + remaining + " body bytes missing");
            }
            return n;
        }

        @Override
        public void took(int n) {
            remaining -= n;
        }

        @Override
        public boolean complete() {
            return remaining == 0;
        }

        @Override
        public long payloadOnWire() {
            return remaining;
        }

        @Override
        public long length() {
            return length;
        }
    }

    static final class UntilClose extends BodyDecoder {
        private boolean ended;

        @Override
        public int payloadAhead(ByteBuffer in, boolean endOfStream) {
            ended = endOfStream && !in.hasRemaining();
            return in.remaining();
        }

        @Override
        public void took(int n) {
        }

        @Override
        public boolean complete() {
            return ended;
        }

        @Override
        public long payloadOnWire() {
            return ended ? 0 : Long.MAX_VALUE;
        }

        @Override
        public long length() {
            return -1;
        }
    }

    static final class Chunked extends BodyDecoder {
        private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

        private State state = State.SIZE;
        private long chunkRemaining;
        private List<Header> trailers;

        @Override
        public int payloadAhead(ByteBuffer in, boolean endOfStream) throws ProtocolException {
            for (;;) {
                switch (state) {
                    case SIZE -> {
                        String line = line(in);
                        if (line == null) {
                            return incomplete(in, endOfStream);
                        }
                        chunkRemaining = chunkSize(line);
                        state = chunkRemaining == 0 ? State.TRAILER : State.DATA;
                    }
                    case DATA -> {
                        if (chunkRemaining > 0) {
                            int n = (int) Math.min(chunkRemaining, in.remaining());
                            return n > 0 ? n : incomplete(in, endOfStream);
                        }
                        state = State.DATA_END;
                    }
                    case DATA_END -> {
                        String line = line(in);
                        if (line == null) {
                            return incomplete(in, endOfStream);
                        }
                        if (!line.isEmpty()) {
                            throw new ProtocolException("Chunk not followed by CRLF");
                        }
                        state = State.SIZE;
                    }
                    case TRAILER -> {
                        String line = line(in);
                        if (line == null) {
                            return incomplete(in, endOfStream);
                        }
                        if (line.isEmpty()) {
                            state = State.DONE;
                        } else {
                            trailer(line);
                        }
                    }
                    case DONE -> {
                        return 0;
                    }
                    default -> throw new IllegalStateException();
                }
            }
        }

        @Override
        public void took(int n) {
            chunkRemaining -= n;
        }

        @Override
        public boolean complete() {
            return state == State.DONE;
        }

        @Override
        public long payloadOnWire() {
            return state == State.DATA ? chunkRemaining : 0;
        }

        @Override
        public long length() {
            return -1;
        }

        @Override
        public boolean chunked() {
            return true;
        }

        @Override
        public List<Header> trailers() {
            return trailers == null ? List.of() : trailers;
        }

        private void trailer(String line) throws ProtocolException {
            int colon = line.indexOf(':');
            if (colon <= 0 || !TokenChars.isToken(line.substring(0, colon))) {
                throw new ProtocolException("Invalid trailer field");
            }
            if (trailers == null) {
                trailers = new ArrayList<>(2);
            }
            if (trailers.size() == MAX_TRAILERS) {
                throw new ProtocolException("More than " + MAX_TRAILERS + " trailer fields");
            }
            trailers.add(new BasicHeader(line.substring(0, colon), line.substring(colon + 1).trim()));
        }

        private static long chunkSize(String line) throws ProtocolException {
            int end = 0;
            while (end < line.length() && Character.digit(line.charAt(end), 16) >= 0) {
                end++;
            }
            String rest = line.substring(end).trim();
            if (end == 0 || end > 15 || !(rest.isEmpty() || rest.charAt(0) == ';')) {
                throw new ProtocolException("Invalid chunk size: " + line);
            }
            return Long.parseLong(line, 0, end, 16);
        }

        private static int incomplete(ByteBuffer in, boolean endOfStream) throws ProtocolException {
            if (endOfStream) {
                throw new ProtocolException("Connection closed inside a chunked body");
            }
            return 0;
        }

        /** One CRLF-terminated line from {@code in}, or null (nothing consumed) when it is not all there yet. */
        private static String line(ByteBuffer in) throws ProtocolException {
            for (int i = in.position(); i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    int end = i > in.position() && in.get(i - 1) == '\r' ? i - 1 : i;
                    byte[] bytes = new byte[end - in.position()];
                    in.get(bytes);
                    in.position(i + 1);
                    return new String(bytes, StandardCharsets.ISO_8859_1);
                }
            }
            if (in.remaining() > MAX_LINE) {
                throw new ProtocolException("Chunk header line too long");
            }
            return null;
        }
    }
}
