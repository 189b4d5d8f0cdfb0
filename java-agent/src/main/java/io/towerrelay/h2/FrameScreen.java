package io.towerrelay.h2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http2.H2Error;
import org.apache.hc.core5.http2.hpack.HPackDecoder;
import org.apache.hc.core5.http2.hpack.HPackEncoder;
import org.apache.hc.core5.util.ByteArrayBuffer;
import java.nio.charset.CharacterCodingException;
import org.apache.hc.core5.http2.hpack.HPackException;
import org.apache.hc.core5.http2.hpack.HeaderListConstraintException;

/**
 * Judges each frame a client sends before HttpCore5's multiplexer sees it, for what RFC 9113 and RFC 7541 require
 * and HttpCore5 5.4.4 gets wrong: it closes the connection on frame types it does not know (they must be ignored,
 * §5.5) and accepts frames it must refuse (PRIORITY on stream 0, a stream depending on itself, SETTINGS ACK with a
 * payload, PUSH_PROMISE from a client, invalid HPACK). It also enforces what no setting bounds (see
 * {@link H2Limits}): header block size, and the rate of frames a client can send without a request. One instance
 * per connection, on its I/O thread.
 */
final class FrameScreen {
    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int PRIORITY = 2;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PUSH_PROMISE = 5;
    static final int PING = 6;
    static final int GOAWAY = 7;
    static final int WINDOW_UPDATE = 8;
    static final int CONTINUATION = 9;
    /** RFC 9218; HttpCore5 5.4.4 knows it. Other types (ALTSVC, ORIGIN, anything new) are dropped here. */
    static final int PRIORITY_UPDATE = 16;

    private static final int FLAG_ACK = 0x1;
    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;

    /** What to do with a frame. */
    record Verdict(boolean forward, H2Error error, String reason, int resetStream, ByteBuffer replacement) {
        static final Verdict FORWARD = new Verdict(true, null, null, 0, null);
        static final Verdict DROP = new Verdict(false, null, null, 0, null);

        /** A connection error: GOAWAY with this code. */
        static Verdict fail(H2Error error, String reason) {
            return new Verdict(false, error, reason, 0, null);
        }

        /** A stream error: that stream alone is reset with this code, the connection goes on. */
        static Verdict reset(int streamId, H2Error error, String reason) {
            return new Verdict(false, error, reason, streamId, null);
        }

        /** These frames go to the multiplexer instead of the one judged. */
        static Verdict replace(ByteBuffer frames) {
            return new Verdict(false, null, null, 0, frames);
        }

        boolean failed() {
            return error != null && resetStream == 0;
        }

        boolean resets() {
            return resetStream != 0;
        }
    }

    private final H2Limits limits;
    private final HpackCheck hpack;
    private final TokenBucket control;
    private final TokenBucket resets;
    /** The stream whose header block is open (HEADERS without END_HEADERS), else 0. */
    private int headerBlockStream;
    /** The open header block's fragments so far (only while one is open, bounded by maxHeaderBlockBytes). */
    private ByteBuffer headerBlock;
    /** CONTINUATION frames in the open header block so far. */
    private int continuations;
    /** The open header block's HEADERS frame had END_STREAM. */
    private boolean headerBlockEndsStream;
    /** The highest stream id the client opened. */
    private int lastStreamId;
    /** Decodes every header block, as the multiplexer will, to judge the fields (it keeps the same HPACK table). */
    private final HPackDecoder decoder;
    /** Encodes each block again for the multiplexer (see reencoded). */
    private final HPackEncoder encoder;
    /** The client's SETTINGS_INITIAL_WINDOW_SIZE (the relay's send window for a new stream). */
    private long peerInitialWindow = 65_535;
    /** Per stream the client opened: its increments minus the DATA the relay sent, on top of peerInitialWindow. */
    private final TreeMap<Integer, long[]> sendCredit = new TreeMap<>();
    /** Request streams the client has not ended: declared content-length (-1: none) and body bytes so far. */
    private final TreeMap<Integer, long[]> open = new TreeMap<>();

    FrameScreen(H2Limits limits, LongSupplier nanoClock) {
        this.limits = limits;
        this.hpack = new HpackCheck(limits.headerTableSize());
        // ISO-8859-1 both ways: every byte of a field value passes unchanged to the multiplexer.
        this.decoder = new HPackDecoder(limits.headerTableSize(), StandardCharsets.ISO_8859_1);
        this.encoder = new HPackEncoder(limits.headerTableSize(), StandardCharsets.ISO_8859_1);
        this.decoder.setMaxListSize(limits.maxHeaderListSize());
        this.control = new TokenBucket(limits.controlBurst(), limits.controlPerSecond(), nanoClock);
        this.resets = new TokenBucket(limits.resetBurst(), limits.resetsPerSecond(), nanoClock);
    }

    /** A frame head's length is judged before its payload is read, so an oversized one is never buffered. */
    Verdict checkLength(int type, int length) {
        if (length > limits.maxFrameSize()) {
            return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "frame of " + length + " bytes, above SETTINGS_MAX_FRAME_SIZE ("
                    + limits.maxFrameSize() + ")");
        }
        return null;
    }

    /**
     * @param streamId the stream id with the reserved bit cleared
     * @param payload  the frame's payload, position at its start (not moved)
     */
    Verdict check(int type, int flags, int streamId, ByteBuffer payload) {
        int length = payload.remaining();
        if (headerBlockStream != 0 && (type != CONTINUATION || streamId != headerBlockStream)) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "frame of type " + type + " inside the header block of stream "
                    + headerBlockStream);
        }
        switch (type) {
            case DATA:
                if (streamId == 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "DATA on stream 0");
                }
                if (streamId > lastStreamId) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "DATA on idle stream " + streamId);
                }
                Verdict padded = padding(flags, payload, 0);
                return padded.failed() ? padded : body(streamId, flags, payload);
            case HEADERS:
                return headers(flags, streamId, payload);
            case PRIORITY:
                if (streamId == 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "PRIORITY on stream 0");
                }
                if (length != 5) {
                    return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "PRIORITY of " + length + " bytes");
                }
                if ((payload.getInt(payload.position()) & 0x7fffffff) == streamId) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "stream " + streamId + " depends on itself");
                }
                return spend(control, "PRIORITY");
            case RST_STREAM:
                if (streamId == 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "RST_STREAM on stream 0");
                }
                if (length != 4) {
                    return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "RST_STREAM of " + length + " bytes");
                }
                if (streamId > lastStreamId) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "RST_STREAM on idle stream " + streamId);
                }
                open.remove(streamId);
                return spend(resets, "RST_STREAM (rapid reset)");
            case SETTINGS:
                return settings(flags, streamId, payload);
            case PUSH_PROMISE:
                return Verdict.fail(H2Error.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
            case PING:
                if (length != 8) {
                    return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "PING of " + length + " bytes");
                }
                if (streamId != 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "PING on stream " + streamId);
                }
                return (flags & FLAG_ACK) != 0 ? Verdict.FORWARD : spend(control, "PING");
            case GOAWAY:
                if (streamId != 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "GOAWAY on stream " + streamId);
                }
                return Verdict.FORWARD;
            case WINDOW_UPDATE:
                if (length != 4) {
                    return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "WINDOW_UPDATE of " + length + " bytes");
                }
                if (streamId > lastStreamId) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "WINDOW_UPDATE on idle stream " + streamId);
                }
                return windowUpdate(streamId, payload.getInt(payload.position()) & 0x7fffffff);
            case CONTINUATION:
                if (headerBlockStream == 0) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "CONTINUATION without an open header block");
                }
                if (++continuations > limits.maxContinuations()) {
                    headerBlockStream = 0;
                    headerBlock = null;
                    return Verdict.fail(H2Error.ENHANCE_YOUR_CALM, "more than " + limits.maxContinuations()
                            + " CONTINUATION frames in one header block");
                }
                return fragment(flags, payload);
            case PRIORITY_UPDATE:
                return spend(control, "PRIORITY_UPDATE");
            default:
                return Verdict.DROP; // RFC 9113 §5.5: unknown frame types are ignored
        }
    }

    private Verdict headers(int flags, int streamId, ByteBuffer payload) {
        if (streamId == 0) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "HEADERS on stream 0");
        }
        if ((streamId & 1) == 0) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "HEADERS on even-numbered stream " + streamId);
        }
        int skip = 0;
        if ((flags & FLAG_PRIORITY) != 0) {
            int offset = (flags & FLAG_PADDED) != 0 ? 1 : 0;
            if (payload.remaining() < offset + 5) {
                return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "HEADERS too short for its priority fields");
            }
            if ((payload.getInt(payload.position() + offset) & 0x7fffffff) == streamId) {
                return Verdict.fail(H2Error.PROTOCOL_ERROR, "stream " + streamId + " depends on itself");
            }
            skip = 5;
        }
        Verdict padding = padding(flags, payload, skip);
        if (padding.failed()) {
            return padding;
        }
        if (streamId > lastStreamId) {
            lastStreamId = streamId;
            sendCredit.put(streamId, new long[1]);
            while (sendCredit.size() > 2 * limits.maxConcurrentStreams()) {
                sendCredit.pollFirstEntry(); // long finished; HttpCore5 alone judges their windows
            }
        }
        int pad = (flags & FLAG_PADDED) != 0 ? payload.get(payload.position()) & 0xff : 0;
        int start = payload.position() + ((flags & FLAG_PADDED) != 0 ? 1 : 0) + skip;
        int end = payload.limit() - pad;
        headerBlockStream = streamId;
        continuations = 0;
        headerBlockEndsStream = (flags & FLAG_END_STREAM) != 0;
        headerBlock = ByteBuffer.allocate(Math.min(limits.maxHeaderBlockBytes(), Math.max(1024, end - start)));
        return fragment(flags, payload.duplicate().position(start).limit(end));
    }

    /** Adds a header block fragment; when the block ends, checks it. */
    private Verdict fragment(int flags, ByteBuffer fragment) {
        if (headerBlock.position() + fragment.remaining() > limits.maxHeaderBlockBytes()) {
            headerBlockStream = 0;
            headerBlock = null;
            return Verdict.fail(H2Error.ENHANCE_YOUR_CALM, "header block larger than " + limits.maxHeaderBlockBytes() + " bytes");
        }
        if (headerBlock.remaining() < fragment.remaining()) {
            int capacity = Math.min(limits.maxHeaderBlockBytes(), Math.max(headerBlock.capacity() * 2,
                    headerBlock.position() + fragment.remaining()));
            headerBlock = ByteBuffer.allocate(capacity).put(headerBlock.flip());
        }
        headerBlock.put(fragment.duplicate());
        if ((flags & FLAG_END_HEADERS) == 0) {
            return Verdict.DROP; // held: the whole block goes to the multiplexer re-encoded when it ends
        }
        int streamId = headerBlockStream;
        ByteBuffer block = headerBlock.flip();
        headerBlockStream = 0;
        headerBlock = null;
        String problem = hpack.problem(block);
        if (problem != null) {
            return Verdict.fail(H2Error.COMPRESSION_ERROR, problem);
        }
        List<Header> fields;
        try {
            fields = decoder.decodeHeaders(block);
        } catch (HeaderListConstraintException e) {
            return Verdict.fail(H2Error.ENHANCE_YOUR_CALM, "header list larger than " + limits.maxHeaderListSize() + " bytes");
        } catch (HPackException e) {
            return Verdict.fail(H2Error.COMPRESSION_ERROR, e.getMessage());
        }
        boolean trailers = open.containsKey(streamId);
        Verdict verdict = request(streamId, headerBlockEndsStream, fields);
        if (!verdict.forward()) {
            return verdict;
        }
        return Verdict.replace(trailers ? endOfBody(streamId) : reencoded(streamId, headerBlockEndsStream, fields));
    }

    /**
     * The block as the multiplexer gets it: the decoded fields encoded again with the screen's own encoder, in a
     * HEADERS frame (and CONTINUATIONs past SETTINGS_MAX_FRAME_SIZE) without padding or priority. HttpCore5's
     * HPACK decoder then follows the screen's encoder, not the client's, so the screen may keep a block from it
     * (request trailers, below) without the two tables parting.
     */
    private ByteBuffer reencoded(int streamId, boolean endsStream, List<Header> fields) {
        ByteArrayBuffer block = new ByteArrayBuffer(256);
        try {
            encoder.encodeHeaders(block, fields, true);
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("ISO-8859-1 encodes every decoded field", e);
        }
        int max = limits.maxFrameSize();
        int frames = Math.max(1, (block.length() + max - 1) / max);
        ByteBuffer out = ByteBuffer.allocate(block.length() + 9 * frames);
        for (int at = 0, i = 0; i == 0 || at < block.length(); i++) {
            int n = Math.min(max, block.length() - at);
            boolean last = at + n >= block.length();
            int type = i == 0 ? HEADERS : CONTINUATION;
            int flags = (last ? FLAG_END_HEADERS : 0) | (i == 0 && endsStream ? FLAG_END_STREAM : 0);
            out.put((byte) (n >>> 16)).put((byte) (n >>> 8)).put((byte) n).put((byte) type).put((byte) flags).putInt(streamId);
            out.put(block.array(), at, n);
            at += n;
        }
        return out.flip();
    }

    /**
     * Request trailers end the body with an empty DATA frame instead: HttpCore5 5.4.4's server stream handler, given
     * trailers, marks the response complete instead of the request (ServerH2StreamHandler.consumeHeader), and a
     * response not yet sent then never gets its body. Tower does not read request trailers; browsers cannot send
     * them.
     */
    private static ByteBuffer endOfBody(int streamId) {
        ByteBuffer frame = ByteBuffer.allocate(9);
        frame.put((byte) 0).putShort((short) 0).put((byte) DATA).put((byte) FLAG_END_STREAM).putInt(streamId);
        return frame.flip();
    }

    /**
     * A complete header block: a request's head, or trailers when the stream already has one. Malformed requests
     * are stream errors (RFC 9113 §8.1.1); the screen ends the connection for them, which RFC 9113 allows (§5.4.1)
     * and which costs a client that sends them nothing it could rely on.
     */
    private Verdict request(int streamId, boolean endsStream, List<Header> fields) {
        try {
            if (open.containsKey(streamId)) {
                if (!endsStream) {
                    return Verdict.fail(H2Error.PROTOCOL_ERROR, "second HEADERS on stream " + streamId + " without END_STREAM");
                }
                RequestFields.trailers(fields);
                Verdict verdict = bodyEnds(streamId, open.remove(streamId));
                return verdict;
            }
            RequestFields.Head head = RequestFields.request(fields);
            long[] body = {head.contentLength(), 0};
            if (endsStream) {
                return bodyEnds(streamId, body);
            }
            open.put(streamId, body);
            while (open.size() > 2 * limits.maxConcurrentStreams()) {
                open.pollFirstEntry(); // streams the relay answered and reset without the client ending them
            }
            return Verdict.FORWARD;
        } catch (RequestFields.Malformed e) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "malformed request on stream " + streamId + ": " + e.getMessage());
        }
    }

    /**
     * A stream's send window may not pass 2^31 - 1 (RFC 9113 §6.9.1): a stream error. HttpCore5 makes it a
     * connection error; the screen resets the stream alone. The window is the client's initial window plus its
     * increments minus the DATA the relay wrote ({@link #dataSent}); HttpCore5 counts DATA when it queues it, so
     * its window is never above this one and the screen never lets through an increment HttpCore5 would refuse.
     */
    private Verdict windowUpdate(int streamId, int increment) {
        if (streamId == 0 || increment == 0) {
            return Verdict.FORWARD; // the connection window, and increment 0: HttpCore5 answers those correctly
        }
        long[] credit = sendCredit.get(streamId);
        if (credit == null) {
            return Verdict.FORWARD;
        }
        if (peerInitialWindow + credit[0] + increment > Integer.MAX_VALUE) {
            sendCredit.remove(streamId);
            open.remove(streamId);
            return Verdict.reset(streamId, H2Error.FLOW_CONTROL_ERROR, "WINDOW_UPDATE takes the window of stream "
                    + streamId + " above 2^31-1");
        }
        credit[0] += increment;
        return Verdict.FORWARD;
    }

    /** The relay wrote a DATA frame of {@code length} bytes on {@code streamId}. */
    void dataSent(int streamId, int length) {
        long[] credit = sendCredit.get(streamId);
        if (credit != null) {
            credit[0] -= length;
        }
    }

    /** DATA on a request stream: counted against its content-length. */
    private Verdict body(int streamId, int flags, ByteBuffer payload) {
        long[] body = open.get(streamId);
        if (body == null) {
            return Verdict.FORWARD; // already ended or reset: HttpCore5 answers STREAM_CLOSED
        }
        int pad = (flags & FLAG_PADDED) != 0 ? 1 + (payload.get(payload.position()) & 0xff) : 0;
        body[1] += payload.remaining() - pad;
        if (body[0] >= 0 && body[1] > body[0]) {
            open.remove(streamId);
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "DATA beyond content-length on stream " + streamId);
        }
        if ((flags & FLAG_END_STREAM) != 0) {
            return bodyEnds(streamId, open.remove(streamId));
        }
        return Verdict.FORWARD;
    }

    private static Verdict bodyEnds(int streamId, long[] body) {
        if (body[0] >= 0 && body[1] != body[0]) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "stream " + streamId + " ended after " + body[1]
                    + " body bytes, content-length said " + body[0]);
        }
        return Verdict.FORWARD;
    }

    private static Verdict padding(int flags, ByteBuffer payload, int fixed) {
        if ((flags & FLAG_PADDED) == 0) {
            return Verdict.FORWARD;
        }
        if (payload.remaining() < 1) {
            return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "padded frame without a pad length");
        }
        int pad = payload.get(payload.position()) & 0xff;
        if (pad >= payload.remaining() - fixed) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "padding as long as the frame");
        }
        return Verdict.FORWARD;
    }

    private Verdict settings(int flags, int streamId, ByteBuffer payload) {
        if (streamId != 0) {
            return Verdict.fail(H2Error.PROTOCOL_ERROR, "SETTINGS on stream " + streamId);
        }
        int length = payload.remaining();
        if ((flags & FLAG_ACK) != 0) {
            return length == 0 ? Verdict.FORWARD : Verdict.fail(H2Error.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
        }
        if (length % 6 != 0) {
            return Verdict.fail(H2Error.FRAME_SIZE_ERROR, "SETTINGS of " + length + " bytes");
        }
        for (int at = payload.position(); at < payload.limit(); at += 6) {
            int id = payload.getShort(at) & 0xffff;
            long value = payload.getInt(at + 2) & 0xffffffffL;
            if (id == 2 && value > 1) {
                return Verdict.fail(H2Error.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH " + value);
            }
            if (id == 4 && value > Integer.MAX_VALUE) {
                return Verdict.fail(H2Error.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE " + value);
            }
            if (id == 5 && (value < 16_384 || value > 16_777_215)) {
                return Verdict.fail(H2Error.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE " + value);
            }
            if (id == 4) {
                peerInitialWindow = Math.max(1, value);
            }
            if ((id == 3 || id == 4) && value == 0) {
                // Valid, but HttpCore5 5.4.4 refuses 0 for both (its config builder wants a positive number) and
                // would end the connection. MAX_CONCURRENT_STREAMS bounds streams the relay would push: it never
                // does. INITIAL_WINDOW_SIZE 0 holds responses until the client's WINDOW_UPDATE; as 1, the relay may
                // send one byte ahead on each stream (no browser sends 0).
                payload.putInt(at + 2, 1);
            }
        }
        return spend(control, "SETTINGS");
    }

    private static Verdict spend(TokenBucket bucket, String what) {
        return bucket.take() ? Verdict.FORWARD
                : Verdict.fail(H2Error.ENHANCE_YOUR_CALM, "too many " + what + " frames");
    }

    /** {@code burst} tokens, refilled at {@code perSecond}. */
    static final class TokenBucket {
        private final double burst;
        private final double perNano;
        private final LongSupplier clock;
        private double tokens;
        private long last;

        TokenBucket(int burst, int perSecond, LongSupplier clock) {
            this.burst = burst;
            this.perNano = perSecond / 1e9;
            this.clock = clock;
            this.tokens = burst;
            this.last = clock.getAsLong();
        }

        boolean take() {
            long now = clock.getAsLong();
            tokens = Math.min(burst, tokens + (now - last) * perNano);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
