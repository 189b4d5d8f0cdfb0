package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.reactor.IOSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection holds a read buffer only while bytes wait in it: what a client sends is read on a real loopback
 * socket, handed on, and the buffer goes back to the thread's pool, where the next connection finds it.
 */
class SessionInputTest {
    private static final int SIZE = 64;
    private final ReadBuffers pool = new ReadBuffers(SIZE, Thread.currentThread());
    private ServerSocketChannel server;
    private SocketChannel client;
    private SocketChannel accepted;
    private IOSession session;

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = SocketChannel.open(server.getLocalAddress());
        accepted = server.accept();
        session = readingFrom(accepted);
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        accepted.close();
        server.close();
    }

    @Test
    void aConnectionHoldsNoBufferOnceWhatItReadWasHandedOn() throws IOException {
        SessionInput input = new SessionInput(SIZE, pool);
        assertThat(input.bytes().capacity()).as("before the first read").isZero();

        send("GET / HTTP/1.1\r\n\r\n");
        assertThat(input.read(session, 0)).isEqualTo(18);
        byte[] lent = input.bytes().array();
        assertThat(take(input, 18)).isEqualTo("GET / HTTP/1.1\r\n\r\n");
        input.release();
        assertThat(input.bytes().capacity()).as("after the request was handed on").isZero();
        assertThat(input.full()).isFalse();

        SessionInput next = new SessionInput(SIZE, pool);
        send("GET /next HTTP/1.1\r\n\r\n");
        next.read(session, 0);
        assertThat(next.bytes().array()).as("the next connection reads into the same buffer").isSameAs(lent);
        assertThat(take(next, next.bytes().remaining())).isEqualTo("GET /next HTTP/1.1\r\n\r\n");
    }

    @Test
    void aBoundedReadTakesNoMoreThanAskedAndLeavesTheRestOnTheSocket() throws IOException {
        SessionInput input = new SessionInput(SIZE, pool);
        send("HTTP/1.1 200 OK\r\n\r\n0123456789");
        assertThat(input.read(session, 0, 19)).isEqualTo(19);
        assertThat(input.filled()).as("it took all it was allowed: the socket may hold more").isTrue();
        assertThat(take(input, 19)).isEqualTo("HTTP/1.1 200 OK\r\n\r\n");

        assertThat(input.read(session, 0, SIZE)).isEqualTo(10);
        assertThat(input.filled()).as("fewer bytes than the room").isFalse();
        assertThat(take(input, 10)).isEqualTo("0123456789");
    }

    @Test
    void bytesNotHandedOnStayAndTheNextReadGoesBehindThem() throws IOException {
        SessionInput input = new SessionInput(SIZE, pool);
        send("GET / HT");
        input.read(session, 0);
        input.release();
        assertThat(input.bytes().remaining()).as("half a head is kept").isEqualTo(8);

        send("TP/1.1\r\n\r\n");
        input.read(session, 0);
        assertThat(take(input, input.bytes().remaining())).isEqualTo("GET / HTTP/1.1\r\n\r\n");
    }

    @Test
    void aHeadLongerThanTheBufferGrowsItAndTheGrownBufferIsNotPooled() throws IOException {
        SessionInput input = new SessionInput(SIZE, pool);
        String head = "GET /" + "a".repeat(100) + " HTTP/1.1\r\n\r\n";
        send(head);
        while (input.bytes().remaining() < head.length()) {
            assertThat(input.read(session, 4 * SIZE)).isPositive();
        }
        assertThat(input.bytes().capacity()).isGreaterThan(SIZE);
        assertThat(take(input, head.length())).isEqualTo(head);
        input.release();

        SessionInput next = new SessionInput(SIZE, pool);
        send("GET / HTTP/1.1\r\n\r\n");
        next.read(session, 0);
        assertThat(next.bytes().capacity()).as("a pooled buffer is of the first size").isEqualTo(SIZE);
    }

    @Test
    void whatTlsDecryptedIsKeptWhole() {
        SessionInput input = new SessionInput(SIZE, pool);
        String decrypted = "POST / HTTP/1.1\r\nContent-Length: 90\r\n\r\n" + "b".repeat(90);
        input.take(ByteBuffer.wrap(decrypted.getBytes(StandardCharsets.US_ASCII)));
        assertThat(take(input, input.bytes().remaining())).isEqualTo(decrypted);
    }

    @Test
    void discardDropsTheBytesAndGivesTheBufferBack() throws IOException {
        SessionInput input = new SessionInput(SIZE, pool);
        send("GET / HT");
        input.read(session, 0);
        byte[] lent = input.bytes().array();
        input.discard();
        assertThat(input.bytes().remaining()).isZero();
        assertThat(input.bytes().capacity()).isZero();
        SessionInput next = new SessionInput(SIZE, pool);
        send("x");
        next.read(session, 0);
        assertThat(next.bytes().array()).isSameAs(lent);
    }

    private void send(String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            client.write(bytes);
        }
        // The accepted side reads in blocking mode: wait until all of it is there, so one read takes it.
        while (accepted.socket().getInputStream().available() < text.length()) {
            Thread.onSpinWait();
        }
    }

    /** Hands on {@code n} bytes, as a handler does with a head or a body slice. */
    private static String take(SessionInput input, int n) {
        ByteBuffer in = input.bytes();
        String text = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.US_ASCII);
        in.position(in.position() + n);
        return text;
    }

    private static IOSession readingFrom(SocketChannel channel) {
        return (IOSession) Proxy.newProxyInstance(IOSession.class.getClassLoader(), new Class<?>[] {IOSession.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("read")) {
                        return channel.read((ByteBuffer) args[0]);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
