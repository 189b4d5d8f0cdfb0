package io.towerrelay.tunnel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolException;

/**
 * Takes the body of a refused handshake's response off the wire (RFC 7230 section 3.3.3): by
 * {@code Content-Length}, chunked, or until the upstream closes. Only the payload comes out; HttpCore5 frames
 * it again for the client.
 */
abstract class BodyDecoder {

    /**
     * Moves payload bytes from {@code in} (read mode) to {@code out} (fill mode) while both allow.
     *
     * @return true when the body is complete
     */
    abstract boolean decode(ByteBuffer in, ByteBuffer out, boolean endOfStream) throws ProtocolException;

    /** -1 when unknown. */
    abstract long length();

    static BodyDecoder forResponse(HttpResponse response) throws ProtocolException {
        int code = response.getCode();
        if (code == 204 || code == 304) {
            return new Sized(0);
        }
        if (response.containsHeader("Transfer-Encoding")) {
            String te = response.getLastHeader("Transfer-Encoding").getValue().trim().toLowerCase(Locale.ROOT);
            if (!te.endsWith("chunked")) {
                return new UntilClose();
            }
            return new Chunked();
        }
        if (response.containsHeader("Content-Length")) {
            try {
                long length = Long.parseLong(response.getFirstHeader("Content-Length").getValue().trim());
                if (length < 0) {
                    throw new NumberFormatException();
                }
                return new Sized(length);
            } catch (NumberFormatException ex) {
                throw new ProtocolException("Invalid Content-Length in upstream response");
            }
        }
        return new UntilClose();
    }

    static int copy(ByteBuffer in, ByteBuffer out, long limit) {
        int n = (int) Math.min(Math.min(in.remaining(), out.remaining()), limit);
        if (n > 0) {
            ByteBuffer slice = in.duplicate();
            slice.limit(in.position() + n);
            out.put(slice);
            in.position(in.position() + n);
        }
        return n;
    }

    static final class Sized extends BodyDecoder {
        private final long length;
        private long remaining;

        Sized(long length) {
            this.length = length;
            this.remaining = length;
        }

        @Override
        boolean decode(ByteBuffer in, ByteBuffer out, boolean endOfStream) throws ProtocolException {
            remaining -= copy(in, out, remaining);
            if (remaining > 0 && endOfStream && !in.hasRemaining()) {
                throw new ProtocolException("Upstream closed with " + remaining + " body bytes missing");
            }
            return remaining == 0;
        }

        @Override
        long length() {
            return length;
        }
    }

    static final class UntilClose extends BodyDecoder {
        @Override
        boolean decode(ByteBuffer in, ByteBuffer out, boolean endOfStream) {
            copy(in, out, Long.MAX_VALUE);
            return endOfStream && !in.hasRemaining();
        }

        @Override
        long length() {
            return -1;
        }
    }

    static final class Chunked extends BodyDecoder {
        private static final int MAX_LINE = 4096;

        private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

        private State state = State.SIZE;
        private long chunkRemaining;

        @Override
        boolean decode(ByteBuffer in, ByteBuffer out, boolean endOfStream) throws ProtocolException {
            for (;;) {
                switch (state) {
                    case SIZE -> {
                        String line = line(in);
                        if (line == null) {
                            return incomplete(in, endOfStream);
                        }
                        int semicolon = line.indexOf(';');
                        String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).trim();
                        try {
                            chunkRemaining = Long.parseLong(hex, 16);
                        } catch (NumberFormatException ex) {
                            throw new ProtocolException("Invalid chunk size from upstream: " + hex);
                        }
                        if (chunkRemaining < 0) {
                            throw new ProtocolException("Invalid chunk size from upstream: " + hex);
                        }
                        state = chunkRemaining == 0 ? State.TRAILER : State.DATA;
                    }
                    case DATA -> {
                        chunkRemaining -= copy(in, out, chunkRemaining);
                        if (chunkRemaining > 0) {
                            return incomplete(in, endOfStream);
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
                        }
                    }
                    case DONE -> {
                        return true;
                    }
                    default -> throw new IllegalStateException();
                }
            }
        }

        private static boolean incomplete(ByteBuffer in, boolean endOfStream) throws ProtocolException {
            if (endOfStream && !in.hasRemaining()) {
                throw new ProtocolException("Upstream closed inside a chunked body");
            }
            return false;
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

        @Override
        long length() {
            return -1;
        }
    }
}
