package io.towerrelay.h2;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http2.hpack.HPackEncoder;
import org.apache.hc.core5.util.ByteArrayBuffer;

/**
 * A deliberately low-level HTTP/2 client for tests that must send what no well-behaved client sends: frames are
 * written as given, over TLS with ALPN {@code h2}, and read back one at a time.
 */
final class RawH2Client implements AutoCloseable {
    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PING = 6;
    static final int GOAWAY = 7;
    static final int WINDOW_UPDATE = 8;
    static final int CONTINUATION = 9;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;

    record Frame(int type, int flags, int streamId, byte[] payload) {
        int errorCode() {
            ByteBuffer b = ByteBuffer.wrap(payload);
            return type == GOAWAY ? b.getInt(4) : b.getInt(0);
        }

        /** SETTINGS entries as id -> value. */
        java.util.Map<Integer, Long> settings() {
            java.util.Map<Integer, Long> values = new java.util.TreeMap<>();
            ByteBuffer b = ByteBuffer.wrap(payload);
            while (b.remaining() >= 6) {
                values.put(b.getShort() & 0xffff, b.getInt() & 0xffffffffL);
            }
            return values;
        }
    }

    private final SSLSocket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final HPackEncoder encoder = new HPackEncoder(4096, StandardCharsets.US_ASCII);
    /** The relay's header blocks, decoded in the order they arrive (the HPACK table spans the connection). */
    private final org.apache.hc.core5.http2.hpack.HPackDecoder decoder =
            new org.apache.hc.core5.http2.hpack.HPackDecoder(4096, StandardCharsets.US_ASCII);
    private final String authority;

    RawH2Client(InetSocketAddress address, SSLContext tls) throws IOException {
        socket = (SSLSocket) tls.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters params = socket.getSSLParameters();
        params.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(params);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        if (!"h2".equals(socket.getApplicationProtocol())) {
            throw new IOException("ALPN chose " + socket.getApplicationProtocol() + ", not h2");
        }
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        authority = "localhost:" + address.getPort();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(SETTINGS, 0, 0, new byte[0]);
    }

    private final java.util.concurrent.LinkedBlockingQueue<Frame> background = new java.util.concurrent.LinkedBlockingQueue<>();
    private volatile boolean backgroundDone;

    /**
     * Reads every frame on a thread of its own from now on ({@link #nextInBackground} takes them): a flood test
     * must read while it writes, or the relay's GOAWAY can be lost in the reset its close makes when the client
     * keeps sending after it.
     */
    void readInBackground() {
        Thread t = new Thread(() -> {
            try {
                for (Frame f; (f = read()) != null; ) {
                    background.add(f);
                }
            } catch (IOException closed) {
                // the end of the connection, however it came
            } finally {
                backgroundDone = true;
            }
        }, "raw-h2-reader");
        t.setDaemon(true);
        t.start();
    }

    /** The next frame the background reader got, or null once the connection ended and all were taken. */
    Frame nextInBackground() throws InterruptedException {
        while (true) {
            Frame f = background.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (f != null) {
                return f;
            }
            if (backgroundDone && background.isEmpty()) {
                return null;
            }
        }
    }

    String protocol() {
        return socket.getApplicationProtocol();
    }

    void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        byte[] head = new byte[9];
        head[0] = (byte) (payload.length >>> 16);
        head[1] = (byte) (payload.length >>> 8);
        head[2] = (byte) payload.length;
        head[3] = (byte) type;
        head[4] = (byte) flags;
        ByteBuffer.wrap(head, 5, 4).putInt(streamId);
        out.write(head);
        out.write(payload);
    }

    void flush() throws IOException {
        out.flush();
    }

    /** An HPACK-encoded request head (the encoder keeps its table across calls, like a real client). */
    byte[] requestHead(String method, String path, String... extra) throws IOException {
        List<Header> headers = new ArrayList<>(List.of(new BasicHeader(":method", method), new BasicHeader(":scheme", "https"),
                new BasicHeader(":authority", authority), new BasicHeader(":path", path)));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            headers.add(new BasicHeader(extra[i], extra[i + 1]));
        }
        ByteArrayBuffer block = new ByteArrayBuffer(256);
        encoder.encodeHeaders(block, headers, true);
        byte[] bytes = new byte[block.length()];
        System.arraycopy(block.array(), 0, bytes, 0, block.length());
        return bytes;
    }

    void get(int streamId, String path) throws IOException {
        frame(HEADERS, END_HEADERS | END_STREAM, streamId, requestHead("GET", path));
    }

    /** The :status of a response HEADERS frame (every HEADERS frame read must be decoded, in order). */
    int status(Frame headers) throws IOException {
        return Integer.parseInt(fields(headers).stream()
                .filter(h -> h.getName().equals(":status")).findFirst().orElseThrow().getValue());
    }

    /** The fields of a HEADERS frame (a response head or trailers), decoded with the connection's HPACK table. */
    List<Header> fields(Frame headers) throws IOException {
        try {
            return decoder.decodeHeaders(ByteBuffer.wrap(headers.payload()));
        } catch (org.apache.hc.core5.http.HttpException e) {
            throw new IOException(e);
        }
    }

    /** An HPACK block of exactly these fields (trailers: no pseudo-headers). */
    byte[] block(String... fields) throws IOException {
        List<Header> headers = new ArrayList<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            headers.add(new BasicHeader(fields[i], fields[i + 1]));
        }
        ByteArrayBuffer block = new ByteArrayBuffer(128);
        encoder.encodeHeaders(block, headers, true);
        byte[] bytes = new byte[block.length()];
        System.arraycopy(block.array(), 0, bytes, 0, block.length());
        return bytes;
    }

    void settingsAck() throws IOException {
        frame(SETTINGS, 0x1, 0, new byte[0]);
    }

    /** How the last {@link #read} that returned null saw the connection end (EOFException: a clean close). */
    private volatile IOException end;

    /**
     * How the connection ended, once {@link #read} returned null: an {@link EOFException} for the relay's clean close
     * (TLS close_notify, or a FIN), a {@link SocketException} for a reset.
     */
    IOException end() {
        return end;
    }

    /** The next frame, or null when the relay closed the connection (cleanly or by reset: see {@link #end}). */
    Frame read() throws IOException {
        try {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            return new Frame(type, flags, stream, payload);
        } catch (EOFException | SocketException closed) {
            end = closed;
            return null;
        }
    }

    /** Reads until a frame of {@code type} arrives (returned) or the connection ends (null). */
    Frame readUntil(int type) throws IOException {
        for (Frame f; (f = read()) != null; ) {
            if (f.type() == type) {
                return f;
            }
        }
        return null;
    }

    /** Reads and drops frames until the relay closes the connection; false if it is still open after the timeout. */
    boolean readUntilClosed() throws IOException {
        try {
            while (read() != null) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
