package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http2.H2Error;
import org.apache.hc.core5.http2.hpack.HPackEncoder;
import org.apache.hc.core5.util.ByteArrayBuffer;
import org.junit.jupiter.api.Test;

/** The frame screen's verdicts on the inputs h2spec found HttpCore5 5.4.4 mishandling, and on floods. */
class FrameScreenTest {
    private final AtomicLong clock = new AtomicLong();
    private final H2Limits limits = H2Limits.defaults(32_768, 65_536);
    private final FrameScreen screen = new FrameScreen(limits, clock::get);
    private final HPackEncoder encoder = new HPackEncoder(4096, StandardCharsets.US_ASCII);

    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int PRIORITY_FLAG = 0x20;

    private FrameScreen.Verdict check(int type, int flags, int stream, byte[] payload) {
        return screen.check(type, flags, stream, ByteBuffer.wrap(payload));
    }

    /** Let through: as it is, or (header blocks) encoded again. */
    private static boolean passes(FrameScreen.Verdict v) {
        return v.forward() || v.replacement() != null;
    }

    private byte[] block(String... fields) throws Exception {
        List<Header> headers = new ArrayList<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            headers.add(new BasicHeader(fields[i], fields[i + 1]));
        }
        ByteArrayBuffer out = new ByteArrayBuffer(128);
        encoder.encodeHeaders(out, headers, true);
        byte[] bytes = new byte[out.length()];
        System.arraycopy(out.array(), 0, bytes, 0, out.length());
        return bytes;
    }

    private byte[] get() throws Exception {
        return block(":method", "GET", ":scheme", "https", ":authority", "tower", ":path", "/");
    }

    private byte[] post(String contentLength) throws Exception {
        return block(":method", "POST", ":scheme", "https", ":authority", "tower", ":path", "/", "content-length", contentLength);
    }

    @Test
    void aValidRequestPassesAndUnknownFrameTypesAreDropped() throws Exception {
        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, 1, get()))).isTrue();
        assertThat(check(0x0a, 0, 0, new byte[] {1, 2, 3})).isEqualTo(FrameScreen.Verdict.DROP); // ALTSVC
        assertThat(check(0xff, 0, 1, new byte[0])).isEqualTo(FrameScreen.Verdict.DROP);
    }

    @Test
    void anyFrameButItsContinuationInsideAHeaderBlockIsAProtocolError() throws Exception {
        byte[] head = get();
        assertThat(check(FrameScreen.HEADERS, END_STREAM, 1, head)).as("held until END_HEADERS").isEqualTo(FrameScreen.Verdict.DROP);
        FrameScreen.Verdict v = check(0xff, 0, 1, new byte[0]);
        assertThat(v.failed()).isTrue();
        assertThat(v.error()).isEqualTo(H2Error.PROTOCOL_ERROR);
    }

    @Test
    void priorityOnStreamZeroSelfDependencyAndSettingsAckWithPayloadAreRefused() throws Exception {
        assertThat(check(FrameScreen.PRIORITY, 0, 0, new byte[5]).error()).isEqualTo(H2Error.PROTOCOL_ERROR);
        assertThat(check(FrameScreen.PRIORITY, 0, 3, new byte[] {0, 0, 0, 3, 16}).error()).isEqualTo(H2Error.PROTOCOL_ERROR);
        byte[] selfDependent = ByteBuffer.allocate(5 + get().length).putInt(1).put((byte) 16).put(get()).array();
        assertThat(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, selfDependent).error())
                .isEqualTo(H2Error.PROTOCOL_ERROR);
        assertThat(check(FrameScreen.SETTINGS, 0x1, 0, new byte[6]).error()).isEqualTo(H2Error.FRAME_SIZE_ERROR);
        assertThat(check(FrameScreen.PUSH_PROMISE, END_HEADERS, 1, new byte[4]).error()).isEqualTo(H2Error.PROTOCOL_ERROR);
    }

    @Test
    void aZeroInitialWindowIsPassedOnAsOneBecauseHttpCore5RefusesZero() {
        byte[] settings = ByteBuffer.allocate(12).putShort((short) 4).putInt(0).putShort((short) 3).putInt(0).array();
        assertThat(check(FrameScreen.SETTINGS, 0, 0, settings).forward()).isTrue();
        assertThat(ByteBuffer.wrap(settings).getInt(2)).isEqualTo(1);
        assertThat(ByteBuffer.wrap(settings).getInt(8)).isEqualTo(1);
    }

    @Test
    void invalidHpackIsACompressionError() throws Exception {
        // literal field without indexing, new name: Huffman "a" (00011) padded with ones is valid ...
        byte[] valid = {0x00, (byte) 0x81, 0x1f, 0x01, 'x'};
        assertThat(HuffmanCheck.available()).isTrue();
        byte[] zeroPadding = {0x00, (byte) 0x81, 0x18, 0x01, 'x'};
        byte[] longPadding = {0x00, (byte) 0x82, 0x1f, (byte) 0xff, 0x01, 'x'};
        byte[] sizeUpdateAfterField = {(byte) 0x82, 0x3f, 0x01};   // :method GET, then a size update
        byte[] sizeUpdateTooLarge = {0x3f, (byte) 0xe1, 0x3f};      // 8192 > the 4096 announced
        HpackCheck hpack = new HpackCheck(4096);
        assertThat(hpack.problem(ByteBuffer.wrap(valid))).isNull();
        assertThat(hpack.problem(ByteBuffer.wrap(zeroPadding))).contains("padding");
        assertThat(hpack.problem(ByteBuffer.wrap(longPadding))).contains("longer than 7 bits");
        assertThat(hpack.problem(ByteBuffer.wrap(sizeUpdateAfterField))).contains("after a header field");
        assertThat(hpack.problem(ByteBuffer.wrap(sizeUpdateTooLarge))).contains("above the 4096");
        assertThat(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, 1, zeroPadding).error())
                .isEqualTo(H2Error.COMPRESSION_ERROR);
    }

    @Test
    void malformedRequestsAreRefused() throws Exception {
        assertThat(check(FrameScreen.HEADERS, END_HEADERS, 1,
                block(":method", "GET", ":scheme", "https", ":path", "/", "connection", "close")).error())
                .isEqualTo(H2Error.PROTOCOL_ERROR);
        FrameScreen fresh = new FrameScreen(limits, clock::get);
        assertThat(fresh.check(FrameScreen.HEADERS, END_HEADERS, 1, ByteBuffer.wrap(
                new HPackEncoderBlock().of(":method", "GET", ":path", "/", ":scheme", "https", "te", "gzip"))).error())
                .isEqualTo(H2Error.PROTOCOL_ERROR);
    }

    @Test
    void trailersWithPseudoHeadersAndContentLengthMismatchesAreRefused() throws Exception {
        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS, 1, post("5")))).isTrue();
        assertThat(check(FrameScreen.DATA, 0, 1, new byte[3]).forward()).isTrue();
        assertThat(check(FrameScreen.DATA, END_STREAM, 1, new byte[3]).error()).isEqualTo(H2Error.PROTOCOL_ERROR);

        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS, 3, post("2")))).isTrue();
        assertThat(check(FrameScreen.DATA, 0, 3, new byte[2]).forward()).isTrue();
        assertThat(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, 3, block(":path", "/x")).error())
                .isEqualTo(H2Error.PROTOCOL_ERROR);

        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS, 5, post("0")))).isTrue();
        assertThat(check(FrameScreen.HEADERS, END_HEADERS, 5, block("x-trailer", "1")).error())
                .as("trailers without END_STREAM").isEqualTo(H2Error.PROTOCOL_ERROR);
    }

    @Test
    void pingAndResetFloodsRunOutOfTokensAndRefillWithTime() throws Exception {
        for (int i = 0; i < limits.controlBurst(); i++) {
            assertThat(check(FrameScreen.PING, 0, 0, new byte[8]).forward()).isTrue();
        }
        FrameScreen.Verdict flood = check(FrameScreen.PING, 0, 0, new byte[8]);
        assertThat(flood.error()).isEqualTo(H2Error.ENHANCE_YOUR_CALM);
        assertThat(check(FrameScreen.PING, 0x1, 0, new byte[8]).forward()).as("PING ACKs cost nothing").isTrue();
        clock.addAndGet(1_000_000_000L);
        assertThat(check(FrameScreen.PING, 0, 0, new byte[8]).forward()).isTrue();

        int stream = 1;
        for (int i = 0; i < limits.resetBurst(); i++, stream += 2) {
            assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, stream, get()))).isTrue();
            assertThat(check(FrameScreen.RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}).forward()).isTrue();
        }
        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, stream, get()))).isTrue();
        assertThat(check(FrameScreen.RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}).error())
                .isEqualTo(H2Error.ENHANCE_YOUR_CALM);
    }

    @Test
    void aStreamWindowAbove2To31IsAStreamErrorAndDataSentIsCounted() throws Exception {
        assertThat(passes(check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, 1, get()))).isTrue();
        byte[] max = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE - 65_535).array();
        assertThat(check(FrameScreen.WINDOW_UPDATE, 0, 1, max).forward()).isTrue();
        screen.dataSent(1, 10);
        assertThat(check(FrameScreen.WINDOW_UPDATE, 0, 1, new byte[] {0, 0, 0, 10}).forward())
                .as("back to exactly 2^31-1 after 10 bytes were sent").isTrue();
        FrameScreen.Verdict over = check(FrameScreen.WINDOW_UPDATE, 0, 1, new byte[] {0, 0, 0, 1});
        assertThat(over.resets()).isTrue();
        assertThat(over.resetStream()).isEqualTo(1);
        assertThat(over.error()).isEqualTo(H2Error.FLOW_CONTROL_ERROR);
    }

    @Test
    void headerBlocksReachTheMultiplexerReencodedAndRequestTrailersAsTheBodysEnd() throws Exception {
        FrameScreen.Verdict head = check(FrameScreen.HEADERS, END_HEADERS, 1, post("2"));
        ByteBuffer frames = head.replacement();
        assertThat(frames.get(3)).as("a HEADERS frame").isEqualTo((byte) FrameScreen.HEADERS);
        assertThat(frames.get(4) & 0xff).as("END_HEADERS, not END_STREAM").isEqualTo(END_HEADERS);
        assertThat(frames.getInt(5)).isEqualTo(1);
        var fields = new org.apache.hc.core5.http2.hpack.HPackDecoder(4096, StandardCharsets.ISO_8859_1)
                .decodeHeaders(frames.duplicate().position(9));
        assertThat(fields).extracting(h -> h.getName() + "=" + h.getValue())
                .containsExactly(":method=POST", ":scheme=https", ":authority=tower", ":path=/", "content-length=2");
        assertThat(check(FrameScreen.DATA, 0, 1, new byte[2]).forward()).isTrue();
        ByteBuffer end = check(FrameScreen.HEADERS, END_HEADERS | END_STREAM, 1, block("x-checksum", "1")).replacement();
        assertThat(end.remaining()).isEqualTo(9);
        assertThat(end.get(3)).as("an empty DATA frame").isEqualTo((byte) FrameScreen.DATA);
        assertThat(end.get(4) & 0xff).isEqualTo(END_STREAM);
    }

    @Test
    void continuationFloodsAreBoundedInBytesAndFrames() throws Exception {
        assertThat(check(FrameScreen.HEADERS, 0, 1, get())).as("held until END_HEADERS").isEqualTo(FrameScreen.Verdict.DROP);
        FrameScreen.Verdict v = FrameScreen.Verdict.DROP;
        int frames = 0;
        while (!v.failed() && frames < 10_000) {
            v = check(FrameScreen.CONTINUATION, 0, 1, new byte[0]);
            frames++;
        }
        assertThat(v.error()).isEqualTo(H2Error.ENHANCE_YOUR_CALM);
        assertThat(frames).isEqualTo(limits.maxContinuations() + 1);
    }

    /** Encodes with a fresh table (for a second screen that has seen nothing). */
    private static final class HPackEncoderBlock {
        byte[] of(String... fields) throws Exception {
            HPackEncoder e = new HPackEncoder(4096, StandardCharsets.US_ASCII);
            List<Header> headers = new ArrayList<>();
            for (int i = 0; i + 1 < fields.length; i += 2) {
                headers.add(new BasicHeader(fields[i], fields[i + 1]));
            }
            ByteArrayBuffer out = new ByteArrayBuffer(128);
            e.encodeHeaders(out, headers, true);
            byte[] bytes = new byte[out.length()];
            System.arraycopy(out.array(), 0, bytes, 0, out.length());
            return bytes;
        }
    }
}
