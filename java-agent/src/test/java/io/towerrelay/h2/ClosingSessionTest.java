package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.junit.jupiter.api.Test;

/**
 * What the multiplexer writes reaches the TLS layer gathered: an answer's frames as one write (one TLS record), in
 * order, never more than a record at once, and write interest kept while gathered frames wait.
 */
class ClosingSessionTest {
    private final List<Integer> writes = new ArrayList<>();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    /** How many bytes the TLS layer takes per write (it holds one record: 0 while one waits for the socket). */
    private int takes = Integer.MAX_VALUE;
    private final List<String> interest = new ArrayList<>();
    private final List<int[]> dataSent = new ArrayList<>();
    private final ClosingSession session = new ClosingSession(tlsLayer(), mode -> { }, (stream, length) ->
            dataSent.add(new int[] {stream, length}));

    @Test
    void anAnswersHeadersDataAndEndReachTheTlsLayerAsOneWrite() throws Exception {
        ByteBuffer headers = frame(1, 0x4, 1, 6);
        ByteBuffer data = frame(0, 0, 1, 360);
        ByteBuffer end = frame(0, 0x1, 1, 0);
        byte[] expected = concat(headers, data, end);

        assertThat(session.write(headers)).isEqualTo(15);
        assertThat(session.write(data)).isEqualTo(369);
        assertThat(session.write(end)).isEqualTo(9);
        assertThat(writes).isEmpty();
        assertThat(session.flushPending()).isTrue();

        assertThat(writes).containsExactly(expected.length);
        assertThat(received.toByteArray()).isEqualTo(expected);
        assertThat(dataSent).extracting(d -> d[1]).containsExactly(360, 0);
    }

    @Test
    void aLargeAnswerReachesTheTlsLayerInFullRecordsAcrossFrameBoundaries() throws Exception {
        List<ByteBuffer> frames = new ArrayList<>();
        frames.add(frame(1, 0x4, 1, 6));
        for (int i = 0; i < 4; i++) {
            frames.add(frame(0, 0, 1, 16_384)); // 64 KiB in DATA frames of the default largest size
        }
        frames.add(frame(0, 0x1, 1, 0));
        byte[] expected = concat(frames.toArray(ByteBuffer[]::new));

        for (ByteBuffer f : frames) {
            while (f.hasRemaining()) { // the multiplexer writes the rest of a frame on its next event
                assertThat(session.write(f)).isPositive();
            }
        }
        assertThat(session.flushPending()).isTrue();

        // Five records, four of them full: not a full one and a 9-byte one per DATA frame.
        assertThat(writes).containsExactly(16_384, 16_384, 16_384, 16_384, expected.length - 4 * 16_384);
        assertThat(received.toByteArray()).isEqualTo(expected);
        assertThat(dataSent).extracting(d -> d[1]).containsExactly(16_384, 16_384, 16_384, 16_384, 0);
    }

    @Test
    void aFullRecordWaitsWhileTheTlsLayerHoldsOneAndWriteInterestStays() throws Exception {
        ByteBuffer first = frame(0, 0, 1, 16_384);
        ByteBuffer second = frame(0, 0x1, 1, 100);
        byte[] expected = concat(first, second);

        takes = 0; // the TLS layer still holds a record: nothing more fits
        assertThat(session.write(first)).isEqualTo(16_384); // a record's worth is gathered: the frame's last 9 bytes wait
        assertThat(session.write(first)).isZero();
        session.clearEvent(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        assertThat(interest).containsExactly("clear " + SelectionKey.OP_READ); // write interest stays: bytes wait
        assertThat(session.flushPending()).isFalse();
        assertThat(writes).isEmpty();

        takes = Integer.MAX_VALUE; // the socket took the record
        assertThat(session.write(first)).isEqualTo(9);
        assertThat(session.write(second)).isEqualTo(109);
        assertThat(session.flushPending()).isTrue();
        assertThat(writes).containsExactly(16_384, 9 + 109);
        assertThat(received.toByteArray()).isEqualTo(expected);
    }

    private ProtocolIOSession tlsLayer() {
        return (ProtocolIOSession) Proxy.newProxyInstance(ProtocolIOSession.class.getClassLoader(),
                new Class<?>[] {ProtocolIOSession.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "write" -> {
                        ByteBuffer src = (ByteBuffer) args[0];
                        if (takes == 0) {
                            yield 0;
                        }
                        int n = src.remaining();
                        byte[] bytes = new byte[n];
                        src.get(bytes);
                        received.write(bytes);
                        writes.add(n);
                        yield n;
                    }
                    case "clearEvent" -> {
                        interest.add("clear " + args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static ByteBuffer frame(int type, int flags, int stream, int length) {
        ByteBuffer frame = ByteBuffer.allocate(9 + length);
        frame.put((byte) (length >>> 16)).put((byte) (length >>> 8)).put((byte) length).put((byte) type)
                .put((byte) flags).putInt(stream);
        for (int i = 0; i < length; i++) {
            frame.put((byte) (i * 31 + type));
        }
        return frame.flip();
    }

    private static byte[] concat(ByteBuffer... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer f : frames) {
            ByteBuffer d = f.duplicate();
            byte[] b = new byte[d.remaining()];
            d.get(b);
            out.write(b, 0, b.length);
        }
        return out.toByteArray();
    }
}
