package io.towerrelay.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.junit.jupiter.api.Test;

/** The backpressure rule: the reader gets more room only as the writer drains, and the end follows the last byte. */
class DirectionTest {

    @Test
    void aWriterThatTakesNothingStopsTheReaderAtTheHighWaterMark() throws Exception {
        Direction d = new Direction();
        Reader reader = new Reader();
        d.readerReady(reader);
        assertThat(reader.granted).as("the initial window is HttpCore5's own").isEmpty();

        d.put(ByteBuffer.wrap(new byte[FlowBuffer.HIGH_WATER]));
        Writer stalled = new Writer(0);
        assertThat(d.write(stalled, Integer.MAX_VALUE)).isZero();
        d.readerReady(reader);
        assertThat(reader.granted).as("nothing written, nothing granted").isEmpty();

        Writer draining = new Writer(Integer.MAX_VALUE);
        assertThat(d.write(draining, Integer.MAX_VALUE)).isEqualTo(FlowBuffer.HIGH_WATER);
        assertThat(reader.granted).containsExactly(FlowBuffer.HIGH_WATER);
    }

    @Test
    void theEndAndItsTrailersGoOutOnlyAfterEveryByte() throws Exception {
        Direction d = new Direction();
        Writer writer = new Writer(3);
        d.write(writer, Integer.MAX_VALUE); // the writer asked once: from now on it is woken
        d.put(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
        List<Header> trailers = List.of(new BasicHeader("X-Checksum", "abc"));
        d.end(trailers);
        assertThat(writer.wakeUps).isEqualTo(2);
        assertThat(d.available()).isEqualTo(5);

        d.write(writer, Integer.MAX_VALUE);
        assertThat(writer.written).isEqualTo(3);
        assertThat(writer.ended).as("two bytes still wait").isNull();
        writer.room = 10;
        d.write(writer, Integer.MAX_VALUE);
        assertThat(writer.written).isEqualTo(5);
        assertThat(writer.ended).isEqualTo(trailers);
        assertThat(d.endWritten()).isTrue();
        assertThat(d.available()).isZero();
    }

    @Test
    void aStoppedDirectionGrantsNothingMore() throws Exception {
        Direction d = new Direction();
        Reader reader = new Reader();
        d.readerReady(reader);
        d.put(ByteBuffer.wrap(new byte[1_000]));
        d.stop();
        d.write(new Writer(Integer.MAX_VALUE), Integer.MAX_VALUE);
        assertThat(reader.granted).isEmpty();
    }

    @Test
    void aBodilessMessageHasNothingToWrite() {
        Direction d = new Direction();
        d.endWithoutBody();
        assertThat(d.ended()).isTrue();
        assertThat(d.endWritten()).isTrue();
        assertThat(d.available()).isZero();
    }

    private static final class Reader implements CapacityChannel {
        final List<Integer> granted = new ArrayList<>();

        @Override
        public void update(int increment) {
            granted.add(increment);
        }
    }

    /** A channel with room for {@code room} more bytes until told otherwise. */
    private static final class Writer implements DataStreamChannel {
        int room;
        int written;
        int wakeUps;
        List<? extends Header> ended;

        Writer(int room) {
            this.room = room;
        }

        @Override
        public void requestOutput() {
            wakeUps++;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(src.remaining(), room);
            src.position(src.position() + n);
            written += n;
            room -= n;
            return n;
        }

        @Override
        public void endStream() {
            ended = List.of();
        }

        @Override
        public void endStream(List<? extends Header> trailers) {
            ended = trailers;
        }
    }
}
