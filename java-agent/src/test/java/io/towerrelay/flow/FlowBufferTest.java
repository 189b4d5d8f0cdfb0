package io.towerrelay.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.junit.jupiter.api.Test;

class FlowBufferTest {

    @Test
    void theInitialWindowNeedsNoGrantUntilBytesAreTaken() throws Exception {
        FlowBuffer b = new FlowBuffer();
        assertThat(b.size()).isZero();
        assertThat(b.takeGrant()).isZero();
        b.put(ByteBuffer.wrap(new byte[1_000]));
        b.writeTo(new Sink(), 1_000);
        assertThat(b.takeGrant()).isEqualTo(1_000);
    }

    @Test
    void keepsEveryByteInOrderAcrossGrowthAndGrantsNothingPastTheWindow() throws Exception {
        FlowBuffer b = new FlowBuffer();
        byte[] all = new byte[FlowBuffer.HIGH_WATER + 10_000];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 31);
        }
        for (int off = 0; off < all.length; off += 7_000) {
            b.put(ByteBuffer.wrap(all, off, Math.min(7_000, all.length - off)));
        }
        assertThat(b.size()).isEqualTo(all.length);
        assertThat(b.takeGrant()).isZero();

        Sink sink = new Sink();
        assertThat(b.writeTo(sink)).isEqualTo(all.length);
        assertThat(sink.bytes.toByteArray()).isEqualTo(all);
        // The reader's window went 10,000 below zero (one read past it): the grant brings it back to HIGH_WATER.
        assertThat(b.takeGrant()).isEqualTo(all.length);
    }

    @Test
    void aReleasedBufferIsEmptyAndStillTakesBytes() throws Exception {
        FlowBuffer b = new FlowBuffer();
        b.put(ByteBuffer.wrap(new byte[40_000]));
        b.release();
        assertThat(b.size()).isZero();

        FlowBuffer next = new FlowBuffer(); // may get the array just returned: it must come back empty
        next.put(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        b.put(ByteBuffer.wrap(new byte[] {4, 5}));
        Sink sink = new Sink();
        assertThat(next.writeTo(sink)).isEqualTo(3);
        assertThat(b.writeTo(sink)).isEqualTo(2);
        assertThat(sink.bytes.toByteArray()).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void theWriterIsHandedADirectBufferThatASocketWritesWithoutACopy() throws Exception {
        FlowBuffer b = new FlowBuffer();
        b.put(ByteBuffer.wrap(new byte[20_000]));
        Sink sink = new Sink();
        b.writeTo(sink);
        assertThat(sink.direct).isTrue();
        b.release();
    }

    @Test
    void readsStraightFromAChannelAtMostWhatItIsAskedAndCountsItAgainstTheWindow() throws Exception {
        FlowBuffer b = new FlowBuffer();
        byte[] wire = new byte[150_000];
        for (int i = 0; i < wire.length; i++) {
            wire[i] = (byte) (i * 31 + i / 251);
        }
        ReadableByteChannel source = Channels.newChannel(new ByteArrayInputStream(wire));
        b.put(ByteBuffer.wrap(wire, 0, 1_000)); // what came with the head, through a read buffer
        source.read(ByteBuffer.allocate(1_000));
        assertThat(b.readFrom(source, 30_000)).isEqualTo(30_000);
        assertThat(b.size()).isEqualTo(31_000);
        assertThat(b.takeGrant()).as("31,000 bytes taken, none written").isZero();

        Sink sink = new Sink();
        assertThat(b.writeTo(sink)).isEqualTo(31_000);
        assertThat(b.takeGrant()).as("the room written out is granted again").isEqualTo(31_000);
        assertThat(b.readFrom(source, FlowBuffer.HIGH_WATER)).isEqualTo(FlowBuffer.HIGH_WATER);
        assertThat(b.readFrom(source, 1_000_000)).as("never past HIGH_WATER plus one read").isEqualTo(16 * 1024);
        assertThat(b.readFrom(source, 1_000_000)).as("full").isZero();
        b.writeTo(sink);
        assertThat(b.readFrom(source, 1_000_000)).isEqualTo(wire.length - 31_000 - FlowBuffer.HIGH_WATER - 16 * 1024);
        assertThat(b.readFrom(source, 1_000_000)).as("the end of the stream").isEqualTo(-1);
        b.writeTo(sink);
        assertThat(sink.bytes.toByteArray()).isEqualTo(wire);
        b.release();
    }

    /** A channel that takes everything it is given. */
    private static final class Sink implements DataStreamChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean direct;

        @Override
        public void requestOutput() {}

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            direct = src.isDirect();
            while (src.hasRemaining()) {
                bytes.write(src.get());
            }
            return n;
        }

        @Override
        public void endStream() {}

        @Override
        public void endStream(List<? extends Header> trailers) {}
    }
}
