package io.towerrelay.flow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * One body direction of a proxied exchange, shared by the side that reads it and the side that writes it: the bytes
 * read and not yet written ({@link FlowBuffer}, with the reader's HttpCore5 input window), the end of the stream
 * and its trailers, and the two HttpCore5 channels.
 *
 * <p>The backpressure rule, in one place: <b>the reader reads the next chunk only when the last ones were
 * written</b>. It is granted only the room the buffer has ({@link #readerReady}, {@link #write}), so a slow writer
 * stops the reader instead of filling memory. The writer is woken when bytes or the end arrive. (WebSocket tunnels
 * keep the same rule for raw bytes in {@code tunnel.Pipe}: read interest off while a chunk waits for its write.)
 *
 * <p>Not thread-safe: both sides of an exchange run on one I/O thread (the shared reactor's), which is what makes
 * it lock-free.
 */
public final class Direction {
    private final FlowBuffer buffer = new FlowBuffer();
    private CapacityChannel reader;
    private DataStreamChannel writer;
    private boolean stopped;
    private boolean end;
    private List<? extends Header> trailers;
    private boolean endWritten;
    private boolean bodiless;

    // ---- the reading side ----

    /** HttpCore5 asks the reader's capacity: grant what the buffer has room for. */
    public void readerReady(CapacityChannel channel) throws IOException {
        reader = channel;
        grant();
    }

    /** Takes all of {@code src} (HttpCore5 reuses it once consume returns) and wakes the writer. */
    public void put(ByteBuffer src) {
        buffer.put(src);
        wakeWriter();
    }

    /**
     * Reads at most {@code max} bytes from {@code channel} into the buffer ({@link FlowBuffer#readFrom}) and wakes the
     * writer when some came.
     *
     * @return the bytes read, 0 for none, -1 at the end of the stream
     */
    public int readFrom(ReadableByteChannel channel, int max) throws IOException {
        int n = buffer.readFrom(channel, max);
        if (n > 0) {
            wakeWriter();
        }
        return n;
    }

    /** Bytes the relay made itself (an error body): not read from a peer, so not counted against a window. */
    public void putOwn(byte[] bytes) {
        buffer.put(bytes);
    }

    /** The reader's stream ended; the writer ends its stream once everything is written. */
    public void end(List<? extends Header> streamTrailers) {
        end = true;
        trailers = streamTrailers;
        wakeWriter();
    }

    /** There is no body: the message head was all of it. */
    public void endWithoutBody() {
        end = true;
        endWritten = true;
        bodiless = true;
    }

    /** Drops the bytes read and not yet written: the writer will send something else in their place. */
    public void discard() {
        buffer.discard();
    }

    /** No more grants to the reader (its side of the exchange is over). */
    public void stop() {
        stopped = true;
    }

    /** The reader's channel belongs to an attempt given up (a retry): forget it. */
    public void detachReader() {
        reader = null;
    }

    // ---- the writing side ----

    /** What HttpCore5 should be told is ready to write: the bytes waiting, or 1 for the end alone. */
    public int available() {
        int size = buffer.size();
        return size == 0 && end && !endWritten ? 1 : size;
    }

    /**
     * Writes at most {@code max} of the bytes waiting, as much as the channel takes now; grants the reader the room
     * that freed; ends the writer's stream once the reader's end and every byte before it went out.
     *
     * @return the number of bytes written
     */
    public int write(DataStreamChannel channel, int max) throws IOException {
        writer = channel;
        int written = buffer.writeTo(channel, max);
        if (written > 0) {
            grant();
        }
        if (end && !endWritten && buffer.size() == 0) {
            endWritten = true;
            channel.endStream(trailers);
        }
        return written;
    }

    /** The writer's channel belongs to an attempt given up (a retry): forget it. */
    public void detachWriter() {
        writer = null;
    }

    /**
     * A new attempt writes this direction again from the start (a retry of a request whose body was never started):
     * its end, if the reader's end arrived, is to be written again too. A message without a body stays without.
     */
    public void rewrite() {
        if (!bodiless) {
            endWritten = false;
        }
    }

    /** Tells the writer there is something to write (when it has asked once). */
    public void wakeWriter() {
        if (writer != null) {
            writer.requestOutput();
        }
    }

    public int size() {
        return buffer.size();
    }

    /** The reader's end arrived. */
    public boolean ended() {
        return end;
    }

    /** The end went out to the writer's peer. */
    public boolean endWritten() {
        return endWritten;
    }

    /** The exchange is over: the buffer's array goes back to its pool. */
    public void release() {
        buffer.release();
    }

    private void grant() throws IOException {
        if (reader != null && !stopped) {
            int room = buffer.takeGrant();
            if (room > 0) {
                reader.update(room);
            }
        }
    }
}
