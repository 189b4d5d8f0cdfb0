package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import org.apache.hc.core5.reactor.IOSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One tunnel direction over real loopback sockets: the upstream writes into {@code source}, the pipe reads it and
 * writes it to {@code sink}, and the client reads it from the sink's peer. The sessions are the sockets themselves
 * behind a counting {@link IOSession} view (read, write and interest only: all a pipe uses).
 */
class PipeTest {
    private final Socket upstream = new Socket();
    private final Socket client = new Socket();
    private final PipeBuffers buffers = new PipeBuffers(1 << 20, 1 << 20);
    private Pipe pipe;

    @BeforeEach
    void connect() throws IOException {
        upstream.open();
        client.open();
        pipe = new Pipe(buffers);
        pipe.connect(upstream.session(), client.session());
    }

    @AfterEach
    void close() throws IOException {
        upstream.close();
        client.close();
    }

    @Test
    void aFrameThatArrivedWholeIsReadWithOneSystemCallAndWrittenOn() throws Exception {
        byte[] frame = bytes(620, 7);
        upstream.peer.write(ByteBuffer.wrap(frame));
        awaitReadable(upstream.local);

        assertThat(pipe.fill(null, true)).isTrue();
        pipe.drain(true);

        // A second read would only have returned 0: a short read means the socket is empty.
        assertThat(upstream.reads).isEqualTo(1);
        assertThat(client.peerReads(frame.length)).isEqualTo(frame);
        assertThat(client.interest & SelectionKey.OP_WRITE).isZero();
    }

    @Test
    void moreThanTheHighWaterMarkIsReadInSeveralCallsThenReadingPauses() throws Exception {
        byte[] flood = bytes(Pipe.HIGH_WATER * 3, 3);
        // Loopback delivers during write(2): the bytes wait in the relay's end once it returns.
        upstream.peer.write(ByteBuffer.wrap(flood));
        awaitReadable(upstream.local);
        upstream.interest = SelectionKey.OP_READ;

        assertThat(pipe.fill(null)).isTrue();

        assertThat(upstream.read).isGreaterThanOrEqualTo(Pipe.HIGH_WATER);
        assertThat(upstream.interest & SelectionKey.OP_READ).as("read interest off at the high-water mark").isZero();
        assertThat(client.interest & SelectionKey.OP_WRITE).as("the sink is armed").isNotZero();
    }

    @Test
    void theEndOfTheStreamIsSeenAfterTheLastBytes() throws Exception {
        byte[] last = bytes(100, 5);
        upstream.peer.write(ByteBuffer.wrap(last));
        upstream.peer.shutdownOutput();
        awaitReadable(upstream.local);

        boolean open = pipe.fill(null, true);
        while (open) {
            open = pipe.fill(null, true);
        }

        assertThat(pipe.drain(true)).as("everything delivered").isTrue();
        assertThat(client.peerReads(last.length)).isEqualTo(last);
    }

    private static void awaitReadable(SocketChannel channel) throws IOException {
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            assertThat(selector.select(5_000)).isEqualTo(1);
        }
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    /** A connected loopback pair: {@code local} is the relay's non-blocking end, {@code peer} the other side. */
    private static final class Socket {
        SocketChannel local;
        SocketChannel peer;
        int reads;
        long read;
        int interest;

        void open() throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                local = SocketChannel.open(server.getLocalAddress());
                peer = server.accept();
            }
            local.configureBlocking(false);
        }

        IOSession session() {
            return (IOSession) Proxy.newProxyInstance(IOSession.class.getClassLoader(), new Class<?>[] {IOSession.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "read" -> {
                            reads++;
                            int n = local.read((ByteBuffer) args[0]);
                            read += Math.max(0, n);
                            yield n;
                        }
                        case "write" -> local.write((ByteBuffer) args[0]);
                        case "setEvent" -> {
                            interest |= (Integer) args[0];
                            yield null;
                        }
                        case "clearEvent" -> {
                            interest &= ~(Integer) args[0];
                            yield null;
                        }
                        case "getEventMask" -> interest;
                        case "toString" -> "session " + local;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        byte[] peerReads(int n) throws IOException {
            ByteBuffer in = ByteBuffer.allocate(n);
            while (in.hasRemaining()) {
                if (peer.read(in) < 0) {
                    break;
                }
            }
            return Arrays.copyOf(in.array(), in.position());
        }

        void close() throws IOException {
            local.close();
            peer.close();
        }
    }
}
