package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Held writes on a real loopback socket: what is reported written reaches the peer, once, in order. */
class GatheredWritesTest {
    private final OutputRounds rounds = new OutputRounds();
    private final AtomicInteger writeInterest = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private ServerSocketChannel server;
    private SocketChannel socket;
    private SocketChannel peer;
    private GatheredWrites writes;
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket = SocketChannel.open(server.getLocalAddress());
        socket.configureBlocking(false);
        peer = server.accept();
        writes = new GatheredWrites(socket, rounds, writeInterest::incrementAndGet, closed::incrementAndGet);
    }

    @AfterEach
    void close() throws IOException {
        peer.close();
        socket.close();
        server.close();
    }

    @Test
    void aHeadHeldInARoundLeavesWithTheBodyAfterIt() throws Exception {
        byte[] head = bytes(156, 1);
        byte[] body = bytes(20_000, 2);
        inARound(() -> {
            assertThat(write(head)).isEqualTo(head.length);
            assertThat(write(body)).isEqualTo(body.length);
        });
        assertThat(readAll(head.length + body.length)).isEqualTo(sent.toByteArray());
        assertThat(writeInterest).hasValue(0);
    }

    @Test
    void aWriteHeldWhenTheSocketIsFullGoesFirstOnceItDrains() throws Exception {
        fillTheSocket();
        int filled = sent.size();
        byte[] answer = bytes(3_000, 3);
        inARound(() -> assertThat(write(answer)).as("reported written: the round holds it").isEqualTo(answer.length));
        assertThat(writes.hasLeftover()).as("the full socket did not take it").isTrue();
        assertThat(writeInterest).as("write interest asked for").hasValue(1);
        byte[] next = bytes(5_000, 4);
        assertThat(writes.write(ByteBuffer.wrap(next))).as("nothing passes what is left").isZero();

        byte[] received = new byte[sent.size() + next.length];
        int n = readInto(received, 0, filled);
        assertThat(writes.flushLeftover()).as("the drained socket takes what was left").isTrue();
        for (ByteBuffer rest = ByteBuffer.wrap(next); rest.hasRemaining(); ) {
            writes.write(rest);
            n = readInto(received, n, Math.min(received.length, n + 65_536));
        }
        sent.write(next);
        readInto(received, n, received.length);
        assertThat(received).isEqualTo(sent.toByteArray());
        assertThat(closed).hasValue(0);
    }

    @Test
    void outsideARoundNothingIsHeld() throws Exception {
        byte[] small = bytes(100, 5);
        assertThat(write(small)).isEqualTo(small.length);
        assertThat(readAll(small.length)).isEqualTo(small);
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Runs {@code step} as a step of an I/O thread's output round (where writes may be held). */
    private void inARound(Step step) {
        rounds.enter();
        rounds.afterEvent(() -> {
            try {
                step.run();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        rounds.exit();
    }

    private int write(byte[] bytes) throws IOException {
        int n = writes.write(ByteBuffer.wrap(bytes));
        sent.write(bytes, 0, n);
        return n;
    }

    /**
     * Writes until the socket takes nothing, again after a pause, until a pause frees no room: the kernel may still
     * be moving bytes to the peer's receive buffer (and growing it) after the first write that took nothing.
     */
    private void fillTheSocket() throws Exception {
        byte[] chunk = bytes(65_536, 6);
        boolean tookSome = true;
        while (tookSome) {
            tookSome = false;
            for (int n = socket.write(ByteBuffer.wrap(chunk)); n > 0; n = socket.write(ByteBuffer.wrap(chunk))) {
                sent.write(chunk, 0, n);
                tookSome = true;
            }
            Thread.sleep(50);
        }
    }

    private byte[] readAll(int length) throws IOException {
        byte[] received = new byte[length];
        readInto(received, 0, length);
        return received;
    }

    private int readInto(byte[] into, int from, int to) throws IOException {
        ByteBuffer dst = ByteBuffer.wrap(into, from, to - from);
        while (dst.hasRemaining()) {
            if (peer.read(dst) < 0) {
                break;
            }
        }
        return dst.position();
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
