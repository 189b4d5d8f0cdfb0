package io.towerrelay.bench.floor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.hc.core5.util.CharArrayBuffer;

/**
 * The bytes a connection read and has not used yet: whole heads are taken out as lines for HttpCore5's line parser,
 * body bytes are moved on as they are. Bytes are ISO-8859-1 characters, as HTTP/1.1 heads are.
 */
final class HeadBuffer {
    private final ByteBuffer bytes; // write mode: [0, position) holds what was read and not used

    HeadBuffer(int capacity) {
        this.bytes = ByteBuffer.allocate(capacity);
    }

    /** One read from {@code channel}: the bytes read, -1 at its end. */
    int readFrom(ByteChannel channel) throws IOException {
        return channel.read(bytes);
    }

    boolean isEmpty() {
        return bytes.position() == 0;
    }

    boolean isFull() {
        return !bytes.hasRemaining();
    }

    /** The lines of the head at the front (without the empty line ending it), taken out; null until it is whole. */
    List<CharArrayBuffer> takeHead() {
        byte[] a = bytes.array();
        int end = bytes.position();
        for (int i = 3; i < end; i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                List<CharArrayBuffer> lines = new ArrayList<>(16);
                int start = 0;
                for (int j = 1; j <= i - 2; j++) {
                    if (a[j] == '\n' && a[j - 1] == '\r') {
                        CharArrayBuffer line = new CharArrayBuffer(j - 1 - start);
                        for (int k = start; k < j - 1; k++) {
                            line.append((char) (a[k] & 0xff));
                        }
                        lines.add(line);
                        start = j + 1;
                    }
                }
                consume(i + 1);
                return lines;
            }
        }
        return null;
    }

    /** Moves up to {@code max} bytes from the front into {@code dst}: the number moved. */
    int moveTo(ByteBuffer dst, long max) {
        int n = (int) Math.min(max, Math.min(bytes.position(), dst.remaining()));
        dst.put(bytes.array(), 0, n);
        consume(n);
        return n;
    }

    private void consume(int n) {
        bytes.flip();
        bytes.position(n);
        bytes.compact();
    }
}
